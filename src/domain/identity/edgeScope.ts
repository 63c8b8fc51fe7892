import { newGenerationId } from './newGenerationId';

const PREFIX = 'ms-azure-iot-edge://';

/** The scope IoT Hub gives an edge device: `ms-azure-iot-edge://{deviceId}-{ticks}`. */
export const newEdgeScope = (deviceId: string, now: Date): string =>
  `${PREFIX}${deviceId}-${newGenerationId(now)}`;

/** The device ID a scope names, or null if it is not an edge scope. */
export function deviceIdOfScope(scope: string): string | null {
  if (!scope.startsWith(PREFIX)) return null;
  const rest = scope.slice(PREFIX.length);
  const dash = rest.lastIndexOf('-');
  return dash > 0 && /^\d+$/.test(rest.slice(dash + 1)) ? rest.slice(0, dash) : null;
}
