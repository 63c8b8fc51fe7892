import { z } from 'zod';

/** Read-only fields a client sends back with a configuration it read: accepted and ignored. */
const readOnly = z.unknown().optional();
const object = (field: string) =>
  z.record(z.string(), z.unknown(), { error: `${field} must be a JSON object` });

/** `PUT /configurations/{id}`: IoT Hub's Configuration. */
export const configurationBodySchema = z.strictObject({
  id: z.string({ error: 'id must be a string: the configuration ID' }),
  schemaVersion: z.string().nullable().optional(),
  labels: z
    .record(z.string(), z.string({ error: 'labels: values must be strings' }))
    .nullable()
    .optional(),
  content: z.strictObject(
    {
      deviceContent: object('content.deviceContent').nullable().optional(),
      moduleContent: object('content.moduleContent').nullable().optional(),
      modulesContent: object('content.modulesContent').nullable().optional(),
    },
    { error: 'content must be an object: { "deviceContent": { "properties.desired.x": … } }' },
  ),
  targetCondition: z.string({ error: 'targetCondition must be a string' }).nullable().optional(),
  priority: z.number({ error: 'priority must be a number' }).nullable().optional(),
  metrics: z
    .strictObject({
      queries: z
        .record(z.string(), z.string({ error: 'metrics.queries: each query must be a string' }))
        .nullable()
        .optional(),
      results: readOnly,
    })
    .nullable()
    .optional(),
  systemMetrics: readOnly,
  etag: readOnly,
  createdTimeUtc: readOnly,
  lastUpdatedTimeUtc: readOnly,
  contentType: readOnly,
});

/** `POST /configurations/testQueries`: IoT Hub's ConfigurationQueriesTestInput. */
export const testQueriesBodySchema = z.strictObject({
  targetCondition: z.string().nullable().optional(),
  customMetricQueries: z.record(z.string(), z.string()).nullable().optional(),
});

/** `POST /devices/{id}/applyConfigurationContent`: IoT Hub's ConfigurationContent. */
export const configurationContentSchema = z.strictObject({
  deviceContent: object('deviceContent').nullable().optional(),
  moduleContent: object('moduleContent').nullable().optional(),
  modulesContent: object('modulesContent').nullable().optional(),
});
