import { brokerSettingsSchema } from './brokerSettings';
import { EventHubsBroker } from './EventHubsBroker';

/**
 * The stand-in's process: `node main.js <port>`, its settings (hubs, key name, key, data
 * directory, retention) in EVENTHUBS_STANDIN_SETTINGS as JSON, so the key stays out of the
 * command line. Reports its port over IPC and exits when the IPC channel closes (its parent
 * died) or on SIGTERM, after the writes under way are on disk.
 */
const fail = (message: string): void => {
  console.error(message);
  if (process.connected) process.send?.({ type: 'error', message }, () => process.exit(1));
  else process.exit(1);
};

const parsed = brokerSettingsSchema.safeParse(
  JSON.parse(process.env.EVENTHUBS_STANDIN_SETTINGS ?? '{}'),
);
if (!parsed.success) {
  fail(`Bad Event Hubs stand-in settings: ${parsed.error.message}`);
} else {
  let broker: EventHubsBroker | undefined;
  const stop = (): void => {
    void (broker?.close() ?? Promise.resolve()).finally(() => process.exit(0));
  };
  process.on('disconnect', stop);
  process.on('SIGTERM', stop);
  // Ctrl-C reaches the whole process group: the parent stops this process when its own work is done.
  process.on('SIGINT', () => undefined);
  try {
    broker = new EventHubsBroker({ ...parsed.data, log: (line) => console.error(line) });
    broker.listen(Number(process.argv[2] ?? 0), '127.0.0.1').then(
      (port) => process.send?.({ type: 'listening', port }),
      (error: Error) => fail(error.message),
    );
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
}
