import type { z } from 'zod';
import type { ErrorCode } from '../../domain/errors/ErrorCode';
import { certificateBody, verificationBody } from '../handlers/certificateHandlers';
import { livenessPolicyBody } from '../handlers/livenessHandlers';
import { bulkBodySchema } from '../schemas/bulkSchema';
import { deviceBodySchema, moduleBodySchema } from '../schemas/identitySchemas';
import { jobBodySchema } from '../schemas/jobSchema';
import {
  configurationBodySchema,
  configurationContentSchema,
  testQueriesBodySchema,
} from '../schemas/configurationSchema';
import { queryBodySchema, twinBodySchema } from '../schemas/twinSchemas';
import {
  alertReply,
  bulkReply,
  certificateReply,
  configurationReply,
  testQueriesReply,
  deviceReply,
  healthReply,
  jobReply,
  livenessReply,
  livenessSummaryReply,
  moduleReply,
  queryReply,
  statisticsReply,
  twinReply,
} from './replySchemas';
import { z as zod } from 'zod';

/** What the OpenAPI document says of one route of the route table (by its name). */
export interface RouteDoc {
  summary: string;
  body?: z.ZodType;
  /** The success status and, when it has one, the reply's schema. */
  success: [number, z.ZodType | null];
  /** The errors a caller can cause, beyond those every authenticated route has. */
  errors: ErrorCode[];
  /** No SAS token needed. */
  anonymous?: boolean;
  /** The success reply's media type when it is not JSON. */
  contentType?: string;
}

const id: ErrorCode[] = ['ArgumentInvalid'];
const write: ErrorCode[] = [
  'ArgumentInvalid',
  'ArgumentNull',
  'IotHubFormatError',
  'MessageTooLarge',
];
const device: ErrorCode[] = [...id, 'DeviceNotFound'];
const moduleErrors: ErrorCode[] = [...id, 'DeviceNotFound', 'ModuleNotFound'];
const conditional: ErrorCode[] = ['PreconditionFailed'];

