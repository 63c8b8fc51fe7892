import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { forwardLines } from '../../standins/childProcesses';

/** Runs bench/support/<name>.js (from the build) with `input` as JSON on stdin; resolves its last stdout line, parsed. */
export function runChild<T>(name: string, input: unknown): Promise<T> {
  const child = spawn(process.execPath, [path.join(__dirname, `${name}.js`)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let stdout = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stdin.end(JSON.stringify(input));
  return new Promise((resolve, reject) => {
    // 'close', not 'exit': stdout may still hold data when the process has exited.
    child.once('close', (code) => {
      const last = stdout.trim().split('\n').pop() ?? '';
      if (code === 0) resolve(JSON.parse(last) as T);
      else reject(new Error(`${name} exited with ${code}`));
    });
  });
}

/** Starts a server from bench/support/<name>.js that prints `listening <port>`. */
export async function startChildServer(
  name: string,
  input: unknown,
): Promise<{ port: number; child: ChildProcess; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [path.join(__dirname, `${name}.js`)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  child.stdin.end(JSON.stringify(input));
  const port = await new Promise<number>((resolve, reject) => {
    forwardLines(child.stdout, (line) => {
      const m = /^listening (\d+)$/.exec(line);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`${name} exited (${code})`)));
  });
  return {
    port,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
