import {
  EventHubConsumerClient,
  earliestEventPosition,
  type PartitionContext,
  type ReceivedEventData,
  type Subscription,
} from '@azure/event-hubs';
import { BlobCheckpointStore } from '@azure/eventhubs-checkpointstore-blob';
import { InvocationContext } from '@azure/functions';
import type { ContainerClient } from '@azure/storage-blob';
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { camelKeys } from './hostTriggerMetadata';
import type { Logger } from '../src/ports/Logger';
import { portlessCheckpointStore } from './portlessCheckpointStore';

type EventHubHandler = (messages: unknown[], context: InvocationContext) => Promise<unknown>;

export interface LocalEventHubTriggerOptions {
  connection: string;
  eventHubName: string;
  consumerGroup: string;
  /** Where partition ownership and checkpoints live (the Functions host uses its storage account). */
  checkpoints: ContainerClient;
  maxBatchSize: number;
  /** Events requested ahead of the handler, per partition (the host's `prefetchCount`). */
  prefetchCount: number;
  /** How long a partition's batch may wait to fill (the host's `maxWaitTime`). */
  maxWaitTimeInSeconds: number;
  /** Longest wait before a failed batch is handed over again. */
  maxRetryMs: number;
  /**
   * How often a host renews and balances its partitions, and how long an owner that stopped
   * renewing (a crashed host) keeps them: another host takes them over after that.
   */
  ownershipRenewalMs?: number;
  ownershipExpiryMs?: number;
  /**
   * Checkpoints are written at most this often per partition (the newest handled event), not
   * after every batch; a crash replays at most this window, which the handlers tolerate.
   * 0: after every batch. A stop writes what is pending.
   */
  checkpointIntervalMs?: number;
}

/** The default checkpoint interval. */
export const CHECKPOINT_INTERVAL_MS = 1_000;

/**
 * Runs an Event Hubs-triggered function (cardinality `many`) as the Functions host does: an
 * `EventHubConsumerClient` with a blob checkpoint store, so several hosts share the partitions
 * through ownership; each batch goes to the handler with the host's `triggerMetadata`; the
 * checkpoint moves only after the handler succeeded. A failed batch is handed over again, with
 * backoff, until it succeeds (the `untilDone` retry policy `functions/` registers); a host that
 * dies resumes from the last checkpoint, so every event is delivered at least once.
 */
export class LocalEventHubTrigger {
  private readonly client: EventHubConsumerClient;
  private subscription: Subscription | undefined;
  private readonly stopping = new AbortController();
  private stopped: Promise<void> | undefined;
  /** Batches being handled now (one per partition at most). */
  private readonly inFlight = new Set<Promise<unknown>>();
  /** The last sequence number handled successfully, per partition, by this host. */
  private readonly handled = new Map<string, number>();
  /** The newest handled event of each partition whose checkpoint is not written yet. */
  private readonly unsaved = new Map<
    string,
    { context: PartitionContext; event: ReceivedEventData }
  >();
  private saveTimer: NodeJS.Timeout | undefined;
  private saving: Promise<void> = Promise.resolve();

  constructor(
    readonly name: string,
    private readonly handler: EventHubHandler,
    private readonly logger: Logger,
    private readonly options: LocalEventHubTriggerOptions,
  ) {
    this.client = new EventHubConsumerClient(
      options.consumerGroup,
      options.connection,
      options.eventHubName,
      portlessCheckpointStore(new BlobCheckpointStore(options.checkpoints)),
      {
        // Claim a fair share at once rather than one partition per renewal.
        loadBalancingOptions: {
          strategy: 'greedy',
          updateIntervalInMs: options.ownershipRenewalMs ?? 2_000,
          partitionOwnershipExpirationIntervalInMs: options.ownershipExpiryMs ?? 10_000,
        },
      },
    );
  }

  async start(): Promise<void> {
    await this.options.checkpoints.createIfNotExists();
    this.subscription = this.client.subscribe(
      {
        processEvents: (events, context) => this.process(events, context),
        processError: (error, context) => {
          if (this.stopping.signal.aborted) return Promise.resolve();
          this.logger.warn(
            `${this.name}: partition ${context.partitionId || '(none)'}: ${error.message}`,
          );
          return Promise.resolve();
        },
      },
      {
        maxBatchSize: this.options.maxBatchSize,
        maxWaitTimeInSeconds: this.options.maxWaitTimeInSeconds,
        prefetchCount: this.options.prefetchCount,
        // A consumer group without checkpoints starts at the beginning, as the trigger does.
        startPosition: earliestEventPosition,
      },
    );
    return Promise.resolve();
  }

  /** Stops taking batches; a batch under way finishes (and is checkpointed) unless it is failing. */
  stop(): Promise<void> {
    this.stopped ??= this.close();
    return this.stopped;
  }

  private async close(): Promise<void> {
    this.stopping.abort();
    await Promise.allSettled([...this.inFlight]);
    clearTimeout(this.saveTimer);
    await this.saveCheckpoints();
    await this.subscription?.close();
    await this.client.close();
  }

