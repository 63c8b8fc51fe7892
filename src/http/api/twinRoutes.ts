import {
  CONDITIONAL_ERRORS,
  DEVICE_ERRORS,
  MODULE_ERRORS,
  WRITE_ERRORS,
} from '../openapi/RouteDoc';
import { methodReply, queryReply, twinReply } from '../openapi/replySchemas';
import { queryBodySchema, twinBodySchema } from '../schemas/twinSchemas';
import { methodBodySchema } from '../schemas/methodSchemas';
import type { ServicesProvider } from '../RegistryServices';
import type { HttpRoute } from '../HttpRoute';
import { queryDevices } from '../handlers/queryHandler';
import { getTwin, patchTwin, putTwin } from '../handlers/twinHandlers';
import { invokeMethod } from '../handlers/methodHandlers';
import { httpEndpoint, type ServiceHandler } from '../httpEndpoint';

/** Queries, twins and direct methods: IoT Hub's service API paths, each with its OpenAPI description. */
export function twinRoutes(services: ServicesProvider): HttpRoute[] {
  const read = (h: ServiceHandler) => httpEndpoint('RegistryRead', services, h);
  // IoT Hub grants twin reads and writes to ServiceConnect.
  const service = (h: ServiceHandler) => httpEndpoint('ServiceConnect', services, h);
  return [
    // Before devices/{deviceId}: a literal segment wins over a parameter.
    {
      name: 'queryDevices',
      methods: ['POST'],
      route: 'devices/query',
      doc: {
        summary: 'Query device or module twins with the IoT Hub query language',
        body: queryBodySchema,
        success: [200, queryReply],
        errors: [...WRITE_ERRORS, 'BadRequest'],
      },
      handler: read(queryDevices),
    },
    {
      name: 'getTwin',
      methods: ['GET'],
      route: 'twins/{deviceId}',
      doc: { summary: "Read a device's twin", success: [200, twinReply], errors: DEVICE_ERRORS },
      handler: service(getTwin),
    },
    {
      name: 'patchTwin',
      methods: ['PATCH'],
      route: 'twins/{deviceId}',
      doc: {
        summary: "Merge tags and desired properties into a device's twin",
        body: twinBodySchema,
        success: [200, twinReply],
        errors: [...WRITE_ERRORS, ...DEVICE_ERRORS, ...CONDITIONAL_ERRORS],
      },
      handler: service(patchTwin),
    },
    {
      name: 'putTwin',
      methods: ['PUT'],
      route: 'twins/{deviceId}',
      doc: {
        summary: "Replace a device twin's tags and desired properties",
        body: twinBodySchema,
        success: [200, twinReply],
        errors: [...WRITE_ERRORS, ...DEVICE_ERRORS, ...CONDITIONAL_ERRORS],
      },
      handler: service(putTwin),
    },
    {
      name: 'getModuleTwin',
      methods: ['GET'],
      route: 'twins/{deviceId}/modules/{moduleId}',
      doc: {
        summary: "Read a module's twin",
        success: [200, twinReply],
        errors: MODULE_ERRORS,
      },
      handler: service(getTwin),
    },
    {
      name: 'patchModuleTwin',
      methods: ['PATCH'],
      route: 'twins/{deviceId}/modules/{moduleId}',
      doc: {
        summary: "Merge tags and desired properties into a module's twin",
        body: twinBodySchema,
        success: [200, twinReply],
        errors: [...WRITE_ERRORS, ...MODULE_ERRORS, ...CONDITIONAL_ERRORS],
      },
      handler: service(patchTwin),
    },
    {
      name: 'putModuleTwin',
      methods: ['PUT'],
      route: 'twins/{deviceId}/modules/{moduleId}',
      doc: {
        summary: "Replace a module twin's tags and desired properties",
        body: twinBodySchema,
        success: [200, twinReply],
        errors: [...WRITE_ERRORS, ...MODULE_ERRORS, ...CONDITIONAL_ERRORS],
      },
      handler: service(putTwin),
    },
    {
      name: 'invokeMethod',
      methods: ['POST'],
      route: 'twins/{deviceId}/methods',
      doc: {
        summary: 'Call a direct method on a connected device (MQTT) and return its answer',
        body: methodBodySchema,
        success: [200, methodReply],
        errors: [...WRITE_ERRORS, ...DEVICE_ERRORS, 'DeviceNotOnline', 'GatewayTimeout'],
      },
      handler: service(invokeMethod),
    },
    {
      name: 'invokeModuleMethod',
      methods: ['POST'],
      route: 'twins/{deviceId}/modules/{moduleId}/methods',
      doc: {
        summary: 'Call a direct method on a connected module (MQTT) and return its answer',
        body: methodBodySchema,
        success: [200, methodReply],
        errors: [...WRITE_ERRORS, ...MODULE_ERRORS, 'DeviceNotOnline', 'GatewayTimeout'],
      },
      handler: service(invokeMethod),
    },
  ];
}
