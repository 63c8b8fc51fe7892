import { z } from 'zod';
import { DEVICE_ERRORS, ID_ERRORS, MODULE_ERRORS, WRITE_ERRORS } from '../openapi/RouteDoc';
import { alertReply, livenessReply, livenessSummaryReply } from '../openapi/replySchemas';
import type { ServicesProvider } from '../RegistryServices';
import {
  livenessPolicyBody,
  getLiveness,
  listAlerts,
  listLiveness,
  livenessSummary,
  putLiveness,
} from '../handlers/livenessHandlers';
import type { HttpRoute } from '../HttpRoute';
import { httpEndpoint, type ServiceHandler } from '../httpEndpoint';

/** The liveness monitor's map, policies and alerts: IoT Hub's service API paths, each with its OpenAPI description. */
export function livenessRoutes(services: ServicesProvider): HttpRoute[] {
  const read = (h: ServiceHandler) => httpEndpoint('RegistryRead', services, h);
  const write = (h: ServiceHandler) => httpEndpoint('RegistryWrite', services, h);
  return [
    {
      name: 'getDeviceLiveness',
      methods: ['GET'],
      route: 'devices/{deviceId}/liveness',
      doc: {
        summary: "A device's entry in the last-seen map",
        success: [200, livenessReply],
        errors: DEVICE_ERRORS,
      },
      handler: read(getLiveness),
    },
    {
      name: 'putDeviceLiveness',
      methods: ['PUT'],
      route: 'devices/{deviceId}/liveness',
      doc: {
        summary: "Set (or clear, with nulls) a device's heartbeat interval and grace",
        body: livenessPolicyBody,
        success: [200, livenessReply],
        errors: [...WRITE_ERRORS, 'DeviceNotFound'],
      },
      handler: write(putLiveness),
    },
    {
      name: 'getModuleLiveness',
      methods: ['GET'],
      route: 'devices/{deviceId}/modules/{moduleId}/liveness',
      doc: {
        summary: "A module's entry in the last-seen map",
        success: [200, livenessReply],
        errors: MODULE_ERRORS,
      },
      handler: read(getLiveness),
    },
    {
      name: 'putModuleLiveness',
      methods: ['PUT'],
      route: 'devices/{deviceId}/modules/{moduleId}/liveness',
      doc: {
        summary: "Set (or clear, with nulls) a module's heartbeat interval and grace",
        body: livenessPolicyBody,
        success: [200, livenessReply],
        errors: [...WRITE_ERRORS, 'DeviceNotFound', 'ModuleNotFound'],
      },
      handler: write(putLiveness),
    },
    {
      name: 'listLiveness',
      methods: ['GET'],
      route: 'liveness',
      doc: {
        summary: 'List entries of the last-seen map, by state',
        success: [200, z.array(livenessReply)],
        errors: ID_ERRORS,
      },
      handler: read(listLiveness),
    },
    {
      name: 'livenessSummary',
      methods: ['GET'],
      route: 'liveness/summary',
      doc: {
        summary: 'Counts by state, and whether the pipeline is current',
        success: [200, livenessSummaryReply],
        errors: [],
      },
      handler: read(livenessSummary),
    },
    {
      name: 'livenessAlerts',
      methods: ['GET'],
      route: 'liveness/alerts',
      doc: {
        summary: 'Silent and recovered alerts, newest first',
        success: [200, z.array(alertReply)],
        errors: [],
      },
      handler: read(listAlerts),
    },
  ];
}