/** Every route of the route table; a test holds the two equal. */
export const ROUTE_DOCS: Record<string, RouteDoc> = {
  queryDevices: {
    summary: 'Query device or module twins with the IoT Hub query language',
    body: queryBodySchema,
    success: [200, queryReply],
    errors: [...write, 'BadRequest'],
  },
  getTwin: { summary: "Read a device's twin", success: [200, twinReply], errors: device },
  patchTwin: {
    summary: "Merge tags and desired properties into a device's twin",
    body: twinBodySchema,
    success: [200, twinReply],
    errors: [...write, ...device, ...conditional],
  },
  putTwin: {
    summary: "Replace a device twin's tags and desired properties",
    body: twinBodySchema,
    success: [200, twinReply],
    errors: [...write, ...device, ...conditional],
  },
  getModuleTwin: {
    summary: "Read a module's twin",
    success: [200, twinReply],
    errors: moduleErrors,
  },
  patchModuleTwin: {
    summary: "Merge tags and desired properties into a module's twin",
    body: twinBodySchema,
    success: [200, twinReply],
    errors: [...write, ...moduleErrors, ...conditional],
  },
  putModuleTwin: {
    summary: "Replace a module twin's tags and desired properties",
    body: twinBodySchema,
    success: [200, twinReply],
    errors: [...write, ...moduleErrors, ...conditional],
  },
  listCertificates: {
    summary: 'List the CA certificates',
    success: [200, zod.object({ value: zod.array(certificateReply) })],
    errors: [],
  },
  getCertificate: {
    summary: 'Read a CA certificate (with its pending verification code)',
    success: [200, certificateReply],
    errors: [...id, 'NotFound'],
  },
  putCertificate: {
    summary: 'Upload a CA certificate (no If-Match: create; an etag or *: replace)',
    body: certificateBody,
    success: [200, certificateReply],
    errors: [...write, 'NotFound', 'CertificateAlreadyExists', ...conditional],
  },
  deleteCertificate: {
    summary: 'Delete a CA certificate',
    success: [204, null],
    errors: [...id, 'NotFound', ...conditional],
  },
  generateVerificationCode: {
    summary: 'Generate the code a proof-of-possession certificate must carry as its CN',
    success: [200, certificateReply],
    errors: [...id, 'NotFound', ...conditional],
  },
  verifyCertificate: {
    summary: "Prove possession of the CA's key: a certificate with the code as CN, signed by it",
    body: verificationBody,
    success: [200, certificateReply],
    errors: [...write, 'NotFound', ...conditional],
  },
  listDevices: {
    summary: 'List devices, up to top (x-ms-continuation pages on)',
    success: [200, zod.array(deviceReply)],
    errors: id,
  },
  bulkDevices: {
    summary: 'Create, update or delete up to 100 devices and modules',
    body: bulkBodySchema,
    success: [200, bulkReply],
    errors: [...write, 'DeviceDefinedMultipleTimes', 'BulkRegistryOperationFailure'],
  },
  deviceStatistics: { summary: 'Count devices', success: [200, statisticsReply], errors: [] },
  getDevice: { summary: 'Read a device', success: [200, deviceReply], errors: device },
  putDevice: {
    summary: 'Create (no If-Match) or update (If-Match: etag or *) a device',
    body: deviceBodySchema,
    success: [200, deviceReply],
    errors: [...write, 'DeviceNotFound', 'DeviceAlreadyExists', 'TooManyDevices', ...conditional],
  },
  deleteDevice: {
    summary: 'Delete a device and its modules',
    success: [204, null],
    errors: [...device, ...conditional],
  },
  listModules: {
    summary: "List a device's modules",
    success: [200, zod.array(moduleReply)],
    errors: device,
  },
  getModule: { summary: 'Read a module', success: [200, moduleReply], errors: moduleErrors },
  putModule: {
    summary: 'Create (no If-Match) or update (If-Match: etag or *) a module',
    body: moduleBodySchema,
    success: [200, moduleReply],
    errors: [
      ...write,
      ...moduleErrors,
      'ModuleAlreadyExistsOnDevice',
      'TooManyModulesOnDevice',
      ...conditional,
    ],
  },
  deleteModule: {
    summary: 'Delete a module',
    success: [204, null],
    errors: [...moduleErrors, ...conditional],
  },
  getDeviceLiveness: {
    summary: "A device's entry in the last-seen map",
    success: [200, livenessReply],
    errors: device,
  },
  putDeviceLiveness: {
    summary: "Set (or clear, with nulls) a device's heartbeat interval and grace",
    body: livenessPolicyBody,
    success: [200, livenessReply],
    errors: [...write, 'DeviceNotFound'],
  },
  getModuleLiveness: {
    summary: "A module's entry in the last-seen map",
    success: [200, livenessReply],
    errors: moduleErrors,
  },
  putModuleLiveness: {
    summary: "Set (or clear, with nulls) a module's heartbeat interval and grace",
    body: livenessPolicyBody,
    success: [200, livenessReply],
    errors: [...write, 'DeviceNotFound', 'ModuleNotFound'],
  },
  listLiveness: {
    summary: 'List entries of the last-seen map, by state',
    success: [200, zod.array(livenessReply)],
    errors: id,
  },
  livenessSummary: {
    summary: 'Counts by state, and whether the pipeline is current',
    success: [200, livenessSummaryReply],
    errors: [],
  },
  livenessAlerts: {
    summary: 'Silent and recovered alerts, newest first',
    success: [200, zod.array(alertReply)],
    errors: [],
  },
  listConfigurations: {
    summary: 'List configurations (automatic device management), oldest first, up to top',
    success: [200, zod.array(configurationReply)],
    errors: ['ArgumentInvalid'],
  },
  testConfigurationQueries: {
    summary: 'Check a target condition and metric queries without storing anything',
    body: testQueriesBodySchema,
    success: [200, testQueriesReply],
    errors: write,
  },
  getConfiguration: {
    summary: 'Read a configuration with its current metrics',
    success: [200, configurationReply],
    errors: ['ArgumentInvalid', 'ConfigurationNotFound'],
  },
  putConfiguration: {
    summary: 'Create (no If-Match) or update (If-Match: etag or *) a configuration',
    body: configurationBodySchema,
    success: [200, configurationReply],
    errors: [
      ...write,
      'BadRequest',
      'ConfigurationNotFound',
      'ConfigurationAlreadyExists',
      'IotHubQuotaExceeded',
      ...conditional,
    ],
  },
  deleteConfiguration: {
    summary: 'Delete a configuration (If-Match: etag, or none/* for any)',
    success: [204, null],
    errors: ['ArgumentInvalid', 'ConfigurationNotFound', ...conditional],
  },
  applyConfigurationContent: {
    summary: "Apply configuration content to a device's twins at once (edge deployments)",
    body: configurationContentSchema,
    success: [200, null],
    errors: [...write, ...moduleErrors],
  },
  applyOnEdgeDevice: {
    summary: 'The same as POST /devices/{deviceId}/applyConfigurationContent',
    body: configurationContentSchema,
    success: [200, null],
    errors: [...write, ...moduleErrors],
  },
  createJob: {
    summary: 'Start an import or export job',
    body: jobBodySchema,
    success: [200, jobReply],
    errors: [...write, 'JobQuotaExceeded', 'ServiceUnavailable'],
  },
  listJobs: { summary: 'The newest 1,000 jobs', success: [200, zod.array(jobReply)], errors: [] },
  getJob: { summary: 'Read a job', success: [200, jobReply], errors: ['JobNotFound'] },
  cancelJob: { summary: 'Cancel a job', success: [200, jobReply], errors: ['JobNotFound'] },
  deviceEvents: {
    summary: 'Send device-to-cloud messages (a device SAS token or client certificate)',
    success: [204, null],
    errors: ['ArgumentInvalid', 'MessageTooLarge', 'ThrottlingException'],
  },
  deviceBound: {
    summary:
      'Poll for cloud-to-device messages (a device SAS token or client certificate): always 204, none are sent',
    success: [204, null],
    errors: ['ArgumentInvalid'],
  },
  moduleEvents: {
    summary: 'Send module-to-cloud messages (a module SAS token)',
    success: [204, null],
    errors: ['ArgumentInvalid', 'MessageTooLarge', 'ThrottlingException'],
  },
  openApi: {
    summary: 'This document',
    success: [200, zod.record(zod.string(), zod.unknown())],
    errors: [],
    anonymous: true,
  },
  dashboard: {
    summary:
      'The operators’ dashboard: its static files (the page reads through this API with the operator’s token)',
    success: [200, null],
    errors: ['NotFound'],
    anonymous: true,
    contentType: 'text/html',
  },
  health: {
    summary:
      "Liveness probe: 200 while the process answers, with each dependency's state (probed at most every 2 s)",
    success: [200, healthReply],
    errors: [],
    anonymous: true,
  },
  ready: {
    summary:
      'Readiness probe: 200 when every dependency answers; 503 with Retry-After and the same report while one is down',
    success: [200, healthReply],
    errors: [],
    anonymous: true,
  },
};
