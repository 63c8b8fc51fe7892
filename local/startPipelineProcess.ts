import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startStandInProcess } from '../standins/startStandInProcess';
import type { Settings } from '../src/config/Settings';
import type { SharedAccessPolicy } from '../src/domain/auth/SharedAccessPolicy';

export interface PipelineProcess {
  exited: Promise<void>;
  /** Tells its relay that the host committed outbox records. */
  outboxCommitted(): void;
  stop(): Promise<void>;
  kill(): Promise<void>;
}

/** Its entry: compiled beside this file, or (from the sources, in tests) in dist/. */
function pipelineEntry(): string {
  const beside = join(__dirname, 'pipelineMain.js');
  if (existsSync(beside)) return beside;
  return resolve(__dirname, '..', 'dist', 'local', 'pipelineMain.js');
}

/**
 * Runs the lifecycle relay and the Event Hubs consumers (`local/pipelineMain.ts`) in a process
 * of their own beside the host, with the stack's settings and keys in its environment (never
 * on its command line). It exits when its parent goes away.
 */
export async function startPipelineProcess(
  settings: Settings,
  policies: ReadonlyMap<string, SharedAccessPolicy>,
  log?: (line: string) => void,
): Promise<PipelineProcess> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(settings))
    if (value !== undefined) env[name] = Array.isArray(value) ? value.join(',') : String(value);
  const child = await startStandInProcess('pipeline', pipelineEntry(), [], log, {
    ...env,
    SHARED_ACCESS_POLICIES: JSON.stringify([...policies.values()]),
    DATA_DIR: resolve(settings.DATA_DIR),
  });
  // One message per turn of the event loop, however many commits it saw.
  let pending = false;
  return {
    exited: child.exited,
    outboxCommitted: () => {
      if (pending) return;
      pending = true;
      setImmediate(() => {
        pending = false;
        child.send({ type: 'outboxCommitted' });
      });
    },
    stop: () => child.stop(),
    kill: () => child.kill(),
  };
}
