import type { HttpHandler, HttpMethod } from '@azure/functions';
import type { RouteDoc } from './openapi/RouteDoc';

/** One HTTP function: registered with `app.http` in Azure and mounted by the local host. */
export interface HttpRoute {
  name: string;
  methods: HttpMethod[];
  /** Azure Functions route template, e.g. `devices/{deviceId}` (routePrefix is empty). */
  route: string;
  /** Its OpenAPI description, beside it so a route is added in one place. */
  doc: RouteDoc;
  handler: HttpHandler;
}
