/**
 * A job cannot go on, for a reason the caller must fix (a container it cannot reach, a SAS without
 * the needed permission, a missing input blob). The message becomes the job's failureReason, so
 * it says what to fix and never holds a SAS signature.
 */
export class JobFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JobFailure';
  }
}
