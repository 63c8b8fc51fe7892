import { app } from '@azure/functions';
import { servicesFromEnvironment } from '../src/composition/servicesFromEnvironment';
import { routes } from '../src/http/routes';
import { triggerTable, type TriggerEntry } from '../src/triggers/triggerTable';

for (const route of routes(servicesFromEnvironment)) {
  app.http(route.name, {
    methods: route.methods,
    route: route.route,
    authLevel: 'anonymous',
    handler: route.handler,
  });
}

function register(entry: TriggerEntry): void {
  switch (entry.kind) {
    case 'eventHub':
      app.eventHub(entry.name, {
        ...entry.options,
        handler: entry.handler(servicesFromEnvironment),
      });
      return;
    case 'timer':
      app.timer(entry.name, { ...entry.options, handler: entry.handler(servicesFromEnvironment) });
      return;
    case 'storageQueue':
      app.storageQueue(entry.name, {
        ...entry.options,
        handler: entry.handler(servicesFromEnvironment),
      });
      return;
    case 'eventGrid':
      app.eventGrid(entry.name, { handler: entry.handler(servicesFromEnvironment) });
      return;
    case 'cosmosDB':
      app.cosmosDB(entry.name, {
        ...entry.options,
        handler: entry.handler(servicesFromEnvironment),
      });
      return;
  }
}

for (const entry of triggerTable) register(entry);
