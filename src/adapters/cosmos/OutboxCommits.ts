/**
 * Tells this process's relay that a write of this process committed an outbox record, so it
 * reads the change feed now instead of at its next poll (which it keeps for other writers).
 */
export class OutboxCommits {
  private readonly listeners = new Set<() => void>();

  committed(): void {
    for (const listener of this.listeners) listener();
  }

  /** Returns the unsubscribe. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
