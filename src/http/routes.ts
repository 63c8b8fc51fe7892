import type { ServicesProvider } from '../composition/RegistryServices';
import { deviceRoutes } from './deviceRoutes';
import type { HttpRoute } from './HttpRoute';
import { registryRoutes } from './registryRoutes';

/** The one route table: what `functions/` registers and what the local host mounts. */
export const routes = (services: ServicesProvider): HttpRoute[] => [
  ...registryRoutes(services),
  ...deviceRoutes(services),
];
