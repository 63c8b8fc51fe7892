import { isRegistryError } from '../../domain/errors/RegistryError';
import type { LivenessStore } from '../../ports/LivenessStore';
import type { PipelineProbe } from '../../ports/PipelineProbe';

export interface PipelineStatus {
  /** False when the stream is behind: silence may be the monitor's, not the fleet's. */
  current: boolean;
  lagSeconds: number;
  newestProcessed: string | null;
}

const UNREACHABLE: unique symbol = Symbol('unreachable');

/**
 * Whether the map is current. Without a probe (nothing to ask the hub), the map is current;
 * with one, events waiting longer than `maxLagSeconds` mean the pipeline is behind.
 */
export class PipelineMonitor {
  constructor(
    private readonly store: LivenessStore,
    private readonly probe: PipelineProbe | undefined,
    private readonly maxLagSeconds: number,
  ) {}

  async status(now: Date): Promise<PipelineStatus> {
    const [progress, oldest] = await Promise.all([
      this.store.readProgress(),
      // A hub that cannot be asked cannot say the map is current: silence may be the monitor's.
      this.probe?.oldestUnprocessed().catch((error: unknown) => {
        if (isRegistryError(error) && error.code === 'ServiceUnavailable') return UNREACHABLE;
        throw error;
      }) ?? null,
    ]);
    const newestProcessed = progress.reduce<string | null>(
      (m, p) => (m === null || p.newestEnqueued > m ? p.newestEnqueued : m),
      null,
    );
    if (oldest === UNREACHABLE) {
      const since = newestProcessed === null ? now : new Date(newestProcessed);
      return {
        current: false,
        lagSeconds: Math.max(0, (now.getTime() - since.getTime()) / 1000),
        newestProcessed,
      };
    }
    const lagSeconds =
      oldest instanceof Date ? Math.max(0, (now.getTime() - oldest.getTime()) / 1000) : 0;
    return { current: lagSeconds <= this.maxLagSeconds, lagSeconds, newestProcessed };
  }
}