  /**
   * Whether this host has handled every event the hub holds (tests and benchmarks wait for
   * it). Only meaningful while this host owns every partition.
   */
  async caughtUp(): Promise<boolean> {
    for (const id of await this.client.getPartitionIds()) {
      const p = await this.client.getPartitionProperties(id);
      if (!p.isEmpty && (this.handled.get(id) ?? -1) < p.lastEnqueuedSequenceNumber) return false;
    }
    return true;
  }

  private async process(events: ReceivedEventData[], context: PartitionContext): Promise<void> {
    if (events.length === 0 || this.stopping.signal.aborted) return;
    const run = this.deliver(events, context);
    this.inFlight.add(run);
    try {
      await run;
    } finally {
      this.inFlight.delete(run);
    }
  }

  private async deliver(events: ReceivedEventData[], context: PartitionContext): Promise<void> {
    for (let failures = 0; ; failures++) {
      try {
        await this.handler(
          events.map((e): unknown => e.body),
          this.invocation(events, context),
        );
        this.handled.set(context.partitionId, events.at(-1)!.sequenceNumber);
        if (failures > 0)
          this.logger.info(
            `${this.name}: partition ${context.partitionId} goes on (its batch succeeded after ${failures + 1} attempts)`,
          );
        break;
      } catch (error) {
        // Once per run of failures: an outage retries for as long as it lasts.
        if (failures === 0)
          this.logger.error(
            `${this.name}: a batch of ${events.length} event(s) from partition ${context.partitionId} failed; it will be handed over again until it succeeds`,
            error,
          );
        const wait = Math.min(this.options.maxRetryMs, 100 * 2 ** Math.min(failures, 10));
        await delay(wait, undefined, { signal: this.stopping.signal }).catch(() => undefined);
        // Stopped before it succeeded: no checkpoint, the next owner gets the batch again.
        if (this.stopping.signal.aborted) throw error;
      }
    }
    this.unsaved.set(context.partitionId, { context, event: events.at(-1)! });
    const interval = this.options.checkpointIntervalMs ?? CHECKPOINT_INTERVAL_MS;
    if (interval === 0) await this.saveCheckpoints();
    else
      this.saveTimer ??= setTimeout(() => {
        this.saveTimer = undefined;
        void this.saveCheckpoints();
      }, interval);
  }

  /** Writes each partition's pending checkpoint; one save at a time, so none goes backwards. */
  private saveCheckpoints(): Promise<void> {
    this.saving = this.saving.then(async () => {
      const due = [...this.unsaved.values()];
      this.unsaved.clear();
      await Promise.all(
        due.map(async ({ context, event }) => {
          try {
            await context.updateCheckpoint(event);
          } catch (error) {
            // The next checkpoint covers this one; a crash before it redelivers both.
            this.logger.warn(
              `${this.name}: checkpoint of partition ${context.partitionId} failed: ${String(error)}`,
            );
          }
        }),
      );
    });
    return this.saving;
  }

  /** The `triggerMetadata` the Functions host builds for a batch (keys camel-cased, as it does). */
  private invocation(events: ReceivedEventData[], context: PartitionContext): InvocationContext {
    const enqueued = events.map((e) => e.enqueuedTimeUtc.toISOString());
    return new InvocationContext({
      functionName: this.name,
      invocationId: randomUUID(),
      logHandler: (level, ...args) => {
        if (level === 'error') this.logger.error(args.map(String).join(' '));
        else if (level === 'warning') this.logger.warn(args.map(String).join(' '));
      },
      triggerMetadata: {
        systemPropertiesArray: events.map((e, i) =>
          camelKeys({
            ...e.systemProperties,
            'x-opt-sequence-number': e.sequenceNumber,
            'x-opt-offset': e.offset,
            'x-opt-enqueued-time': enqueued[i],
            ...(e.partitionKey === null ? {} : { 'x-opt-partition-key': e.partitionKey }),
            SequenceNumber: e.sequenceNumber,
            Offset: e.offset,
            PartitionKey: e.partitionKey,
            EnqueuedTimeUtc: enqueued[i],
            ...(e.messageId === undefined ? {} : { MessageId: e.messageId }),
            ...(e.correlationId === undefined ? {} : { CorrelationId: e.correlationId }),
            ...(e.contentType === undefined ? {} : { ContentType: e.contentType }),
          }),
        ),
        propertiesArray: events.map((e) => camelKeys(e.properties ?? {})),
        enqueuedTimeUtcArray: enqueued,
        sequenceNumberArray: events.map((e) => e.sequenceNumber),
        offsetArray: events.map((e) => e.offset),
        partitionKeyArray: events.map((e) => e.partitionKey),
        partitionContext: {
          consumerGroup: context.consumerGroup,
          eventHubName: context.eventHubName,
          fullyQualifiedNamespace: context.fullyQualifiedNamespace,
          partitionId: context.partitionId,
        },
      },
    });
  }
}
