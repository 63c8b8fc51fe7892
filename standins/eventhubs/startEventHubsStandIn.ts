import { standInEntry, startStandInProcess } from '../startStandInProcess';
import type { HubSettings } from './EventHubsBroker';

export interface EventHubsStandIn {
  port: number;
  /** A connection string of the form Microsoft's emulator uses, for the namespace or one hub. */
  connectionString(hub?: string): string;
  stop(): Promise<void>;
  kill(): Promise<void>;
}

/**
 * Starts the Event Hubs stand-in (AMQP 1.0 over TCP) on 127.0.0.1 and the given port (0 = a
 * free one). With a `dataDir`, every event it accepted survives a kill and a restart.
 */
export async function startEventHubsStandIn(options: {
  hubs: HubSettings[];
  keyName: string;
  key: string;
  port?: number;
  dataDir?: string;
  retentionHours?: number;
  log?: (line: string) => void;
}): Promise<EventHubsStandIn> {
  const { log, port, ...settings } = options;
  const child = await startStandInProcess(
    'Event Hubs stand-in',
    standInEntry('eventhubs', __dirname),
    [String(port ?? 0), JSON.stringify(settings)],
    log,
  );
  return {
    port: child.port,
    connectionString: (hub) =>
      `Endpoint=sb://127.0.0.1:${child.port};SharedAccessKeyName=${options.keyName};SharedAccessKey=${options.key};UseDevelopmentEmulator=true${hub ? `;EntityPath=${hub}` : ''}`,
    stop: () => child.stop(),
    kill: () => child.kill(),
  };
}
