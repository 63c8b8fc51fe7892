import type { ServicesProvider } from '../RegistryServices';
import { deviceBound, deviceEvents } from '../handlers/deviceEventsHandler';
import type { HttpRoute } from '../HttpRoute';
import { httpEndpoint } from '../httpEndpoint';

/** The device-facing endpoint: devices authenticate with their own registry credentials. */
export function deviceRoutes(services: ServicesProvider): HttpRoute[] {
  const events = httpEndpoint('device', services, deviceEvents);
  return [
    {
      name: 'deviceEvents',
      methods: ['POST'],
      route: 'devices/{deviceId}/messages/events',
      doc: {
        summary: 'Send device-to-cloud messages (a device SAS token or client certificate)',
        success: [204, null],
        errors: ['ArgumentInvalid', 'MessageTooLarge', 'ThrottlingException'],
      },
      handler: events,
    },
    {
      name: 'deviceBound',
      methods: ['GET'],
      route: 'devices/{deviceId}/messages/deviceBound',
      doc: {
        summary:
          'Poll for cloud-to-device messages (a device SAS token or client certificate): always 204, none are sent',
        success: [204, null],
        errors: ['ArgumentInvalid'],
      },
      handler: httpEndpoint('device', services, deviceBound),
    },
    {
      name: 'moduleEvents',
      methods: ['POST'],
      route: 'devices/{deviceId}/modules/{moduleId}/messages/events',
      doc: {
        summary: 'Send module-to-cloud messages (a module SAS token)',
        success: [204, null],
        errors: ['ArgumentInvalid', 'MessageTooLarge', 'ThrottlingException'],
      },
      handler: events,
    },
  ];
}
