import { CosmosStandInServer } from './CosmosStandInServer';

/**
 * The stand-in's process: `node main.js <port> [dataDir]`. Reports its port over IPC and exits
 * when the IPC channel closes (its parent died) or on SIGTERM, after flushing the journal.
 */
const [, , portArg, dataDir] = process.argv;
const standIn = new CosmosStandInServer({
  dataDir: dataDir || undefined,
  log: (line) => console.error(line),
});
const stop = () => {
  standIn.close();
  process.exit(0);
};
process.on('disconnect', stop);
process.on('SIGTERM', stop);
// Ctrl-C reaches the whole process group: the parent stops this process when its own work is done.
process.on('SIGINT', () => undefined);
standIn.server.on('error', (error) => {
  if (process.connected)
    process.send?.({ type: 'error', message: error.message }, () => process.exit(1));
  else process.exit(1);
});
standIn.server.listen(Number(portArg ?? 0), '127.0.0.1', () => {
  const address = standIn.server.address();
  process.send?.({
    type: 'listening',
    port: typeof address === 'object' && address ? address.port : 0,
  });
});
