import type { ChildProcess } from 'node:child_process';

/** Resolves once the process is gone; its sockets are closed by then. */
export function waitForExit(child: ChildProcess): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    // A spawn failure emits 'error' and never 'exit'.
    child.once('error', () => {
      if (child.pid === undefined) resolve();
    });
  });
}

/**
 * SIGTERM lets a stand-in flush its data; SIGKILL if it takes longer than the grace period.
 * (Stand-ins ignore SIGINT: a terminal's Ctrl-C reaches the whole process group, and the parent
 * stops them itself once its own work is done.)
 */
export async function killAndWait(
  child: ChildProcess,
  exited: Promise<void>,
  graceMs: number,
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Calls `onLine` for every non-empty line a child writes. */
export function forwardLines(
  stream: NodeJS.ReadableStream | null,
  onLine: (line: string) => void,
): void {
  if (!stream) return;
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split(/\r?\n/);
    buffered = lines.pop() ?? '';
    for (const line of lines) if (line) onLine(line);
  });
  stream.on('end', () => {
    if (buffered) onLine(buffered);
  });
}
