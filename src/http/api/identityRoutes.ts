import { z } from 'zod';
import {
  CONDITIONAL_ERRORS,
  DEVICE_ERRORS,
  ID_ERRORS,
  MODULE_ERRORS,
  WRITE_ERRORS,
} from '../openapi/RouteDoc';
import { bulkReply, deviceReply, moduleReply, statisticsReply } from '../openapi/replySchemas';
import { bulkBodySchema } from '../schemas/bulkSchema';
import { deviceBodySchema, moduleBodySchema } from '../schemas/identitySchemas';
import type { ServicesProvider } from '../RegistryServices';
import { bulkDevices } from '../handlers/bulkHandler';
import {
  deleteDevice,
  deviceStatistics,
  getDevice,
  listDevices,
  putDevice,
} from '../handlers/deviceHandlers';
import { deleteModule, getModule, listModules, putModule } from '../handlers/moduleHandlers';
import type { HttpRoute } from '../HttpRoute';
import { httpEndpoint, type ServiceHandler } from '../httpEndpoint';

/** Devices and modules, the identity registry: IoT Hub's service API paths, each with its OpenAPI description. */
export function identityRoutes(services: ServicesProvider): HttpRoute[] {
  const read = (h: ServiceHandler) => httpEndpoint('RegistryRead', services, h);
  const write = (h: ServiceHandler) => httpEndpoint('RegistryWrite', services, h);
  return [
    {
      name: 'listDevices',
      methods: ['GET'],
      route: 'devices',
      doc: {
        summary: 'List devices, up to top (x-ms-continuation pages on)',
        success: [200, z.array(deviceReply)],
        errors: ID_ERRORS,
      },
      handler: read(listDevices),
    },
    {
      name: 'bulkDevices',
      methods: ['POST'],
      route: 'devices',
      doc: {
        summary: 'Create, update or delete up to 100 devices and modules',
        body: bulkBodySchema,
        success: [200, bulkReply],
        errors: [...WRITE_ERRORS, 'DeviceDefinedMultipleTimes', 'BulkRegistryOperationFailure'],
      },
      handler: write(bulkDevices),
    },
    {
      name: 'deviceStatistics',
      methods: ['GET'],
      route: 'statistics/devices',
      doc: { summary: 'Count devices', success: [200, statisticsReply], errors: [] },
      handler: read(deviceStatistics),
    },
    {
      name: 'getDevice',
      methods: ['GET'],
      route: 'devices/{deviceId}',
      doc: { summary: 'Read a device', success: [200, deviceReply], errors: DEVICE_ERRORS },
      handler: read(getDevice),
    },
    {
      name: 'putDevice',
      methods: ['PUT'],
      route: 'devices/{deviceId}',
      doc: {
        summary: 'Create (no If-Match) or update (If-Match: etag or *) a device',
        body: deviceBodySchema,
        success: [200, deviceReply],
        errors: [
          ...WRITE_ERRORS,
          'DeviceNotFound',
          'DeviceAlreadyExists',
          'TooManyDevices',
          ...CONDITIONAL_ERRORS,
        ],
      },
      handler: write(putDevice),
    },
    {
      name: 'deleteDevice',
      methods: ['DELETE'],
      route: 'devices/{deviceId}',
      doc: {
        summary: 'Delete a device and its modules',
        success: [204, null],
        errors: [...DEVICE_ERRORS, ...CONDITIONAL_ERRORS],
      },
      handler: write(deleteDevice),
    },
    {
      name: 'listModules',
      methods: ['GET'],
      route: 'devices/{deviceId}/modules',
      doc: {
        summary: "List a device's modules",
        success: [200, z.array(moduleReply)],
        errors: DEVICE_ERRORS,
      },
      handler: read(listModules),
    },
    {
      name: 'getModule',
      methods: ['GET'],
      route: 'devices/{deviceId}/modules/{moduleId}',
      doc: { summary: 'Read a module', success: [200, moduleReply], errors: MODULE_ERRORS },
      handler: read(getModule),
    },
    {
      name: 'putModule',
      methods: ['PUT'],
      route: 'devices/{deviceId}/modules/{moduleId}',
      doc: {
        summary: 'Create (no If-Match) or update (If-Match: etag or *) a module',
        body: moduleBodySchema,
        success: [200, moduleReply],
        errors: [
          ...WRITE_ERRORS,
          ...MODULE_ERRORS,
          'ModuleAlreadyExistsOnDevice',
          'TooManyModulesOnDevice',
          ...CONDITIONAL_ERRORS,
        ],
      },
      handler: write(putModule),
    },
    {
      name: 'deleteModule',
      methods: ['DELETE'],
      route: 'devices/{deviceId}/modules/{moduleId}',
      doc: {
        summary: 'Delete a module',
        success: [204, null],
        errors: [...MODULE_ERRORS, ...CONDITIONAL_ERRORS],
      },
      handler: write(deleteModule),
    },
  ];
}
