import type { InvocationContext } from '@azure/functions';
import { z } from 'zod';
import type { JobWorker } from '../application/jobs/JobWorker';

const jobMessage = z.object({ jobId: z.string().min(1).max(128) });

/**
 * The Storage queue trigger: runs one slice of the job the message names. A message that names
 * no job is dropped (retrying cannot fix it); a worker failure is thrown so the message comes
 * back and the job resumes from its checkpoint.
 */
export function jobQueueHandler(worker: () => Promise<{ jobWorker: JobWorker }>) {
  return async (message: unknown, context: InvocationContext): Promise<void> => {
    const parsed = jobMessage.safeParse(message);
    if (!parsed.success) {
      context.warn('Dropped a job message that names no job');
      return;
    }
    const dequeueCount = Number(context.triggerMetadata?.dequeueCount ?? 1);
    const { jobWorker } = await worker();
    await jobWorker.run(parsed.data.jobId, Number.isFinite(dequeueCount) ? dequeueCount : 1);
  };
}
