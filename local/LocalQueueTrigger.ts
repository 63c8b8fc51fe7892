import { InvocationContext } from '@azure/functions';
import type { QueueClient } from '@azure/storage-queue';
import { randomUUID } from 'node:crypto';
import type { Logger } from '../src/ports/Logger';

type QueueHandler = (message: unknown, context: InvocationContext) => Promise<void>;

export interface LocalQueueTriggerOptions {
  /** Messages handled at once. */
  concurrency: number;
  /** How long a received message stays invisible; renewed while its handler runs. */
  visibilitySeconds: number;
  /** Deliveries before a message goes to `<queue>-poison`, as the Functions host does. */
  maxDequeueCount: number;
  maxPollMs: number;
}

/**
 * Runs a queue-triggered function as the Functions host does: polls the queue (backing off while
 * it is empty), keeps a message invisible while its handler runs, deletes it on success, lets it
 * come back on failure, and moves it to the poison queue after maxDequeueCount deliveries.
 * `abandon()` stops everything without cleaning up, as a crash would.
 */
export class LocalQueueTrigger {
  private stopped = false;
  private abandoned = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly running = new Set<Promise<void>>();
  private wake: (() => void) | undefined;

  constructor(
    private readonly name: string,
    private readonly queue: QueueClient,
    private readonly poison: QueueClient,
    private readonly handler: QueueHandler,
    private readonly logger: Logger,
    private readonly options: LocalQueueTriggerOptions,
  ) {}

  async start(): Promise<void> {
    await this.queue.createIfNotExists();
    await this.poison.createIfNotExists();
    void this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.wake?.();
    // An abandoned handler may never return: it is a dead worker's.
    if (!this.abandoned) await Promise.allSettled([...this.running]);
  }

  /** Stops polling and renewing at once, leaving messages and handlers as they are. */
  abandon(): void {
    this.abandoned = true;
    this.stopped = true;
    clearTimeout(this.timer);
    this.wake?.();
  }

  private async loop(): Promise<void> {
    let delay = 50;
    let pollFailing = false;
    while (!this.stopped) {
      const free = this.options.concurrency - this.running.size;
      let received = 0;
      if (free > 0) {
        try {
          const { receivedMessageItems } = await this.queue.receiveMessages({
            numberOfMessages: Math.min(free, 32),
            visibilityTimeout: this.options.visibilitySeconds,
          });
          received = receivedMessageItems.length;
          if (pollFailing) this.logger.info(`${this.name}: polling works again`);
          pollFailing = false;
          for (const m of receivedMessageItems) {
            if (this.stopped) break;
            const work = this.handle(m).finally(() => {
              this.running.delete(work);
              this.wake?.();
            });
            this.running.add(work);
          }
        } catch (error) {
          // Once per run of failures: the queue is polled again for as long as it is down.
          if (!this.stopped && !pollFailing)
            this.logger.warn(`${this.name}: polling failed: ${String(error)}`);
          pollFailing = true;
        }
      }
      delay = received > 0 ? 50 : Math.min(delay * 2, this.options.maxPollMs);
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.timer = setTimeout(resolve, received > 0 && free > received ? 0 : delay);
      });
    }
  }

  private async handle(m: {
    messageId: string;
    popReceipt: string;
    messageText: string;
    dequeueCount: number;
    insertedOn: Date;
    expiresOn: Date;
    nextVisibleOn: Date;
  }): Promise<void> {
    let popReceipt = m.popReceipt;
    if (m.dequeueCount > this.options.maxDequeueCount) {
      await this.poison.sendMessage(m.messageText);
      await this.queue.deleteMessage(m.messageId, popReceipt);
      return;
    }
    // Renew invisibility at a third of its length while the handler runs.
    const renew = setInterval(
      () => {
        if (this.abandoned) return clearInterval(renew);
        this.queue
          .updateMessage(m.messageId, popReceipt, undefined, this.options.visibilitySeconds)
          .then((r) => {
            if (r.popReceipt) popReceipt = r.popReceipt;
          })
          .catch(() => undefined);
      },
      (this.options.visibilitySeconds * 1000) / 3,
    );
    const context = new InvocationContext({
      functionName: this.name,
      invocationId: randomUUID(),
      triggerMetadata: {
        id: m.messageId,
        dequeueCount: m.dequeueCount,
        insertionTime: m.insertedOn.toISOString(),
        expirationTime: m.expiresOn.toISOString(),
        nextVisibleTime: m.nextVisibleOn.toISOString(),
        popReceipt,
      },
      logHandler: (level, ...args) => {
        if (level === 'error') this.logger.error(args.map(String).join(' '));
        else if (level === 'warning') this.logger.warn(args.map(String).join(' '));
      },
    });
    let body: unknown = m.messageText;
    try {
      const text = Buffer.from(m.messageText, 'base64').toString('utf8');
      body = JSON.parse(text);
    } catch {
      // Not base64 JSON: hand over the text, as the host does.
    }
    try {
      await this.handler(body, context);
      clearInterval(renew);
      if (!this.abandoned) await this.queue.deleteMessage(m.messageId, popReceipt);
    } catch (error) {
      clearInterval(renew);
      if (this.abandoned) return;
      this.logger.warn(`${this.name} failed (delivery ${m.dequeueCount}): ${String(error)}`);
      await this.queue.updateMessage(m.messageId, popReceipt, undefined, 1).catch(() => undefined);
    }
  }
}
