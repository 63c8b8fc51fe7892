import type { HttpHandler, HttpRequest, HttpResponseInit } from '@azure/functions';
import { performance } from 'node:perf_hooks';
import { authorizeServiceRequest } from '../domain/auth/authorizeServiceRequest';
import type { AccessRight } from '../domain/auth/SharedAccessPolicy';
import { isRegistryError, RegistryError } from '../domain/errors/RegistryError';
import { RETRY_AFTER_SECONDS } from '../application/health/DependencyHealth';
import type { RegistryServices, ServicesProvider } from './RegistryServices';
import { checkApiVersion } from './apiVersion';
import { errorResponse, registryErrorResponse } from './errorResponse';
import { requestPath } from './requestPath';
import { withOperation } from '../adapters/logging/operationContext';

export type ServiceHandler = (
  request: HttpRequest,
  services: RegistryServices,
) => Promise<HttpResponseInit>;

/**
 * What a token must cover: the hub's configured host names with the request's path. Never the
 * host the request names (Host header, absolute URI): that is the caller's to choose.
 */
function requestedResources(request: HttpRequest, hostNames: readonly string[]): string[] {
  const path = requestPath(request);
  return hostNames.map((host) => `${host}${path}`);
}

/**
 * Wraps a service-API handler: SAS authorization with the right permission, api-version, and
 * the one translation of errors into wire responses. Unknown errors are logged and become a
 * generic 500 that reveals nothing.
 */
export function serviceEndpoint(
  right: AccessRight,
  getServices: ServicesProvider,
  handle: ServiceHandler,
): HttpHandler {
  return (request, context) =>
    // One operation per request: its log lines carry the invocation's id.
    withOperation(context.invocationId, async () => {
      const started = performance.now();
      let services: RegistryServices | undefined;
      let response: HttpResponseInit;
      try {
        services = await getServices().catch((error: unknown) => {
          // Start-up needs the stores: a caller can only wait until they answer.
          context.error('The service could not start', error);
          throw new RegistryError(
            'ServiceUnavailable',
            `The service cannot reach its stores yet: retry after ${RETRY_AFTER_SECONDS} seconds`,
            RETRY_AFTER_SECONDS,
          );
        });
        const now = services.clock.now();
        const authorization = request.headers.get('authorization');
        const resources = requestedResources(request, services.hostNames);
        let lastError: unknown;
        const ready = services;
        const granted = resources.some((resource) => {
          try {
            authorizeServiceRequest(ready.policies, { authorization, resource, right, now });
            return true;
          } catch (error) {
            lastError ??= error;
            return false;
          }
        });
        if (!granted) throw lastError;
        checkApiVersion(request.query.get('api-version'), now);
        response = await handle(request, services);
      } catch (error) {
        if (isRegistryError(error)) response = registryErrorResponse(error);
        else {
          context.error('Unhandled error in', context.functionName, error);
          response = errorResponse(
            'ServerError',
            'The registry failed unexpectedly: retry, and report it if it persists',
          );
        }
      }
      services?.metrics.request(
        context.functionName,
        response.status ?? 200,
        performance.now() - started,
      );
      return response;
    });
}
