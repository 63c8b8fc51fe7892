import type { ServicesProvider } from './RegistryServices';
import type { HttpRoute } from './HttpRoute';
import { twinRoutes } from './api/twinRoutes';
import { certificateRoutes } from './api/certificateRoutes';
import { identityRoutes } from './api/identityRoutes';
import { livenessRoutes } from './api/livenessRoutes';
import { jobRoutes } from './api/jobRoutes';
import { configurationRoutes } from './api/configurationRoutes';

/**
 * The registry's route table: IoT Hub's service API paths, by capability. Queries come first:
 * a literal segment (devices/query) must win over a parameter (devices/{deviceId}).
 */
export function registryRoutes(services: ServicesProvider): HttpRoute[] {
  return [
    ...twinRoutes(services),
    ...certificateRoutes(services),
    ...identityRoutes(services),
    ...livenessRoutes(services),
    ...jobRoutes(services),
    ...configurationRoutes(services),
  ];
}
