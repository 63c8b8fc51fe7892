import { z } from 'zod';

/**
 * The shapes of the API's replies, for the OpenAPI document and for tests that check replies
 * against it. Loose objects: a client must ignore fields it does not know.
 */
const time = z.string();
const authentication = z.looseObject({
  type: z.enum(['sas', 'selfSigned', 'certificateAuthority', 'none']),
  symmetricKey: z.looseObject({
    primaryKey: z.string().nullable(),
    secondaryKey: z.string().nullable(),
  }),
  x509Thumbprint: z.looseObject({
    primaryThumbprint: z.string().nullable(),
    secondaryThumbprint: z.string().nullable(),
  }),
});
const connection = {
  connectionState: z.enum(['Connected', 'Disconnected']),
  connectionStateUpdatedTime: time,
  lastActivityTime: time,
  cloudToDeviceMessageCount: z.number(),
};

export const deviceReply = z.looseObject({
  deviceId: z.string(),
  generationId: z.string(),
  etag: z.string(),
  status: z.enum(['enabled', 'disabled']),
  statusReason: z.string().nullable(),
  statusUpdatedTime: time,
  ...connection,
  authentication,
  capabilities: z.looseObject({ iotEdge: z.boolean() }),
  deviceScope: z.string().optional(),
  parentScopes: z.array(z.string()).optional(),
});

export const moduleReply = z.looseObject({
  deviceId: z.string(),
  moduleId: z.string(),
  generationId: z.string(),
  etag: z.string(),
  managedBy: z.string().nullable(),
  ...connection,
  authentication,
});

const section = z.looseObject({
  $metadata: z.looseObject({ $lastUpdated: time }),
  $version: z.number(),
});
/** A direct method's answer: the device's status and payload. */
export const methodReply = z.object({ status: z.number().int(), payload: z.unknown() });

export const twinReply = z.looseObject({
  deviceId: z.string(),
  moduleId: z.string().optional(),
  etag: z.string(),
  version: z.number(),
  status: z.enum(['enabled', 'disabled']),
  statusReason: z.string().nullable(),
  connectionState: z.enum(['Connected', 'Disconnected']),
  lastActivityTime: time,
  authenticationType: z.string(),
  tags: z.record(z.string(), z.unknown()),
  properties: z.looseObject({ desired: section, reported: section }),
});

export const queryReply = z.array(z.union([twinReply, z.record(z.string(), z.unknown())]));

export const statisticsReply = z.looseObject({
  totalDeviceCount: z.number(),
  enabledDeviceCount: z.number(),
  disabledDeviceCount: z.number(),
});

export const bulkReply = z.looseObject({
  isSuccessful: z.boolean(),
  errors: z.array(
    z.looseObject({ deviceId: z.string(), errorCode: z.string(), errorStatus: z.string() }),
  ),
  warnings: z.array(z.unknown()),
});

export const jobReply = z.looseObject({
  jobId: z.string(),
  type: z.enum(['export', 'import']),
  status: z.enum(['enqueued', 'running', 'completed', 'failed', 'cancelled']),
  progress: z.number(),
  startTimeUtc: time.nullable(),
  endTimeUtc: time.nullable(),
  failureReason: z.string().nullable(),
  outputBlobContainerUri: z.string(),
  storageAuthenticationType: z.enum(['keyBased', 'identityBased']),
});

export const livenessReply = z.looseObject({
  deviceId: z.string(),
  moduleId: z.string().optional(),
  generationId: z.string().nullable(),
  state: z.enum(['neverSeen', 'online', 'silent']),
  stateSince: time,
  enabled: z.boolean(),
  lastSeen: time.nullable(),
  intervalSeconds: z.number(),
  graceFactor: z.number(),
  intervalSource: z.enum(['configured', 'declared', 'default']),
  deadline: time.nullable(),
  silentReason: z.enum(['heartbeatMissed', 'disconnected']).optional(),
  connection: z
    .object({
      state: z.enum(['connected', 'disconnected']),
      at: time,
      sequenceNumber: z.string(),
    })
    .nullable(),
});

export const livenessSummaryReply = z.looseObject({
  counts: z.looseObject({ neverSeen: z.number(), online: z.number(), silent: z.number() }),
  current: z.boolean(),
  pipelineLagSeconds: z.number().nullable(),
  at: time,
});

export const alertReply = z.looseObject({
  kind: z.enum(['silent', 'recovered']),
  deviceId: z.string(),
  moduleId: z.string().nullable(),
  at: time,
  reason: z.enum(['heartbeatMissed', 'disconnected']).optional(),
  outageSeconds: z.number().optional(),
});

export const certificateReply = z.looseObject({
  name: z.string(),
  etag: z.string(),
  properties: z.looseObject({
    subject: z.string(),
    expiry: time,
    thumbprint: z.string(),
    isVerified: z.boolean(),
    certificate: z.string(),
    verificationCode: z.string().optional(),
  }),
});

export const healthReply = z.object({
  status: z.enum(['ok', 'degraded']),
  ready: z.boolean(),
  dependencies: z.array(
    z.object({
      name: z.enum(['cosmos', 'storage', 'eventHubs']),
      state: z.enum(['up', 'down']),
      since: time,
      reason: z.string().optional(),
    }),
  ),
});

/** IoT Hub's error body (CONTRACT.md). */
export const errorReply = z.object({
  Message: z.string().regex(/^ErrorCode:[A-Za-z]+;/),
  ExceptionMessage: z.string(),
});

const metrics = z.object({
  results: z.record(z.string(), z.number()),
  queries: z.record(z.string(), z.string()),
});

export const configurationReply = z.looseObject({
  id: z.string(),
  schemaVersion: z.string(),
  labels: z.record(z.string(), z.string()),
  content: z.record(z.string(), z.unknown()),
  targetCondition: z.string(),
  createdTimeUtc: z.string(),
  lastUpdatedTimeUtc: z.string(),
  priority: z.number(),
  systemMetrics: metrics,
  metrics,
  etag: z.string(),
});

export const testQueriesReply = z.object({
  targetConditionError: z.string(),
  customMetricQueryErrors: z.record(z.string(), z.string()),
});
