import { z } from 'zod';
import { WRITE_ERRORS } from '../openapi/RouteDoc';
import { jobReply } from '../openapi/replySchemas';
import { jobBodySchema } from '../schemas/jobSchema';
import type { ServicesProvider } from '../RegistryServices';
import { cancelJob, createJob, getJob, listJobs } from '../handlers/jobHandlers';
import type { HttpRoute } from '../HttpRoute';
import { httpEndpoint, type ServiceHandler } from '../httpEndpoint';

/** Import and export jobs: IoT Hub's service API paths, each with its OpenAPI description. */
export function jobRoutes(services: ServicesProvider): HttpRoute[] {
  const read = (h: ServiceHandler) => httpEndpoint('RegistryRead', services, h);
  const write = (h: ServiceHandler) => httpEndpoint('RegistryWrite', services, h);
  return [
    {
      name: 'createJob',
      methods: ['POST'],
      route: 'jobs/create',
      doc: {
        summary: 'Start an import or export job',
        body: jobBodySchema,
        success: [200, jobReply],
        errors: [...WRITE_ERRORS, 'JobQuotaExceeded', 'ServiceUnavailable'],
      },
      handler: write(createJob),
    },
    {
      name: 'listJobs',
      methods: ['GET'],
      route: 'jobs',
      doc: { summary: 'The newest 1,000 jobs', success: [200, z.array(jobReply)], errors: [] },
      handler: read(listJobs),
    },
    {
      name: 'getJob',
      methods: ['GET'],
      route: 'jobs/{jobId}',
      doc: { summary: 'Read a job', success: [200, jobReply], errors: ['JobNotFound'] },
      handler: read(getJob),
    },
    {
      name: 'cancelJob',
      methods: ['DELETE'],
      route: 'jobs/{jobId}',
      doc: { summary: 'Cancel a job', success: [200, jobReply], errors: ['JobNotFound'] },
      handler: write(cancelJob),
    },
  ];
}
