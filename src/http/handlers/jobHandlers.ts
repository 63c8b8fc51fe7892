import { jobJson } from '../jobJson';
import { jsonResponse } from '../jsonResponse';
import { pathParam } from '../pathParam';
import { readJsonBody } from '../readJsonBody';
import { jobBodySchema } from '../schemas/jobSchema';
import type { ServiceHandler } from '../httpEndpoint';

/** `POST /jobs/create`: an import or export job, answered at once with the enqueued job. */
export const createJob: ServiceHandler = async (request, { jobs }) => {
  const body = await readJsonBody(request, jobBodySchema, 'job');
  const job = await jobs.create({
    type: body.type,
    inputBlobContainerUri: body.type === 'import' ? (body.inputBlobContainerUri ?? null) : null,
    outputBlobContainerUri: body.outputBlobContainerUri ?? '',
    inputBlobName: body.inputBlobName ?? 'devices.txt',
    outputBlobName:
      body.outputBlobName ?? (body.type === 'export' ? 'devices.txt' : 'importErrors.log'),
    excludeKeysInExport: body.type === 'export' && (body.excludeKeysInExport ?? false),
    storageAuthenticationType: body.storageAuthenticationType ?? 'keyBased',
  });
  return jsonResponse(200, jobJson(job));
};

export const getJob: ServiceHandler = async (request, { jobs }) =>
  jsonResponse(200, jobJson(await jobs.get(pathParam(request, 'jobId'))));

export const listJobs: ServiceHandler = async (_request, { jobs }) =>
  jsonResponse(200, (await jobs.list()).map(jobJson));

/** `DELETE /jobs/{id}`: 200 with the job, cancelled unless it had already ended. */
export const cancelJob: ServiceHandler = async (request, { jobs }) =>
  jsonResponse(200, jobJson(await jobs.cancel(pathParam(request, 'jobId'))));
