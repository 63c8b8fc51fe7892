/**
 * The Azurite child process: `node azuriteChild.js <azuriteCli> ...azuriteArgs`. It runs
 * Azurite's CLI in this same process (no grandchild to lose track of) after arranging how it
 * stops. Azurite ignores its parent's death, so IPC 'disconnect' → SIGTERM to itself, which runs
 * Azurite's own graceful shutdown (flushes its on-disk databases). The SIGTERM listener stays
 * registered so a repeated signal cannot fall through to the default action and kill it
 * mid-flush; it drops the IPC channel so the process exits once Azurite has closed everything,
 * and an unref'd timer forces the exit if something still holds the loop. SIGINT (a terminal's
 * Ctrl-C reaches the whole process group) is ignored: the parent stops Azurite after its own
 * work. EPIPE on a dead parent's pipes must not crash it either.
 */
const FORCED_EXIT_MS = 4_000;

const [node = process.execPath, , cli, ...args] = process.argv;
if (!cli) throw new Error('azuriteChild: the path of the Azurite CLI is missing');
process.argv = [node, cli, ...args];
process.stdout.on('error', () => undefined);
process.stderr.on('error', () => undefined);
let shuttingDown = false;
process.on('SIGTERM', () => {
  if (shuttingDown) return;
  shuttingDown = true;
  if (process.connected) process.disconnect();
  setTimeout(() => process.exit(0), FORCED_EXIT_MS).unref();
});
process.on('SIGINT', () => undefined);
process.on('disconnect', () => {
  if (!shuttingDown) process.kill(process.pid, 'SIGTERM');
});
// Azurite's CLI is a script, not a module: it runs when loaded.
// eslint-disable-next-line @typescript-eslint/no-require-imports
require(cli);
