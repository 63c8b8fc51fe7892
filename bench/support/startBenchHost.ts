import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { settingsSchema } from '../../src/config/Settings';
import { forwardLines } from '../../standins/childProcesses';
import type { CosmosStandIn } from '../../standins/cosmos/startCosmosStandIn';

const HOST_START_DEADLINE_MS = 60_000;
const HOST_STOP_GRACE_MS = 10_000;

export interface Host {
  child: ChildProcess;
  url: string;
  ownerKey: string;
  stderrTail: string[];
  stop(): Promise<void>;
}

/** `node dist/local/main.js` with settings from the environment only (cwd = DATA_DIR). */
export async function startBenchHost(
  cosmos: CosmosStandIn,
  dataDir: string,
  verbose = false,
): Promise<Host> {
  const mainJs = path.join(__dirname, '../../local/main.js');
  // The host reads every setting from the environment: drop any the caller's shell has set.
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(settingsSchema.shape)) delete env[name];
  Object.assign(env, {
    COSMOS_ENDPOINT: cosmos.endpoint,
    COSMOS_KEY: cosmos.key,
    // Every listener on a free port: a bench never takes the well-known ones (or collides).
    PORT: '0',
    HTTPS_PORT: '0',
    EVENTHUB_PORT: '0',
    AZURITE_BLOB_PORT: '0',
    AZURITE_QUEUE_PORT: '0',
    AZURITE_TABLE_PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    // BENCH_PIPELINE=process: the relay and the consumers in a process of their own.
    LOCAL_PIPELINE: process.env.BENCH_PIPELINE?.trim() === 'process' ? 'process' : 'host',
    // No storage setting: the host starts its own Azurite, as `npm start` does (jobs, the
    // liveness map and the catalog live there).
  });
  const profileDir = process.env.BENCH_HOST_PROFILE?.trim();
  const nodeArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(profileDir)}`] : [];
  const child = spawn(process.execPath, [...nodeArgs, mainJs], {
    cwd: dataDir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    windowsHide: true,
  });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => {
      if (child.pid === undefined) resolve();
    });
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), HOST_STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  };

  const stderrTail: string[] = [];
  forwardLines(child.stderr, (line) => {
    stderrTail.push(line);
    if (stderrTail.length > 20) stderrTail.shift();
    if (verbose) console.error(`[host] ${line}`);
  });

  try {
    const { url, ownerKey } = await new Promise<{ url: string; ownerKey: string }>(
      (resolve, reject) => {
        let url: string | undefined;
        let ownerKey: string | undefined;
        const timer = setTimeout(
          () => reject(new Error(`The host printed no URL within ${HOST_START_DEADLINE_MS} ms`)),
          HOST_START_DEADLINE_MS,
        );
        // stdout holds the owner key: parsed, never echoed. Drained to the end so the host never
        // blocks on a full pipe.
        forwardLines(child.stdout, (line) => {
          url ??= /^Registry \(HTTP\)\s*:\s*(http:\/\/\S+)/.exec(line)?.[1];
          const key =
            /^Service connection string: .*;SharedAccessKeyName=iothubowner;SharedAccessKey=([^;\s]+)/.exec(
              line,
            )?.[1];
          ownerKey ??= key;
          if (url !== undefined && ownerKey !== undefined) {
            clearTimeout(timer);
            resolve({ url, ownerKey });
          }
        });
        child.once('close', (code, signal) => {
          clearTimeout(timer);
          reject(
            new Error(
              `The host exited during start-up (code ${code}, signal ${signal})\n${stderrTail.join('\n')}`,
            ),
          );
        });
        child.once('error', (error) => {
          clearTimeout(timer);
          reject(error);
        });
      },
    );
    return { child, url, ownerKey, stderrTail, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
