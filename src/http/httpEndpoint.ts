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

/** A token of a policy with `right` must cover one of the resources the request is for. */
function authorize(
  request: HttpRequest,
  services: RegistryServices,
  right: AccessRight,
  now: Date,
): void {
  const authorization = request.headers.get('authorization');
  let lastError: unknown;
  const granted = requestedResources(request, services.hostNames).some((resource) => {
    try {
      authorizeServiceRequest(services.policies, { authorization, resource, right, now });
      return true;
    } catch (error) {
      lastError ??= error;
      return false;
    }
  });
  if (!granted) throw lastError;
}

/**
 * Who may call: holders of a shared access policy with this right (the service API), or a
 * device that the handler authenticates with its own registry credentials.
 */
export type Access = AccessRight | 'device';

/**
 * The one wrapper of every API route, the device endpoint's included: one operation per
 * request, SAS authorization with the right permission (unless the device authenticates
 * itself), api-version, timing, and the one translation of errors into wire responses.
 * Unknown errors are logged and become a generic 500 that reveals nothing.
 */
export function httpEndpoint(
  access: Access,
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
        if (access !== 'device') authorize(request, services, access, now);
        checkApiVersion(request.query.get('api-version'), now);
        response = await handle(request, services);
      } catch (error) {
        if (isRegistryError(error)) response = registryErrorResponse(error);
        else {
          context.error('Unhandled error in', context.functionName, error);
          response = errorResponse(
            'ServerError',
            'The service failed unexpectedly: retry, and report it if it persists',
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
