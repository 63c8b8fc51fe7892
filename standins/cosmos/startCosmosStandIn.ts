import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { forwardLines, killAndWait, waitForExit } from '../../src/local/childProcesses';

/** The fixed key of the Cosmos DB emulator; the stand-in accepts any key, clients still need one. */
const EMULATOR_KEY =
  'C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==';

const STARTUP_DEADLINE_MS = 30_000;
const STOP_GRACE_MS = 5_000;
const STDERR_TAIL_LINES = 20;

export interface CosmosStandIn {
  endpoint: string;
  key: string;
  stop(): Promise<void>;
  /** SIGKILL, as a crash: nothing is flushed or closed. */
  kill(): Promise<void>;
}

type ChildMessage = { type: 'listening'; port: number } | { type: 'error'; message: string };

/**
 * The child's entry: compiled next to this file, or, when this file runs from its TypeScript
 * source (tests), in the build `npm run build` writes (the test setup builds first).
 */
export function standInEntry(name: string, dir: string): string {
  const beside = join(dir, `${name}.js`);
  if (existsSync(beside)) return beside;
  const root = resolve(dir, '..', '..');
  return join(root, 'dist', 'standins', 'cosmos', `${name}.js`);
}

/**
 * Starts the Cosmos DB stand-in (plain HTTP, keep-alive) in its own process so it gets its own
 * CPU core, on 127.0.0.1 and the given port (0 = a free one, reported back over IPC). With a
 * `dataDir`, everything it acknowledges survives a kill and a restart on the same directory.
 */
export async function startCosmosStandIn(options?: {
  port?: number;
  dataDir?: string;
  log?: (line: string) => void;
}): Promise<CosmosStandIn> {
  const port = options?.port ?? 0;
  const log = options?.log;
  const child = spawn(
    process.execPath,
    [standInEntry('main', __dirname), String(port), options?.dataDir ?? ''],
    {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      windowsHide: true,
    },
  );
  const exited = waitForExit(child);

  const stderrTail: string[] = [];
  forwardLines(child.stdout, (line) => log?.(`[cosmos] ${line}`));
  forwardLines(child.stderr, (line) => {
    stderrTail.push(line);
    if (stderrTail.length > STDERR_TAIL_LINES) stderrTail.shift();
    log?.(`[cosmos] ${line}`);
  });

  let realPort: number;
  try {
    realPort = await waitForListening(child, () => stderrTail.join('\n'));
  } catch (err) {
    await killAndWait(child, exited, STOP_GRACE_MS);
    throw err;
  }

  let stopping: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${realPort}`,
    key: EMULATOR_KEY,
    stop: () => (stopping ??= killAndWait(child, exited, STOP_GRACE_MS)),
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

function waitForListening(child: ChildProcess, stderr: () => string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const fail = (reason: string): void => {
      cleanup();
      const details = stderr();
      reject(
        new Error(`Cosmos stand-in failed to start: ${reason}${details ? `\n${details}` : ''}`),
      );
    };
    const onMessage = (raw: unknown): void => {
      const message = raw as ChildMessage;
      if (message.type === 'listening') {
        cleanup();
        resolve(message.port);
      } else {
        fail(message.message);
      }
    };
    const onError = (err: Error): void => fail(err.message);
    const timer = setTimeout(
      () => fail(`not listening after ${STARTUP_DEADLINE_MS} ms`),
      STARTUP_DEADLINE_MS,
    );
    let settled = false;
    const cleanup = (): void => {
      settled = true;
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('error', onError);
    };
    child.on('message', onMessage);
    child.on('error', onError);
    // 'close' (not 'exit') so the stderr explaining the failure has been read by then.
    child.once('close', (code, signal) => {
      if (!settled) fail(`process exited early (code ${code}, signal ${signal})`);
    });
  });
}
