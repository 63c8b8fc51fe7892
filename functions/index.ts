import { app } from '@azure/functions';
import { servicesFromEnvironment } from '../src/composition/servicesFromEnvironment';
import { registryRoutes } from '../src/http/registryRoutes';

for (const route of registryRoutes(servicesFromEnvironment)) {
  app.http(route.name, {
    methods: route.methods,
    route: route.route,
    authLevel: 'anonymous',
    handler: route.handler,
  });
}
