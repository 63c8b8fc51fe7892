import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startStandInProcess } from '../standins/startStandInProcess';
import type { Settings } from '../src/config/Settings';
import type { SharedAccessPolicy } from '../src/domain/auth/SharedAccessPolicy';

export interface MqttProcess {
  port: number;
  wsPort: number;
  exited: Promise<void>;
  stop(): Promise<void>;
  kill(): Promise<void>;
}

/** The endpoint's entry: compiled beside this file, or (from the sources, in tests) in dist/. */
function mqttEntry(): string {
  const beside = join(__dirname, '..', 'src', 'mqtt', 'main.js');
  if (existsSync(beside)) return beside;
  return resolve(__dirname, '..', 'dist', 'src', 'mqtt', 'main.js');
}

/** Settings as the environment carries them (lists comma-separated). */
function asEnvironment(settings: Settings): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(settings)) {
    if (value === undefined) continue;
    env[name] = Array.isArray(value) ? value.join(',') : String(value);
  }
  return env;
}

/**
 * Runs the MQTT device endpoint (`dist/src/mqtt/main.js`, a product part) as a process of its
 * own beside the local host, with the stack's settings and keys in its environment (never on
 * its command line), and waits until it listens. It exits when its parent goes away.
 */
export async function startMqttProcess(
  settings: Settings,
  policies: ReadonlyMap<string, SharedAccessPolicy>,
  log?: (line: string) => void,
): Promise<MqttProcess> {
  const child = await startStandInProcess('MQTT endpoint', mqttEntry(), [], log, {
    ...asEnvironment(settings),
    SHARED_ACCESS_POLICIES: JSON.stringify([...policies.values()]),
    DATA_DIR: resolve(settings.DATA_DIR),
  });
  return {
    port: child.ports.mqtt ?? child.port,
    wsPort: child.ports.ws ?? 0,
    exited: child.exited,
    stop: () => child.stop(),
    kill: () => child.kill(),
  };
}
