import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { standInEntry, startStandInProcess } from '../startStandInProcess';
import type { BrokerSettings, HubSettings } from './brokerSettings';

export interface EventHubsStandIn {
  port: number;
  /** Where its events are (a temporary directory when none was given). */
  dataDir: string;
  /** A connection string of the form Microsoft's emulator uses, for the namespace or one hub. */
  connectionString(hubName?: string): string;
  /** Resolves when the process is gone, whether stopped, killed or crashed. */
  exited: Promise<void>;
  /** SIGTERM: writes under way finish, then the process exits. */
  stop(): Promise<void>;
  /** SIGKILL, as a crash: nothing is flushed or closed. */
  kill(): Promise<void>;
}

/**
 * Starts the Event Hubs stand-in (AMQP 1.0 over plain TCP) in a process of its own, on
 * 127.0.0.1 and the given port (0 = a free one). Events live in `dataDir`, and every event it
 * acknowledged survives a kill and a restart on the same directory; without one, a temporary
 * directory is used and removed when the stand-in stops.
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
  const temporary = options.dataDir
    ? undefined
    : await mkdtemp(join(tmpdir(), 'eventhubs-standin-'));
  const settings: BrokerSettings = {
    hubs: options.hubs,
    keyName: options.keyName,
    key: options.key,
    dataDir: options.dataDir ?? temporary!,
    retentionHours: options.retentionHours,
  };
  const removeTemporary = () =>
    temporary ? rm(temporary, { recursive: true, force: true }) : Promise.resolve();
  let child;
  try {
    child = await startStandInProcess(
      'Event Hubs stand-in',
      standInEntry('eventhubs', __dirname),
      [String(options.port ?? 0)],
      options.log,
      { EVENTHUBS_STANDIN_SETTINGS: JSON.stringify(settings) },
    );
  } catch (error) {
    await removeTemporary();
    throw error;
  }
  const { port } = child;
  return {
    port,
    dataDir: settings.dataDir,
    exited: child.exited,
    connectionString: (hubName) =>
      `Endpoint=sb://127.0.0.1:${port};SharedAccessKeyName=${options.keyName};` +
      `SharedAccessKey=${options.key};UseDevelopmentEmulator=true` +
      (hubName ? `;EntityPath=${hubName}` : ''),
    stop: () => child.stop().then(removeTemporary),
    kill: () => child.kill().then(removeTemporary),
  };
}
