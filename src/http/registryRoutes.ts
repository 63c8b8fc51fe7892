import type { ServicesProvider } from './RegistryServices';
import { bulkDevices } from './handlers/bulkHandler';
import {
  deleteDevice,
  deviceStatistics,
  getDevice,
  listDevices,
  putDevice,
} from './handlers/deviceHandlers';
import { cancelJob, createJob, getJob, listJobs } from './handlers/jobHandlers';
import { deleteModule, getModule, listModules, putModule } from './handlers/moduleHandlers';
import {
  getLiveness,
  listAlerts,
  listLiveness,
  livenessSummary,
  putLiveness,
} from './handlers/livenessHandlers';
import type { HttpRoute } from './HttpRoute';
import { queryDevices } from './handlers/queryHandler';
import { getTwin, patchTwin, putTwin } from './handlers/twinHandlers';
import {
  deleteCertificate,
  generateVerificationCode,
  getCertificate,
  listCertificates,
  putCertificate,
  verifyCertificate,
} from './handlers/certificateHandlers';
import {
  applyConfigurationContent,
  deleteConfiguration,
  getConfiguration,
  listConfigurations,
  putConfiguration,
  testConfigurationQueries,
} from './handlers/configurationHandlers';
import { serviceEndpoint } from './serviceEndpoint';

