import type { ServicesProvider } from './RegistryServices';
import { deviceBound, deviceEvents } from './handlers/deviceEventsHandler';
import type { HttpRoute } from './HttpRoute';
import { httpEndpoint } from './httpEndpoint';

/** The device-facing endpoint: devices authenticate with their own registry credentials. */
export function deviceRoutes(services: ServicesProvider): HttpRoute[] {
  const events = httpEndpoint('device', services, deviceEvents);
  return [
    {
      name: 'deviceEvents',
      methods: ['POST'],
      route: 'devices/{deviceId}/messages/events',
      handler: events,
    },
    {
      name: 'deviceBound',
      methods: ['GET'],
      route: 'devices/{deviceId}/messages/deviceBound',
      handler: httpEndpoint('device', services, deviceBound),
    },
    {
      name: 'moduleEvents',
      methods: ['POST'],
      route: 'devices/{deviceId}/modules/{moduleId}/messages/events',
      handler: events,
    },
  ];
}
