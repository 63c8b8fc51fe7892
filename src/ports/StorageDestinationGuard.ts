/** Decides whether a job may reach a container URI; refusals say which rule. */
export interface StorageDestinationGuard {
  /** Resolves when allowed; rejects with the reason (a sentence fragment) when not. */
  check(uri: string): Promise<void>;
}

export class DestinationRefused extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'DestinationRefused';
  }
}
