import { ChangeFeedStartFrom, type Container } from '@azure/cosmos';
import { InvocationContext } from '@azure/functions';
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from '../src/ports/Logger';

type ChangeFeedHandler = (documents: unknown[], context: InvocationContext) => Promise<void>;

export interface LocalChangeFeedTriggerOptions {
  /** How long to wait when the feed has nothing new (for writers that do not wake it). */
  pollMs: number;
  maxItemCount: number;
  /** Longest wait before a failed batch is handed over again. */
  maxRetryMs: number;
  /**
   * Writes of this process that wake the trigger: it then reads the feed after `coalesceMs`
   * (so writes made meanwhile share the batch), instead of at its next poll.
   */
  wakeup?: { subscribe(listener: () => void): () => void };
  coalesceMs?: number;
}

const statusOf = (e: unknown) => (e as { code?: unknown } | null)?.code;

/**
 * Runs a Cosmos DB-triggered function as the Functions host does with a retry policy: reads the
 * container's change feed, hands each batch to the handler, and moves its lease (a document in
 * the lease container holding the feed's continuation) only after the handler succeeded. A
 * failed batch is handed over again, with backoff, from the last lease; a process that dies
 * resumes from it, so every change is delivered at least once. `abandon()` stops at once, as a
 * crash would.
 */
export class LocalChangeFeedTrigger {
  private stopped = false;
  private running: Promise<void> | undefined;
  private readonly stopping = new AbortController();
  /** Set by a wake-up; cleared just before the feed is read, so none is missed. */
  private woken = false;
  private idle: AbortController | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly name: string,
    private readonly monitored: Container,
    private readonly leases: Container,
    private readonly handler: ChangeFeedHandler,
    private readonly logger: Logger,
    private readonly options: LocalChangeFeedTriggerOptions,
  ) {}

  start(): Promise<void> {
    this.unsubscribe = this.options.wakeup?.subscribe(() => {
      this.woken = true;
      this.idle?.abort();
    });
    this.running = this.loop();
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    this.abandon();
    await this.running;
  }

  abandon(): void {
    this.unsubscribe?.();
    this.stopped = true;
    this.stopping.abort();
    this.idle?.abort();
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        await this.follow(() => {
          if (failures > 0)
            this.logger.info(`${this.name}: goes on (after ${failures} failed attempts)`);
          failures = 0;
        });
      } catch (error) {
        if (this.stopped) return;
        // Once per run of failures: an outage retries for as long as it lasts.
        if (failures++ === 0)
          this.logger.error(
            `${this.name}: a change-feed batch failed; it will be handed over again until it succeeds`,
            error,
          );
        await this.pause(Math.min(this.options.maxRetryMs, 100 * 2 ** Math.min(failures, 10)));
      }
    }
  }

  /** Follows the feed from the lease until stopped; throws when a batch fails. */
  private async follow(succeeded: () => void): Promise<void> {
    const lease = await this.readLease();
    const iterator = this.monitored.items.getChangeFeedIterator({
      changeFeedStartFrom: lease
        ? ChangeFeedStartFrom.Continuation(lease)
        : ChangeFeedStartFrom.Beginning(),
      maxItemCount: this.options.maxItemCount,
    });
    while (!this.stopped) {
      this.woken = false;
      const page = await iterator.readNext();
      const documents = (page.result ?? []) as unknown[];
      if (documents.length > 0) {
        const context = new InvocationContext({
          invocationId: randomUUID(),
          functionName: this.name,
          logHandler: (level, ...args) => {
            if (level === 'error') this.logger.error(args.map(String).join(' '));
          },
        });
        await this.handler(documents, context);
        if (this.stopped) return; // a crash here leaves the batch for the next start
        await this.writeLease(page.continuationToken);
        succeeded();
        // A full page: more is waiting. Otherwise wait as after an empty one.
        if (documents.length < this.options.maxItemCount) await this.waitForChanges();
      } else {
        succeeded();
        await this.waitForChanges();
      }
    }
  }

  /** Until a wake-up (then a little longer, for writes under way) or the next poll. */
  private async waitForChanges(): Promise<void> {
    if (!this.woken) {
      this.idle = new AbortController();
      if (this.stopped) return;
      await delay(this.options.pollMs, undefined, { signal: this.idle.signal }).catch(
        () => undefined,
      );
      this.idle = undefined;
    }
    if (this.woken && this.options.coalesceMs) await this.pause(this.options.coalesceMs);
  }

  private async readLease(): Promise<string | undefined> {
    try {
      const { resource } = await this.leases
        .item(this.name, this.name)
        .read<{ continuation?: string }>();
      return resource?.continuation;
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  private async writeLease(continuation: string): Promise<void> {
    await this.leases.items.upsert({ id: this.name, continuation });
  }

  private async pause(ms: number): Promise<void> {
    await delay(ms, undefined, { signal: this.stopping.signal }).catch(() => undefined);
  }
}
