import type { EventHubConsumerClient } from '@azure/event-hubs';
import type { LivenessStore } from '../../ports/LivenessStore';
import type { PipelineProbe } from '../../ports/PipelineProbe';

/**
 * Asks the hub how far each partition has been written and compares it with what the monitor
 * has processed: a partition with newer events than processed has been waiting since then.
 */
export class EventHubPipelineProbe implements PipelineProbe {
  constructor(
    private readonly consumer: EventHubConsumerClient,
    private readonly store: LivenessStore,
  ) {}

  async oldestUnprocessed(): Promise<Date | null> {
    // Bounded: the SDK's own timeouts do not cover a call made while a dead connection resets.
    const abortSignal = AbortSignal.timeout(8_000);
    const [ids, progress] = await Promise.all([
      this.consumer.getPartitionIds({ abortSignal }),
      this.store.readProgress(),
    ]);
    const processed = new Map(progress.map((p) => [p.source, p.newestEnqueued]));
    let oldest: Date | null = null;
    for (const id of ids) {
      const props = await this.consumer.getPartitionProperties(id, { abortSignal });
      if (props.isEmpty) continue;
      const done = processed.get(id);
      const last = props.lastEnqueuedOnUtc;
      if (done !== undefined && last.getTime() <= Date.parse(done)) continue;
      const waitingSince = done === undefined ? last : new Date(done);
      if (oldest === null || waitingSince < oldest) oldest = waitingSince;
    }
    return oldest;
  }
}
