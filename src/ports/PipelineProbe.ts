/** Tells how far behind the consumer of the event stream is. */
export interface PipelineProbe {
  /** Enqueued time of the oldest event published but not yet processed, or null if none waits. */
  oldestUnprocessed(): Promise<Date | null>;
}
