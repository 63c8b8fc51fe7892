import type { LivenessStore } from '../../ports/LivenessStore';
import type { PipelineProbe } from '../../ports/PipelineProbe';

export interface PipelineStatus {
  /** False when the stream is behind: silence may be the monitor's, not the fleet's. */
  current: boolean;
  lagSeconds: number;
  newestProcessed: string | null;
}

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
      this.probe?.oldestUnprocessed() ?? null,
    ]);
    const newestProcessed = progress.reduce<string | null>(
      (m, p) => (m === null || p.newestEnqueued > m ? p.newestEnqueued : m),
      null,
    );
    const lagSeconds = oldest === null ? 0 : Math.max(0, (now.getTime() - oldest.getTime()) / 1000);
    return { current: lagSeconds <= this.maxLagSeconds, lagSeconds, newestProcessed };
  }
}
