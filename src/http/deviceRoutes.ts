import type { ServicesProvider } from './RegistryServices';
import { deviceBoundHandler, deviceEventsHandler } from './handlers/deviceEventsHandler';
import type { HttpRoute } from './HttpRoute';

/** The device-facing endpoint: devices authenticate with their own registry credentials. */
export function deviceRoutes(services: ServicesProvider): HttpRoute[] {
  const handler = deviceEventsHandler(services);
  return [
    {
      name: 'deviceEvents',
      methods: ['POST'],
      route: 'devices/{deviceId}/messages/events',
      handler,
    },
    {
      name: 'deviceBound',
      methods: ['GET'],
      route: 'devices/{deviceId}/messages/deviceBound',
      handler: deviceBoundHandler(services),
    },
    {
      name: 'moduleEvents',
      methods: ['POST'],
      route: 'devices/{deviceId}/modules/{moduleId}/messages/events',
      handler,
    },
  ];
}
