import type { Dependency, DependencyHealth, DependencyReport } from './DependencyHealth';

/** One cheap call per dependency that succeeds only when it answers. */
export type DependencyProbes = Partial<Record<Dependency, () => Promise<void>>>;

export interface HealthReport {
  /** Every dependency answers. */
  ready: boolean;
  dependencies: DependencyReport[];
}

const PROBE_TIMEOUT_MS = 3_000;
/** Probes run at most this often, however often the (anonymous) health endpoint is asked. */
const PROBE_INTERVAL_MS = 2_000;

/**
 * What `/health` reports: each dependency probed (through the same guard the service's calls
 * go through, so a probe's finding is everyone's), at most every two seconds, each probe
 * bounded in time.
 */
export class HealthCheck {
  private last: { at: number; running: Promise<void> } | undefined;

  constructor(
    private readonly health: DependencyHealth,
    private readonly probes: DependencyProbes,
    private readonly now: () => number = Date.now,
  ) {}

  async check(): Promise<HealthReport> {
    const at = this.now();
    if (!this.last || at - this.last.at >= PROBE_INTERVAL_MS)
      this.last = { at, running: this.probeAll() };
    await this.last.running;
    const dependencies = this.health.report();
    return { ready: dependencies.every((d) => d.state === 'up'), dependencies };
  }

  private async probeAll(): Promise<void> {
    await Promise.all(
      Object.entries(this.probes).map(async ([name, probe]) => {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), PROBE_TIMEOUT_MS);
        });
        try {
          const outcome = await Promise.race([probe().then(() => 'ok' as const), timeout]);
          if (outcome === 'timeout')
            this.health.failed(
              name as Dependency,
              `no answer within ${PROBE_TIMEOUT_MS} ms`,
              false,
            );
        } catch {
          // The guard around the probe has recorded what it found.
        } finally {
          clearTimeout(timer);
        }
      }),
    );
  }
}
