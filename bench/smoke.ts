/**
 * `npm run bench:smoke`: every benchmark at a size that takes seconds, one after another, each
 * required to exit 0 and print its table. `npm test` runs this (test/bench/benchSmoke.test.ts),
 * so a benchmark that no longer starts fails CI instead of rotting. Full sizes are unchanged.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';

/** Small sizes for each bench, through the settings it already reads. */
export const SMOKE: Record<string, Record<string, string>> = {
  registry: {
    BENCH_OPS: '40',
    BENCH_CONCURRENCY: '1,4',
    BENCH_WARMUP: '10',
    BENCH_QUIET_WAIT_S: '0',
    BENCH_TIMEOUT_S: '240',
  },
  liveness: {
    BENCH_EVENTS: '2000',
    BENCH_DEVICES: '200',
    BENCH_BATCH: '200',
    BENCH_FLEET: '1000',
    BENCH_SIM_FLEET: '10000',
    BENCH_TIMEOUT_S: '240',
  },
  ingress: { BENCH_MESSAGES: '300', BENCH_TIMEOUT_S: '240' },
  jobs: { BENCH_DEVICES: '300', BENCH_PAGE_SIZE: '100' },
  standin: { BENCH_OPS: '100', BENCH_IDENTITIES: '1000' },
  query: { BENCH_DEVICES: '500', BENCH_REPEAT: '1' },
};

export interface SmokeResult {
  bench: string;
  code: number | null;
  seconds: number;
  stdout: string;
  stderr: string;
}

/** Runs one compiled bench (`dir` holds bench/<name>.js) at its smoke size. */
export function runSmoke(dir: string, bench: string, timeoutMs = 300_000): Promise<SmokeResult> {
  const started = Date.now();
  const child = spawn(process.execPath, [path.join(dir, `${bench}.js`)], {
    env: { ...process.env, ...SMOKE[bench] },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) => {
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ bench, code, seconds: (Date.now() - started) / 1000, stdout, stderr });
    });
  });
}

/** A table with at least one row of figures: what every bench prints. */
export const printsTable = (stdout: string): boolean =>
  stdout.split('\n').some((line) => (line.match(/\|/g) ?? []).length >= 2 && /\d/.test(line));

if (require.main === module) {
  void (async () => {
    let failed = 0;
    for (const bench of Object.keys(SMOKE)) {
      const r = await runSmoke(__dirname, bench);
      const ok = r.code === 0 && printsTable(r.stdout);
      if (!ok) failed++;
      console.log(`${ok ? 'ok  ' : 'FAIL'} bench:${bench} (${r.seconds.toFixed(1)} s)`);
      if (!ok) console.log(r.stderr || r.stdout);
    }
    process.exit(failed === 0 ? 0 : 1);
  })();
}
