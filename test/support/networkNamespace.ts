import { execFile, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export interface NetworkNamespace {
  name: string;
  /** Spawns a command inside the namespace (its own loopback: any port is free there). */
  spawn(command: string, args: string[], options?: SpawnOptions): ChildProcess;
  /** Runs a command inside the namespace to its end. */
  run(
    command: string,
    args: string[],
    options?: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number },
  ): Promise<{ code: number; stdout: string; stderr: string }>;
  remove(): Promise<void>;
}

/**
 * A network namespace of the test's own, with only its loopback up: a server in it may listen
 * on 127.0.0.1:443 (as IoT Hub's clients expect) without touching the machine's own ports.
 * Needs root and iproute2, as CI has.
 */
export async function createNetworkNamespace(): Promise<NetworkNamespace> {
  if (process.getuid?.() !== 0)
    throw new Error('This test needs root to make a network namespace (ip netns), as CI runs it');
  const name = `regtest-${randomBytes(4).toString('hex')}`;
  await exec('ip', ['netns', 'add', name]).catch((error: Error) => {
    throw new Error(`ip netns add failed (is iproute2 installed?): ${error.message}`);
  });
  await exec('ip', ['netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up']);
  return {
    name,
    spawn: (command, args, options = {}) =>
      spawn('ip', ['netns', 'exec', name, command, ...args], options),
    run: (command, args, options = {}) =>
      new Promise((resolve) => {
        execFile(
          'ip',
          ['netns', 'exec', name, command, ...args],
          { env: options.env, cwd: options.cwd, timeout: options.timeoutMs ?? 60_000 },
          (error, stdout, stderr) =>
            resolve({
              code: error ? Number((error as { code?: number }).code ?? 1) : 0,
              stdout,
              stderr,
            }),
        );
      }),
    remove: async () => {
      await exec('ip', ['netns', 'delete', name]).catch(() => undefined);
    },
  };
}
