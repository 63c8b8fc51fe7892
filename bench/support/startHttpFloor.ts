import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { forwardLines } from '../../src/local/childProcesses';

export interface HttpFloor {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts bench/support/httpFloorServer.js (from the build) as a process of its own. */
export async function startHttpFloor(): Promise<HttpFloor> {
  const child = spawn(process.execPath, [path.join(__dirname, 'httpFloorServer.js')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    forwardLines(child.stdout, (line) => {
      const m = /^listening (\d+)$/.exec(line);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`The HTTP floor server exited (${code})`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
