import { spawn, type ChildProcess } from 'node:child_process';
import { FREE_PORTS } from './freePorts';
import { join } from 'node:path';
import { forwardLines, waitForExit } from '../../standins/childProcesses';
import { sign } from '../../src/domain/auth/signatureMatches';
import { ROOT } from './compiledBuild';

export interface ServiceProcess {
  url: string;
  /** What `npm start` printed: the HTTPS endpoint and the connection strings. */
  httpsUrl: string;
  serviceConnectionString: string;
  storageConnectionString: string;
  child: ChildProcess;
  /** What it printed so far (stdout and stderr), for a failing test's message. */
  output(): string;
  exited: Promise<void>;
  /** A request with an iothubowner token, as a script would send it. */
  call(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; json: any }>;
  /** Kills the whole process group (the host and every stand-in it started) at once. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Runs `npm start`'s entry point from a compiled build as its own process group, on free
 * loopback ports and the given DATA_DIR, and waits until it prints its endpoints.
 */
export async function startServiceProcess(
  buildDir: string,
  dataDir: string,
  env: Record<string, string> = {},
): Promise<ServiceProcess> {
  const child = spawn(process.execPath, [join(buildDir, 'local', 'main.js')], {
    cwd: ROOT,
    env: {
      ...process.env,
      ...FREE_PORTS,
      DATA_DIR: dataDir,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const exited = waitForExit(child);
  const lines: string[] = [];
  const printed = (label: string) =>
    lines.map((l) => l.startsWith(label) && l.slice(l.indexOf(':') + 1).trim()).find(Boolean) || '';
  const ready = new Promise<{ url: string; key: string }>((resolve, reject) => {
    let url: string | undefined;
    const onLine = (line: string) => {
      lines.push(line);
      url ??= /^Registry \(HTTP\)\s*: (\S+)/.exec(line)?.[1];
      // The storage line follows the service's: resolve once both are in.
      if (url && line.startsWith('Storage connection string'))
        resolve({
          url,
          key: /SharedAccessKey=([^;\s]+)/.exec(printed('Service connection string'))?.[1] ?? '',
        });
    };
    forwardLines(child.stdout, onLine);
    forwardLines(child.stderr, (l) => lines.push(l));
    void exited.then(() =>
      reject(new Error(`The service exited during start-up:\n${lines.join('\n')}`)),
    );
  });
  const timeout = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 60_000);
  const { url, key } = await ready.finally(() => clearTimeout(timeout));
  const call: ServiceProcess['call'] = async (method, path, body, headers = {}) => {
    const se = Math.floor(Date.now() / 1000) + 3600;
    const sig = encodeURIComponent(sign(key, 'localhost', se));
    const response = await fetch(
      `${url}${path}${path.includes('?') ? '&' : '?'}api-version=2021-04-12`,
      {
        method,
        headers: {
          authorization: `SharedAccessSignature sr=localhost&sig=${sig}&se=${se}&skn=iothubowner`,
          'content-type': 'application/json',
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        // A call that never ends fails, naming itself, instead of stalling the test.
        signal: AbortSignal.timeout(60_000),
      },
    ).catch((error: unknown) => {
      throw new Error(`${method} ${path} failed: ${String(error)}`);
    });
    const text = await response.text();
    return { status: response.status, json: text ? JSON.parse(text) : undefined };
  };
  const signal = async (name: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, name);
    } catch {
      // already gone
    }
    // A graceful stop that does not end within 20 s becomes a kill.
    const force = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, 20_000);
    await exited.finally(() => clearTimeout(force));
  };
  return {
    url,
    httpsUrl: /^(\S+)/.exec(printed('Registry (HTTPS)'))?.[1] ?? '',
    serviceConnectionString: printed('Service connection string'),
    storageConnectionString: printed('Storage connection string'),
    child,
    output: () => lines.join('\n'),
    exited,
    call,
    kill: () => signal('SIGKILL'),
    stop: () => signal('SIGTERM'),
  };
}
