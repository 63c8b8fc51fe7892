import type { QueueClient } from '@azure/storage-queue';
import type { JobMessage, JobQueue } from '../../ports/JobQueue';

/**
 * Job messages on an Azure Storage queue, base64-encoded JSON as the Functions queue trigger
 * expects by default.
 */
export class StorageJobQueue implements JobQueue {
  constructor(private readonly queue: QueueClient) {}

  async enqueue(jobId: string, delaySeconds = 0): Promise<void> {
    const message: JobMessage = { jobId };
    await this.queue.sendMessage(Buffer.from(JSON.stringify(message)).toString('base64'), {
      visibilityTimeout: delaySeconds,
    });
  }
}