/** The registry's route table: IoT Hub's service API paths. */
export function registryRoutes(services: ServicesProvider): HttpRoute[] {
  const read = (h: Parameters<typeof serviceEndpoint>[2]) =>
    serviceEndpoint('RegistryRead', services, h);
  const write = (h: Parameters<typeof serviceEndpoint>[2]) =>
    serviceEndpoint('RegistryWrite', services, h);
  // IoT Hub grants twin reads and writes to ServiceConnect.
  const service = (h: Parameters<typeof serviceEndpoint>[2]) =>
    serviceEndpoint('ServiceConnect', services, h);
  return [
    // Before devices/{deviceId}: a literal segment wins over a parameter.
    {
      name: 'queryDevices',
      methods: ['POST'],
      route: 'devices/query',
      handler: read(queryDevices),
    },
    { name: 'getTwin', methods: ['GET'], route: 'twins/{deviceId}', handler: service(getTwin) },
    {
      name: 'listCertificates',
      methods: ['GET'],
      route: 'certificates',
      handler: read(listCertificates),
    },
    {
      name: 'getCertificate',
      methods: ['GET'],
      route: 'certificates/{name}',
      handler: read(getCertificate),
    },
    {
      name: 'putCertificate',
      methods: ['PUT'],
      route: 'certificates/{name}',
      handler: write(putCertificate),
    },
    {
      name: 'deleteCertificate',
      methods: ['DELETE'],
      route: 'certificates/{name}',
      handler: write(deleteCertificate),
    },
    {
      name: 'generateVerificationCode',
      methods: ['POST'],
      route: 'certificates/{name}/generateVerificationCode',
      handler: write(generateVerificationCode),
    },
    {
      name: 'verifyCertificate',
      methods: ['POST'],
      route: 'certificates/{name}/verify',
      handler: write(verifyCertificate),
    },
    {
      name: 'patchTwin',
      methods: ['PATCH'],
      route: 'twins/{deviceId}',
      handler: service(patchTwin),
    },
    { name: 'putTwin', methods: ['PUT'], route: 'twins/{deviceId}', handler: service(putTwin) },
    {
      name: 'getModuleTwin',
      methods: ['GET'],
      route: 'twins/{deviceId}/modules/{moduleId}',
      handler: service(getTwin),
    },
    {
      name: 'patchModuleTwin',
      methods: ['PATCH'],
      route: 'twins/{deviceId}/modules/{moduleId}',
      handler: service(patchTwin),
    },
    {
      name: 'putModuleTwin',
      methods: ['PUT'],
      route: 'twins/{deviceId}/modules/{moduleId}',
      handler: service(putTwin),
    },
    { name: 'listDevices', methods: ['GET'], route: 'devices', handler: read(listDevices) },
    { name: 'bulkDevices', methods: ['POST'], route: 'devices', handler: write(bulkDevices) },
    {
      name: 'deviceStatistics',
      methods: ['GET'],
      route: 'statistics/devices',
      handler: read(deviceStatistics),
    },
    { name: 'getDevice', methods: ['GET'], route: 'devices/{deviceId}', handler: read(getDevice) },
    { name: 'putDevice', methods: ['PUT'], route: 'devices/{deviceId}', handler: write(putDevice) },
    {
      name: 'deleteDevice',
      methods: ['DELETE'],
      route: 'devices/{deviceId}',
      handler: write(deleteDevice),
    },
    {
      name: 'listModules',
      methods: ['GET'],
      route: 'devices/{deviceId}/modules',
      handler: read(listModules),
    },
    {
      name: 'getModule',
      methods: ['GET'],
      route: 'devices/{deviceId}/modules/{moduleId}',
      handler: read(getModule),
    },
    {
      name: 'putModule',
      methods: ['PUT'],
      route: 'devices/{deviceId}/modules/{moduleId}',
      handler: write(putModule),
    },
    {
      name: 'deleteModule',
      methods: ['DELETE'],
      route: 'devices/{deviceId}/modules/{moduleId}',
      handler: write(deleteModule),
    },
    {
      name: 'getDeviceLiveness',
      methods: ['GET'],
      route: 'devices/{deviceId}/liveness',
      handler: read(getLiveness),
    },
    {
      name: 'putDeviceLiveness',
      methods: ['PUT'],
      route: 'devices/{deviceId}/liveness',
      handler: write(putLiveness),
    },
    {
      name: 'getModuleLiveness',
      methods: ['GET'],
      route: 'devices/{deviceId}/modules/{moduleId}/liveness',
      handler: read(getLiveness),
    },
    {
      name: 'putModuleLiveness',
      methods: ['PUT'],
      route: 'devices/{deviceId}/modules/{moduleId}/liveness',
      handler: write(putLiveness),
    },
    { name: 'listLiveness', methods: ['GET'], route: 'liveness', handler: read(listLiveness) },
    {
      name: 'livenessSummary',
      methods: ['GET'],
      route: 'liveness/summary',
      handler: read(livenessSummary),
    },
    {
      name: 'listConfigurations',
      methods: ['GET'],
      route: 'configurations',
      handler: read(listConfigurations),
    },
    // Before configurations/{configurationId}: a literal segment wins over a parameter.
    {
      name: 'testConfigurationQueries',
      methods: ['POST'],
      route: 'configurations/testQueries',
      handler: read(testConfigurationQueries),
    },
    {
      name: 'getConfiguration',
      methods: ['GET'],
      route: 'configurations/{configurationId}',
      handler: read(getConfiguration),
    },
    {
      name: 'putConfiguration',
      methods: ['PUT'],
      route: 'configurations/{configurationId}',
      handler: write(putConfiguration),
    },
    {
      name: 'deleteConfiguration',
      methods: ['DELETE'],
      route: 'configurations/{configurationId}',
      handler: write(deleteConfiguration),
    },
    {
      name: 'applyConfigurationContent',
      methods: ['POST'],
      route: 'devices/{deviceId}/applyConfigurationContent',
      handler: write(applyConfigurationContent),
    },
    {
      name: 'applyOnEdgeDevice',
      methods: ['POST'],
      route: 'configurations/{deviceId}/applyOnEdgeDevice',
      handler: write(applyConfigurationContent),
    },
    { name: 'createJob', methods: ['POST'], route: 'jobs/create', handler: write(createJob) },
    { name: 'listJobs', methods: ['GET'], route: 'jobs', handler: read(listJobs) },
    { name: 'getJob', methods: ['GET'], route: 'jobs/{jobId}', handler: read(getJob) },
    { name: 'cancelJob', methods: ['DELETE'], route: 'jobs/{jobId}', handler: write(cancelJob) },
    {
      name: 'livenessAlerts',
      methods: ['GET'],
      route: 'liveness/alerts',
      handler: read(listAlerts),
    },
  ];
}
