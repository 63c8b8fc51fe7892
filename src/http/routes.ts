import type { ServicesProvider } from '../composition/RegistryServices';
import { deviceRoutes } from './deviceRoutes';
import { dashboardFiles } from './handlers/dashboardFiles';
import type { HttpRoute } from './HttpRoute';
import { jsonResponse } from './jsonResponse';
import { openApiDocument } from './openapi/openApiDocument';
import { registryRoutes } from './registryRoutes';

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
      handler: () => Promise.resolve(jsonResponse(200, (document ??= openApiDocument(table)))),
    },
    {
      name: 'health',
      methods: ['GET'],
      route: 'health',
      // For probes: the process answers and its services (stores, hubs) could be built.
      handler: async (_request, context) => {
        try {
          await services();
          return jsonResponse(200, { status: 'ok' });
        } catch (error) {
          context.error('Health check failed', error);
          return jsonResponse(503, { status: 'degraded' });
        }
      },
    },
    // The operators' dashboard: static files; it reads through the API above like any client.
    { name: 'dashboard', methods: ['GET'], route: 'ui/{*path}', handler: dashboardFiles() },
  );
  return table;
};
