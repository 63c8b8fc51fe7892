import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import type { ErrorCode } from '../../domain/errors/ErrorCode';
import { ERROR_STATUS } from '../errorStatus';
import type { HttpRoute } from '../HttpRoute';
import { errorReply } from './replySchemas';

/** Errors every authenticated service route can answer. */
const COMMON: ErrorCode[] = [
  'IotHubUnauthorizedAccess',
  'InvalidProtocolVersion',
  'ThrottlingException',
  'ServiceUnavailable',
];

/** OpenAPI has no catch-all parameter: `{*path}` is documented as `{path}`. */
export const documentedPath = (route: string): string => route.replace(/\{\*(\w+)\}/g, '{$1}');

/**
 * The OpenAPI 3.1 description of the route table, from the zod schemas the handlers validate
 * with and the reply schemas: every route, its body, its success and its errors.
 */
export function openApiDocument(table: readonly HttpRoute[]): Record<string, unknown> {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'sas', {
    type: 'apiKey',
    in: 'header',
    name: 'Authorization',
    description:
      'SharedAccessSignature sr=<host>&sig=<signature>&se=<expiry>&skn=<policy> (a device token on the device endpoint)',
  });
  for (const route of table) {
    const { doc } = route;
    const names = [...route.route.matchAll(/\{\*?(\w+)\}/g)].map((m) => m[1] as string);
    const params = names.length
      ? z.object(Object.fromEntries(names.map((n) => [n, z.string()])))
      : undefined;
    const errors = new Map<number, ErrorCode[]>();
    for (const code of [...doc.errors, ...(doc.anonymous ? [] : COMMON)])
      errors.set(ERROR_STATUS[code], [...(errors.get(ERROR_STATUS[code]) ?? []), code]);
    const [status, reply] = doc.success;
    for (const method of route.methods)
      registry.registerPath({
        method: method.toLowerCase() as 'get',
        path: `/${documentedPath(route.route)}`,
        operationId: route.methods.length > 1 ? `${route.name}${method}` : route.name,
        summary: doc.summary,
        security: doc.anonymous ? [] : [{ sas: [] }],
        request: {
          ...(params ? { params } : {}),
          ...(doc.anonymous ? {} : { query: z.object({ 'api-version': z.string().optional() }) }),
          ...(doc.body ? { body: { content: { 'application/json': { schema: doc.body } } } } : {}),
        },
        responses: {
          [status]: {
            description: 'Success',
            ...(reply ? { content: { 'application/json': { schema: reply } } } : {}),
            ...(doc.contentType
              ? { content: { [doc.contentType]: { schema: { type: 'string' } } } }
              : {}),
          },
          ...Object.fromEntries(
            [...errors].map(([code, names]) => [
              code,
              {
                description: names.join(', '),
                content: { 'application/json': { schema: errorReply } },
              },
            ]),
          ),
        },
      });
  }
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'IoT identity registry and liveness monitor',
      version: '2021-04-12',
      description:
        "Azure IoT Hub's identity registry service API (api-version 2021-04-12), its device endpoint, and the liveness monitor.",
    },
  }) as unknown as Record<string, unknown>;
}
