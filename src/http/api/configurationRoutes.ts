import { z } from 'zod';
import { CONDITIONAL_ERRORS, ID_ERRORS, MODULE_ERRORS, WRITE_ERRORS } from '../openapi/RouteDoc';
import { configurationReply, testQueriesReply } from '../openapi/replySchemas';
import {
  configurationBodySchema,
  configurationContentSchema,
  testQueriesBodySchema,
} from '../schemas/configurationSchema';
import type { ServicesProvider } from '../RegistryServices';
import {
  applyConfigurationContent,
  deleteConfiguration,
  getConfiguration,
  listConfigurations,
  putConfiguration,
  testConfigurationQueries,
} from '../handlers/configurationHandlers';
import type { HttpRoute } from '../HttpRoute';
import { httpEndpoint, type ServiceHandler } from '../httpEndpoint';

/** Configurations (automatic device management): IoT Hub's service API paths. */
export function configurationRoutes(services: ServicesProvider): HttpRoute[] {
  const read = (h: ServiceHandler) => httpEndpoint('RegistryRead', services, h);
  const write = (h: ServiceHandler) => httpEndpoint('RegistryWrite', services, h);
  const applyDoc = {
    summary: "Apply configuration content to a device's twins at once (edge deployments)",
    body: configurationContentSchema,
    success: [200, null] as [number, null],
    errors: [...WRITE_ERRORS, ...MODULE_ERRORS],
  };
  return [
    {
      name: 'listConfigurations',
      methods: ['GET'],
      route: 'configurations',
      doc: {
        summary: 'List configurations, oldest first, up to top',
        success: [200, z.array(configurationReply)],
        errors: ['ArgumentInvalid'],
      },
      handler: read(listConfigurations),
    },
    // Before configurations/{configurationId}: a literal segment wins over a parameter.
    {
      name: 'testConfigurationQueries',
      methods: ['POST'],
      route: 'configurations/testQueries',
      doc: {
        summary: 'Check a target condition and metric queries without storing anything',
        body: testQueriesBodySchema,
        success: [200, testQueriesReply],
        errors: WRITE_ERRORS,
      },
      handler: read(testConfigurationQueries),
    },
    {
      name: 'getConfiguration',
      methods: ['GET'],
      route: 'configurations/{configurationId}',
      doc: {
        summary: 'Read a configuration with its current metrics',
        success: [200, configurationReply],
        errors: [...ID_ERRORS, 'ConfigurationNotFound'],
      },
      handler: read(getConfiguration),
    },
    {
      name: 'putConfiguration',
      methods: ['PUT'],
      route: 'configurations/{configurationId}',
      doc: {
        summary: 'Create (no If-Match) or update (If-Match: etag or *) a configuration',
        body: configurationBodySchema,
        success: [200, configurationReply],
        errors: [
          ...WRITE_ERRORS,
          'BadRequest',
          'ConfigurationNotFound',
          'ConfigurationAlreadyExists',
          'IotHubQuotaExceeded',
          ...CONDITIONAL_ERRORS,
        ],
      },
      handler: write(putConfiguration),
    },
    {
      name: 'deleteConfiguration',
      methods: ['DELETE'],
      route: 'configurations/{configurationId}',
      doc: {
        summary: 'Delete a configuration (If-Match: its etag, or none or * for any)',
        success: [204, null],
        errors: [...ID_ERRORS, 'ConfigurationNotFound', ...CONDITIONAL_ERRORS],
      },
      handler: write(deleteConfiguration),
    },
    {
      name: 'applyConfigurationContent',
      methods: ['POST'],
      route: 'devices/{deviceId}/applyConfigurationContent',
      doc: applyDoc,
      handler: write(applyConfigurationContent),
    },
    {
      name: 'applyOnEdgeDevice',
      methods: ['POST'],
      route: 'configurations/{deviceId}/applyOnEdgeDevice',
      doc: {
        ...applyDoc,
        summary: 'The same as POST /devices/{deviceId}/applyConfigurationContent',
      },
      handler: write(applyConfigurationContent),
    },
  ];
}
