/**
 * The bytes of request bodies the host holds at once, over all requests: past it, a request
 * whose body is being read is answered 503, so no mix of callers can grow the process without
 * bound. Bytes are taken as they arrive and given back when the request is answered.
 */
export class BodyBudget {
  private held = 0;

  constructor(readonly limitBytes: number) {}

  take(bytes: number): boolean {
    if (this.held + bytes > this.limitBytes) return false;
    this.held += bytes;
    return true;
  }

  give(bytes: number): void {
    this.held = Math.max(0, this.held - bytes);
  }

  get heldBytes(): number {
    return this.held;
  }
}
