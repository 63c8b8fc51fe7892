import { EventHubsBroker, type HubSettings } from './EventHubsBroker';

/**
 * The stand-in's process: `node main.js <port> <settings JSON>`; the settings are the
 * broker's (hubs, key name, key, data directory, retention). Reports its port over IPC and
 * exits when the IPC channel closes (its parent died) or on SIGTERM.
 */
const [, , portArg, settingsArg] = process.argv;
const settings = JSON.parse(settingsArg ?? '{}') as {
  hubs: HubSettings[];
  keyName: string;
  key: string;
  dataDir?: string;
  retentionHours?: number;
};
const broker = new EventHubsBroker({ ...settings, log: (line) => console.error(line) });
const stop = () => {
  broker.close();
  process.exit(0);
};
process.on('disconnect', stop);
process.on('SIGTERM', stop);
broker.listen(Number(portArg ?? 0), '127.0.0.1').then(
  (port) => process.send?.({ type: 'listening', port }),
  (error: Error) => {
    if (process.connected)
      process.send?.({ type: 'error', message: error.message }, () => process.exit(1));
    else process.exit(1);
  },
);
