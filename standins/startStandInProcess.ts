import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { forwardLines, killAndWait, waitForExit } from './childProcesses';

const STARTUP_DEADLINE_MS = 30_000;
const STOP_GRACE_MS = 4_000;
const STDERR_TAIL_LINES = 20;

type ChildMessage =
  | { type: 'listening'; port: number; ports?: Record<string, number> }
  | { type: 'error'; message: string };

export interface StandInProcess {
  port: number;
  /** Every port, for a process that listens on several (by the names it gave them). */
  ports: Record<string, number>;
  /** Resolves when the process is gone, whether stopped, killed or crashed. */
  exited: Promise<void>;
  /** SIGTERM (the stand-in flushes and exits), SIGKILL after a grace period. */
  stop(): Promise<void>;
  /** SIGKILL, as a crash: nothing is flushed or closed. */
  kill(): Promise<void>;
  /** A message over the IPC channel; dropped when the process is gone. */
  send(message: unknown): void;
}

/**
 * A stand-in's entry file: compiled next to its launcher, or, when the launcher runs from its
 * TypeScript source (tests), in the build `npm run build` writes (the test setup builds first).
 */
export function standInEntry(folder: string, dir: string): string {
  const beside = join(dir, 'main.js');
  if (existsSync(beside)) return beside;
  return join(resolve(dir, '..', '..'), 'dist', 'standins', folder, 'main.js');
}

/**
 * Runs a stand-in's `main.js` in a process of its own (so it gets its own core), waits until it
 * reports its port over IPC, and forwards its output to `log`. The child exits when the IPC
 * channel closes, so it never outlives its parent. `env` adds variables to its environment
 * (for settings such as keys, which do not belong on a command line anyone can list).
 */
export async function startStandInProcess(
  name: string,
  entry: string,
  args: string[],
  log?: (line: string) => void,
  env?: Record<string, string>,
): Promise<StandInProcess> {
  const child = spawn(process.execPath, [entry, ...args], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    windowsHide: true,
    env: { ...process.env, ...env },
  });
  const exited = waitForExit(child);
  const stderrTail: string[] = [];
  forwardLines(child.stdout, (line) => log?.(`[${name}] ${line}`));
  forwardLines(child.stderr, (line) => {
    stderrTail.push(line);
    if (stderrTail.length > STDERR_TAIL_LINES) stderrTail.shift();
    log?.(`[${name}] ${line}`);
  });
  let listening: { port: number; ports: Record<string, number> };
  try {
    listening = await waitForListening(name, child, () => stderrTail.join('\n'));
  } catch (err) {
    await killAndWait(child, exited, STOP_GRACE_MS);
    throw err;
  }
  let stopping: Promise<void> | undefined;
  return {
    ...listening,
    exited,
    stop: () => (stopping ??= killAndWait(child, exited, STOP_GRACE_MS)),
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
    send: (message) => {
      if (child.connected) child.send(message as object, () => undefined);
    },
  };
}

function waitForListening(
  name: string,
  child: ChildProcess,
  stderr: () => string,
): Promise<{ port: number; ports: Record<string, number> }> {
  return new Promise((resolve, reject) => {
    const fail = (reason: string): void => {
      cleanup();
      const details = stderr();
      reject(new Error(`${name} failed to start: ${reason}${details ? `\n${details}` : ''}`));
    };
    const onMessage = (raw: unknown): void => {
      const message = raw as ChildMessage;
      if (message.type === 'listening') {
        cleanup();
        resolve({ port: message.port, ports: message.ports ?? {} });
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
