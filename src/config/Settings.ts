import { z } from 'zod';
import { DEFAULT_STORAGE_HOSTS, parseAllowList } from '../domain/jobs/StorageAllowList';
import { reservedContainerReason } from '../domain/jobs/reservedContainers';

const optional = z.string().trim().min(1).optional();
const CONTAINER_NAME = /^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/;
const CONSUMER_GROUP_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,48}[A-Za-z0-9])?$/;
const count = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** Every setting the service reads (see local.settings.example.json). Parsed once, at start-up. */
export const settingsSchema = z.object({
  COSMOS_ENDPOINT: optional,
  /** Absent: the app's managed identity reaches Cosmos DB (COSMOS_CLIENT_ID: a user-assigned one). */
  COSMOS_KEY: optional,
  COSMOS_CLIENT_ID: optional,
  COSMOS_DATABASE: z.string().default('registry'),
  COSMOS_CONTAINER: z.string().default('identities'),
  /** Leases of the change-feed triggers (the lifecycle relay). */
  COSMOS_LEASE_CONTAINER: z.string().default('leases'),
  /**
   * Local host only: the Event Grid webhook's system key (`eventgrid_extension`, as the
   * Functions runtime names it); derived from iothubowner's key when absent.
   */
  EVENTGRID_SYSTEM_KEY: optional,
  /** JSON array of {keyName, primaryKey, secondaryKey, rights}; generated locally when absent. */
  SHARED_ACCESS_POLICIES: optional,
  /** The host name SAS tokens must be issued for (see hubHostName: the default depends on where it runs). */
  IOTHUB_HOST_NAME: optional,
  /** Set by App Service: the app's default host name (the fallback for IOTHUB_HOST_NAME). */
  WEBSITE_HOSTNAME: optional,
  HUB_NAME: optional,
  /** A device's delete (with its modules, their twins, ledger and outbox record) must fit one Cosmos batch. */
  MAX_MODULES_PER_DEVICE: z.coerce
    .number()
    .int()
    .min(1)
    .max(
      48,
      'must be at most 48: a device is deleted with its modules and their twins in one batch of 100',
    )
    .default(20),
  STORAGE_CONNECTION_STRING: optional,
  /** Identity-based storage, by the Functions conventions (see resolveConnections). */
  STORAGE_CONNECTION_STRING__accountName: optional,
  STORAGE_CONNECTION_STRING__blobServiceUri: optional,
  STORAGE_CONNECTION_STRING__queueServiceUri: optional,
  STORAGE_CONNECTION_STRING__tableServiceUri: optional,
  STORAGE_CONNECTION_STRING__clientId: optional,
  /** Event Hubs namespace connection string; without it, npm start runs an embedded stand-in. */
  EVENTHUB_CONNECTION: optional,
  /** Identity-based Event Hubs: the namespace's host name (and a user-assigned identity). */
  EVENTHUB_CONNECTION__fullyQualifiedNamespace: optional,
  EVENTHUB_CONNECTION__clientId: optional,
  /** Local host only: the blob container of the Event Hubs triggers' ownership and checkpoints. */
  EVENTHUB_CHECKPOINT_CONTAINER: z
    .string()
    .regex(CONTAINER_NAME, 'must be a valid blob container name')
    .default('azure-webjobs-eventhub'),
  /** Local host only: the embedded Event Hubs stand-in's AMQP port, partitions and retention. */
  EVENTHUB_PORT: z.coerce.number().int().min(0).max(65535).default(5672),
  EVENTHUB_PARTITIONS: z.coerce.number().int().min(1).max(32).default(4),
  EVENTHUB_RETENTION_HOURS: z.coerce.number().positive().max(168).default(24),
  /**
   * Local host only: the embedded Azurite's ports, Azurite's own defaults, so that
   * `UseDevelopmentStorage=true` and a printed connection string reach it after a restart too.
   */
  AZURITE_BLOB_PORT: z.coerce.number().int().min(0).max(65535).default(10000),
  AZURITE_QUEUE_PORT: z.coerce.number().int().min(0).max(65535).default(10001),
  AZURITE_TABLE_PORT: z.coerce.number().int().min(0).max(65535).default(10002),
  /**
   * Local host only: consumer groups of your own on every hub of the embedded stand-in
   * (comma-separated); `$Default` and CATALOG_CONSUMER_GROUP are held by this service's triggers.
   */
  EVENTHUB_CONSUMER_GROUPS: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((g) => g.trim())
        .filter((g) => g !== ''),
    )
    .pipe(
      z.array(
        z
          .string()
          .regex(
            CONSUMER_GROUP_NAME,
            'must list consumer group names of 1 to 50 letters, digits, periods, hyphens and underscores, starting and ending with a letter or digit',
          ),
      ),
    ),
  LIVENESS_EVENTHUB_NAME: z.string().default('telemetry'),
  ALERTS_EVENTHUB_NAME: z.string().default('alerts'),
  LIVENESS_TABLE: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9]{2,62}$/, 'must be a valid table name')
    .default('liveness'),
  /** Fixed once the table holds data: entries are found by a hash of the device ID modulo this. */
  /** The reference lifecycle consumer's device catalog, and its consumer group on the lifecycle hub. */
  CATALOG_TABLE: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9]{2,62}$/, 'must be a valid table name')
    .default('devicecatalog'),
  CATALOG_CONSUMER_GROUP: z.string().default('catalog'),
  LIVENESS_PARTITIONS: z.coerce.number().int().min(1).max(1000).default(64),
  LIVENESS_DEFAULT_INTERVAL_SECONDS: count(60),
  LIVENESS_GRACE_FACTOR: z.coerce.number().min(1).max(100).default(2),
  /** NCRONTAB with seconds, as Azure Functions timers take it. */
  LIVENESS_SWEEP_SCHEDULE: z.string().default('0 */1 * * * *'),
  LIVENESS_MAX_PIPELINE_LAG_SECONDS: count(120),
  /**
   * How long one sweep may run before it leaves the rest to the next (under the schedule's
   * period, and under the 60 s its range leases last).
   */
  LIVENESS_SWEEP_BUDGET_SECONDS: z.coerce.number().int().min(1).max(55).default(40),
  /** The blob container of the sweep's range leases, in the map's storage account. */
  LIVENESS_LEASE_CONTAINER: z
    .string()
    .regex(/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/, 'must be a valid container name')
    .default('liveness-leases'),
  LIVENESS_TOMBSTONE_SECONDS: count(86_400),
  /**
   * How long an identity the hub reported disconnected (nothing heard since) may stay so before
   * it is silent; unset: until its heartbeat deadline.
   */
  LIVENESS_DISCONNECT_GRACE_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .max(7 * 24 * 3600)
    .optional(),
  /** How long the device endpoint trusts cached credentials (changes through this instance apply at once). */
  DEVICE_CREDENTIAL_CACHE_SECONDS: count(60),
  DEVICE_MESSAGES_PER_SECOND: z.coerce.number().positive().default(100),
  DEVICE_MESSAGE_BURST: z.coerce.number().positive().default(200),
  COSMOS_JOBS_CONTAINER: z.string().default('jobs'),
  /** The Storage queue that wakes job workers (in STORAGE_CONNECTION_STRING's account). */
  JOBS_QUEUE_NAME: z
    .string()
    .regex(/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/, 'must be a valid queue name')
    .default('registry-jobs'),
  /** Storage hosts jobs may read and write (see StorageAllowList), besides the service's own account. */
  JOBS_ALLOWED_STORAGE_HOSTS: z
    .string()
    .default(DEFAULT_STORAGE_HOSTS)
    .superRefine((value, ctx) => {
      try {
        parseAllowList(value);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
      }
    }),
  /**
   * The only containers of the service's own storage account jobs may use (comma-separated):
   * that account also holds the host's keys, the deployment package and checkpoints.
   */
  JOBS_OWN_ACCOUNT_CONTAINERS: z
    .string()
    .default('registry-jobs')
    .transform((value) =>
      value
        .split(',')
        .map((c) => c.trim())
        .filter((c) => c !== ''),
    )
    .pipe(
      z
        .array(z.string().regex(CONTAINER_NAME, 'must list valid blob container names'))
        .min(1, 'must name at least one container'),
    ),
  /** Import and export jobs enqueued or running at once (IoT Hub allows one). */
  JOBS_MAX_ACTIVE: count(1),
  JOBS_MAX_CONCURRENT: count(4),
  JOBS_LEASE_SECONDS: count(60),
  JOBS_SLICE_SECONDS: count(120),
  JOBS_EXPORT_PAGE_SIZE: z.coerce.number().int().min(10).max(10_000).default(2000),
  JOBS_IMPORT_CHUNK_LINES: z.coerce.number().int().min(1).max(1000).default(500),
  JOBS_MAX_DEQUEUE_COUNT: count(5),
  /** Local host only: how long a received job message stays invisible (renewed while it runs). */
  JOBS_VISIBILITY_SECONDS: count(30),
  /** How long one query request may take in Cosmos DB, all its pages included; then 503. */
  QUERY_TIMEOUT_SECONDS: z.coerce.number().positive().max(300).default(10),
  /**
   * Local host only: where the lifecycle relay and the Event Hubs consumers run. `host`: in the
   * host's process (as one Function App instance runs every trigger); `process`: in a process
   * of their own, as other instances of the Function App would.
   */
  LOCAL_PIPELINE: z.enum(['host', 'process']).default('host'),
  /** The MQTT device endpoint (its own process): MQTT over TLS, and over WebSockets over TLS. */
  MQTT_PORT: z.coerce.number().int().min(0).max(65535).default(8883),
  MQTT_WS_PORT: z.coerce.number().int().min(0).max(65535).default(8443),
  /** Its server certificate and key (PEM files); locally DATA_DIR/tls's, as the HTTPS host's. */
  MQTT_TLS_CERT_FILE: optional,
  MQTT_TLS_KEY_FILE: optional,
  /** Names the endpoint instance in session records: stable across its restarts (default: host name). */
  MQTT_INSTANCE_ID: optional,
  /** The endpoint's consumer group on the lifecycle hub (it re-checks sessions its events name). */
  MQTT_CONSUMER_GROUP: z.string().default('mqtt'),
  /** Each session's credentials and ownership are checked again this often, at most... */
  MQTT_SESSION_CHECK_SECONDS: z.coerce.number().positive().max(3600).default(3),
  /** ...and at most this many sessions per second (reads of the registry are bounded). */
  MQTT_SESSION_CHECKS_PER_SECOND: count(500),
  MQTT_MAX_CONNECTIONS: count(50_000),
  /**
   * The endpoint's internal port for direct method calls from the Function App (plain HTTP on
   * HOST, each call signed with a ServiceConnect policy key), and the address it records in
   * its sessions for them (default: http://{HOST, or the first non-loopback IPv4}:{port}).
   */
  MQTT_METHODS_PORT: z.coerce.number().int().min(0).max(65535).default(8084),
  MQTT_METHODS_URL: z.url({ protocol: /^https?$/ }).optional(),
  // Local host only.
  PORT: z.coerce.number().int().min(0).max(65535).default(7071),
  HTTPS_PORT: z.coerce.number().int().min(0).max(65535).default(7443),
  HOST: z.string().default('127.0.0.1'),
  DATA_DIR: z.string().default('.data'),
});

