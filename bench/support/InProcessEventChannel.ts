import { InvocationContext } from '@azure/functions';
import { randomUUID } from 'node:crypto';
import type { EventTransport } from '../../src/composition/createRegistryServices';
import type { LifecycleNotification } from '../../src/domain/lifecycle/LifecycleNotification';
import type { LifecyclePublisher } from '../../src/ports/LifecyclePublisher';
import type { Logger } from '../../src/ports/Logger';
import type { PipelineProbe } from '../../src/ports/PipelineProbe';
import type { Clock } from '../../src/ports/Clock';
import type { TelemetryMessage } from '../../src/ports/TelemetryPublisher';
import { camelKeys } from '../../local/hostTriggerMetadata';

export interface ChannelEvent {
  body: unknown;
  properties: Record<string, unknown>;
  systemProperties: Record<string, unknown>;
  partitionKey: string;
}

type EventHubHandler = (messages: unknown, context: InvocationContext) => Promise<unknown>;

interface Enqueued extends ChannelEvent {
  enqueuedTimeUtc: string;
  sequenceNumber: number;
}

/**
 * The benchmarks' in-process baseline (what the embedded stack used before the Event Hubs
 * stand-in): events published in this process are handed to the liveness trigger's handler, in
 * batches, with the `triggerMetadata` the Functions host builds. Events live in memory only.
 */
export class InProcessEventChannel implements LifecyclePublisher, PipelineProbe {
  private readonly queue: Enqueued[] = [];
  private inFlight: Enqueued[] = [];
  private sequence = 0;
  private pumping: Promise<void> | undefined;
  private stopped = false;
  private paused = false;
  private idle: (() => void)[] = [];
  /** Sequence number of the last event a handler completed. */
  private processed = 0;
  private waiting: { upTo: number; resolve: () => void; reject: (e: Error) => void }[] = [];

  constructor(
    private readonly handler: EventHubHandler,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: {
      eventHubName: string;
      maxBatchSize: number;
      retryDelayMs: number;
      lingerMs: number;
    } = {
      eventHubName: 'telemetry',
      maxBatchSize: 1000,
      retryDelayMs: 1000,
      lingerMs: 50,
    },
  ) {}

  /**
   * Resolves once the handler has processed the notifications, as a broker acknowledges only
   * what it stored: the channel keeps nothing on disk, so the relay must not count them
   * published (and drop them from the outbox) before they took effect.
   */
  publish(notifications: readonly LifecycleNotification[]): Promise<void> {
    this.send(notifications);
    const upTo = this.sequence;
    if (this.processed >= upTo) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiting.push({ upTo, resolve, reject }));
  }

  /** Holds delivery (events keep queueing), as a stopped consumer would; for backlogs in tests and benchmarks. */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    if (this.queue.length > 0) this.send([]);
  }

  /** Enqueues events; the hub's enqueued time is stamped here, as the broker would. */
  send(events: readonly ChannelEvent[]): void {
    if (this.stopped) throw new Error('The event channel is stopped');
    const now = this.clock.now().toISOString();
    for (const e of events) {
      this.queue.push({
        ...e,
        systemProperties: { ...e.systemProperties, 'iothub-enqueuedtime': now },
        enqueuedTimeUtc: now,
        sequenceNumber: ++this.sequence,
      });
    }
    if (this.paused) return;
    this.pumping ??= this.pump().finally(() => {
      this.pumping = undefined;
      if (this.queue.length > 0 && !this.stopped && !this.paused) this.send([]);
      else for (const resolve of this.idle.splice(0)) resolve();
    });
  }

  oldestUnprocessed(): Promise<Date | null> {
    const oldest = this.inFlight[0] ?? this.queue[0];
    return Promise.resolve(oldest ? new Date(oldest.enqueuedTimeUtc) : null);
  }

  /** Resolves once everything published so far has been handled. */
  drained(): Promise<void> {
    if (!this.pumping && (this.queue.length === 0 || this.paused)) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.pumping;
    for (const w of this.waiting.splice(0)) w.reject(new Error('The event channel stopped'));
  }

  private async pump(): Promise<void> {
    while (this.queue.length > 0 && !this.stopped && !this.paused) {
      // Like the trigger's batch wait: under a stream of single messages, let a batch fill a
      // little, so one identity's events become one write instead of one write each.
      if (this.queue.length < this.options.maxBatchSize && this.options.lingerMs > 0) {
        await new Promise((r) => setTimeout(r, this.options.lingerMs));
      }
      this.inFlight = this.queue.splice(0, this.options.maxBatchSize);
      for (;;) {
        try {
          await this.handler(
            this.inFlight.map((e) => e.body),
            this.context(this.inFlight),
          );
          this.processed = this.inFlight.at(-1)?.sequenceNumber ?? this.processed;
          this.waiting = this.waiting.filter(
            (w) => w.upTo > this.processed || (w.resolve(), false),
          );
          break;
        } catch (error) {
          this.logger.error(
            `Liveness batch of ${this.inFlight.length} failed; redelivering`,
            error,
          );
          if (this.stopped) return;
          await new Promise((r) => setTimeout(r, this.options.retryDelayMs));
        }
      }
      this.inFlight = [];
    }
  }

  private context(batch: Enqueued[]): InvocationContext {
    return new InvocationContext({
      functionName: 'livenessIngest',
      invocationId: randomUUID(),
      logHandler: (level, ...args) => {
        if (level === 'error') this.logger.error(args.map(String).join(' '));
        else if (level === 'warning') this.logger.warn(args.map(String).join(' '));
      },
      triggerMetadata: {
        systemPropertiesArray: batch.map((e) =>
          camelKeys({
            ...e.systemProperties,
            SequenceNumber: e.sequenceNumber,
            EnqueuedTimeUtc: e.enqueuedTimeUtc,
            PartitionKey: e.partitionKey,
          }),
        ),
        propertiesArray: batch.map((e) => camelKeys(e.properties)),
        enqueuedTimeUtcArray: batch.map((e) => e.enqueuedTimeUtc),
        sequenceNumberArray: batch.map((e) => e.sequenceNumber),
        offsetArray: batch.map((e) => String(e.sequenceNumber)),
        partitionKeyArray: batch.map((e) => e.partitionKey),
        partitionContext: {
          consumerGroup: '$Default',
          eventHubName: this.options.eventHubName,
          partitionId: '0',
        },
      },
    });
  }
}

/** The channel as the composition root's event transport (lifecycle, telemetry and probe). */
export function channelTransport(channel: InProcessEventChannel): EventTransport {
  return {
    lifecycle: channel,
    telemetry: {
      publish: (messages: readonly TelemetryMessage[]) => {
        channel.send(messages);
        return Promise.resolve();
      },
    },
    probe: channel,
    close: () => channel.stop(),
  };
}
