import type rhea from 'rhea';
import type { PartitionLog } from './PartitionLog';

/**
 * A receiver of one partition for one consumer group: the broker's sending end of the client's
 * receiver link. It sends the partition's events from `next` on, never more than the link's
 * credit allows, and picks up again when credit or new events arrive.
 */
/** What rhea keeps on a sender and leaves out of its typings. */
interface SenderCounters {
  credit: number;
  delivery_count: number;
}

interface SessionOf {
  session: { outgoing: { available(): number } };
}

export class PartitionReader {
  private closed = false;
  private attached = false;
  /** Deliveries handed to rhea on this link. */
  private sent = 0;

  constructor(
    readonly link: rhea.Sender,
    readonly log: PartitionLog,
    readonly consumerGroup: string,
    /** `com.microsoft:epoch`, or null for a receiver without an owner level. */
    readonly ownerLevel: number | null,
    private next: number,
  ) {}

  /**
   * Starts sending on the next turn of the event loop: rhea writes a session's transfers before
   * its links' attach frames, so a transfer sent with the attach would reach the client on a
   * handle it does not know yet.
   */
  start(): void {
    setImmediate(() => {
      this.attached = true;
      this.pump();
    });
  }

  /**
   * rhea counts credit down only when a delivery goes on the wire, and queues what is sent
   * beyond it in the session, ahead of every other link's deliveries (a $cbs reply would wait
   * behind a partition's backlog): so the credit left is the link's credit less what is
   * queued and not yet written.
   */
  private get credit(): number {
    const { credit, delivery_count } = this.link as unknown as SenderCounters;
    return credit - (this.sent - delivery_count);
  }

  /**
   * Room in the session's outgoing buffer, which every receiver on the session shares (rhea
   * throws past it): when it is full, rhea says 'sendable' again once it drained.
   */
  private get sessionRoom(): number {
    return (this.link as unknown as SessionOf).session.outgoing.available();
  }

  pump(): void {
    if (!this.attached) return;
    while (
      !this.closed &&
      this.next < this.log.nextSequence &&
      this.credit > 0 &&
      this.sessionRoom > 0
    ) {
      const event = this.log.eventAt(this.next);
      if (!event) {
        // Retention dropped what this reader had not read yet: go on from what is left.
        if (this.next >= this.log.beginSequence) return;
        this.next = this.log.beginSequence;
        continue;
      }
      // Stored with its annotations already stamped: sent as is (format 0, pre-settled).
      this.link.send(this.log.read(event), undefined, 0);
      this.sent++;
      this.next++;
    }
  }

  close(error?: rhea.AmqpError): void {
    if (this.closed) return;
    this.closed = true;
    if (error) this.link.close(error);
  }
}
