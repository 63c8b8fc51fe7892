/** Wakes a worker for a job: the message names the job, the job record says what to do. */
export interface JobQueue {
  enqueue(jobId: string, delaySeconds?: number): Promise<void>;
}

/** The queue message's body, as the queue trigger hands it over. */
export interface JobMessage {
  jobId: string;
}