export type Settings = z.infer<typeof settingsSchema>;

/** Rules across settings: no job container of the own account may hold the host's data. */
const checkedSettings = settingsSchema.superRefine((settings, ctx) => {
  for (const container of settings.JOBS_OWN_ACCOUNT_CONTAINERS) {
    const reason = reservedContainerReason(container, settings.EVENTHUB_CHECKPOINT_CONTAINER);
    if (reason)
      ctx.addIssue({
        code: 'custom',
        path: ['JOBS_OWN_ACCOUNT_CONTAINERS'],
        message: `${reason}, so jobs may never use it: name a container of its own for jobs (such as registry-jobs)`,
      });
  }
  const held = [
    '$default',
    settings.CATALOG_CONSUMER_GROUP.toLowerCase(),
    settings.MQTT_CONSUMER_GROUP.toLowerCase(),
  ];
  for (const group of settings.EVENTHUB_CONSUMER_GROUPS)
    if (held.includes(group.toLowerCase()))
      ctx.addIssue({
        code: 'custom',
        path: ['EVENTHUB_CONSUMER_GROUPS'],
        message: `'${group}' is held by this service's own readers: name a consumer group of your own`,
      });
});

/** Parses settings, failing fast with the names of the settings that are wrong. */
export function parseSettings(source: Record<string, string | undefined>): Settings {
  // An empty value (as local.settings.example.json lists them) means "not set".
  const present = Object.fromEntries(
    Object.entries(source).filter(([, v]) => v !== undefined && v.trim() !== ''),
  );
  const parsed = checkedSettings.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid settings: ${problems}`);
  }
  return parsed.data;
}
