import type { LifecycleNotification } from '../domain/lifecycle/LifecycleNotification';

/** The notifications of one committed write, waiting in the store until they are published. */
export interface OutboxRecord {
  deviceId: string;
  id: string;
  etag: string;
  notifications: LifecycleNotification[];
}

/** The outbox side of the registry store, as the relay sees it. */
export interface LifecycleOutbox {
  /**
   * The outbox records among changed documents (a change-feed batch), in feed order; other
   * documents are skipped, and ones that look like records but do not parse are counted.
   */
  recordsIn(documents: readonly unknown[]): { records: OutboxRecord[]; malformed: number };
  /** Removes published records; a record already gone is fine (another relay got there). */
  complete(records: readonly OutboxRecord[]): Promise<void>;
}
