import { z } from 'zod';
import { healthReply } from './openapi/replySchemas';
import type { InvocationContext } from '@azure/functions';
import { RETRY_AFTER_SECONDS } from '../application/health/DependencyHealth';
import type { HealthReport } from '../application/health/HealthCheck';
import type { ServicesProvider } from './RegistryServices';
import { deviceRoutes } from './api/deviceEndpointRoutes';
import { dashboardFiles } from './handlers/dashboardFiles';
import type { HttpRoute } from './HttpRoute';
import { jsonResponse } from './jsonResponse';
import { openApiDocument } from './openapi/openApiDocument';
import { registryRoutes } from './registryRoutes';

async function healthOf(
  services: ServicesProvider,
  context: InvocationContext,
): Promise<HealthReport> {
  try {
    return await (await services()).health.check();
  } catch (error) {
    context.error('Health check failed: the service could not start', error);
    return { ready: false, dependencies: [] };
  }
}

/** The one route table: what `functions/` registers and what the local host mounts. */
export const routes = (services: ServicesProvider): HttpRoute[] => {
  const table: HttpRoute[] = [...registryRoutes(services), ...deviceRoutes(services)];
  let document: Record<string, unknown> | undefined;
  table.push(
    {
      name: 'openApi',
      methods: ['GET'],
      route: 'openapi.json',
      // Built from this very table on first use: every route served is described.
      doc: {
        summary: 'This document',
        success: [200, z.record(z.string(), z.unknown())],
        errors: [],
        anonymous: true,
      },
      handler: () => Promise.resolve(jsonResponse(200, (document ??= openApiDocument(table)))),
    },
    {
      name: 'health',
      methods: ['GET'],
      route: 'health',
      // Liveness for probes: 200 while the process answers, with each dependency's state.
      doc: {
        summary:
          "Liveness probe: 200 while the process answers, with each dependency's state (probed at most every 2 s)",
        success: [200, healthReply],
        errors: [],
        anonymous: true,
      },
      handler: async (_request, context) => {
        const report = await healthOf(services, context);
        return jsonResponse(200, { status: report.ready ? 'ok' : 'degraded', ...report });
      },
    },
    {
      name: 'ready',
      methods: ['GET'],
      route: 'health/ready',
      // Readiness: 503 while a dependency is down, so a balancer sends traffic elsewhere.
      doc: {
        summary:
          'Readiness probe: 200 when every dependency answers; 503 with Retry-After and the same report while one is down',
        success: [200, healthReply],
        errors: [],
        anonymous: true,
      },
      handler: async (_request, context) => {
        const report = await healthOf(services, context);
        return report.ready
          ? jsonResponse(200, { status: 'ok', ...report })
          : jsonResponse(
              503,
              { status: 'degraded', ...report },
              { 'retry-after': String(RETRY_AFTER_SECONDS) },
            );
      },
    },
    // The operators' dashboard: static files; it reads through the API above like any client.
    {
      name: 'dashboard',
      methods: ['GET'],
      route: 'ui/{*path}',
      doc: {
        summary:
          'The operators’ dashboard: its static files (the page reads through this API with the operator’s token)',
        success: [200, null],
        errors: ['NotFound'],
        anonymous: true,
        contentType: 'text/html',
      },
      handler: dashboardFiles(),
    },
  );
  return table;
};
