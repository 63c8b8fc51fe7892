import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSettings, settingsSchema } from '../../src/config/Settings';
import { RESERVED_CONTAINERS } from '../../src/domain/jobs/reservedContainers';

const root = join(__dirname, '../..');
const template = readFileSync(join(root, 'infra/main.bicep'), 'utf8');
/** What functions/ registers: the route table's and the trigger table's binding options. */
const registration = ['functions/index.ts', 'src/triggers/triggerTable.ts']
  .map((file) => readFileSync(join(root, file), 'utf8'))
  .join('\n');

/** Settings only the local host reads (ports, data folder, the embedded stand-ins'). */
const LOCAL_ONLY = [
  'PORT',
  'HTTPS_PORT',
  'HOST',
  'DATA_DIR',
  'EVENTHUB_PORT',
  'EVENTHUB_PARTITIONS',
  'EVENTHUB_RETENTION_HOURS',
  'AZURITE_BLOB_PORT',
  'AZURITE_QUEUE_PORT',
  'AZURITE_TABLE_PORT',
  'EVENTHUB_CONSUMER_GROUPS',
  'EVENTHUB_CHECKPOINT_CONTAINER',
  'JOBS_VISIBILITY_SECONDS',
  'EVENTGRID_SYSTEM_KEY',
];
/** Key-based or alternative forms of connections the template makes by identity. */
const ALTERNATIVES = [
  'COSMOS_KEY',
  'STORAGE_CONNECTION_STRING',
  'STORAGE_CONNECTION_STRING__blobServiceUri',
  'STORAGE_CONNECTION_STRING__queueServiceUri',
  'STORAGE_CONNECTION_STRING__tableServiceUri',
  'EVENTHUB_CONNECTION',
  // Set by App Service itself on every app: the default host name tokens are issued for.
  'WEBSITE_HOSTNAME',
  // The MQTT endpoint's instance name: by default the container's host name (its replica).
  'MQTT_INSTANCE_ID',
  // Where the replica's methods port is reached: by default its own IPv4 in the environment.
  'MQTT_METHODS_URL',
];
/** Read by the Functions host and the platform, not by the code. */
const PLATFORM =
  /^(AzureWebJobsStorage__\w+|APPLICATIONINSIGHTS_\w+|\w+__credential|\w+__clientId|\w+__accountEndpoint)$/;

/** The names in `var appSettings = [ … ]` in the template. */
function templateSettings(bicep: string): string[] {
  const block = /var appSettings = \[\n([\s\S]*?)\n\]/.exec(bicep)?.[1];
  if (!block) throw new Error('The template has no `var appSettings = [ … ]` block');
  return [...block.matchAll(/^ {2}\{ name: '([A-Za-z_][A-Za-z0-9_]*)'/gm)].map(
    (m) => m[1] as string,
  );
}

/** What the code reads: the settings schema, binding expressions, and binding connections. */
function codeSettings(schemaKeys: readonly string[], functions: string) {
  const expressions = [...functions.matchAll(/'%([A-Za-z0-9_]+)%'/g)].map((m) => m[1] as string);
  const connections = [...functions.matchAll(/connection: '([A-Za-z0-9_]+)'/g)].map(
    (m) => m[1] as string,
  );
  return { settings: [...new Set([...schemaKeys, ...expressions])], connections };
}

function compare(schemaKeys: readonly string[], functions: string, bicep: string) {
  const set = new Set(templateSettings(bicep));
  const { settings, connections } = codeSettings(schemaKeys, functions);
  const needed = settings.filter((s) => !LOCAL_ONLY.includes(s) && !ALTERNATIVES.includes(s));
  const missing = needed.filter((s) => !set.has(s));
  // A binding connection is set by name (a connection string) or by identity (name__…).
  const unconnected = [...new Set(connections)].filter(
    (c) => !set.has(c) && ![...set].some((s) => s.startsWith(`${c}__`)),
  );
  const known = new Set([...settings, ...ALTERNATIVES]);
  const unread = [...set].filter(
    (s) => !known.has(s) && !PLATFORM.test(s) && !connections.some((c) => s.startsWith(`${c}__`)),
  );
  return { missing, unconnected, unread };
}

const BLOB_ROLES = ['blobDataOwner', 'blobDataContributor', 'blobDataReader'];

/** Each role assignment's scope and the roles it grants (by their name in `var roles`). */
function roleAssignments(bicep: string): { name: string; scope: string; roles: string[] }[] {
  return [
    ...bicep.matchAll(
      /^resource (\w+) 'Microsoft\.Authorization\/roleAssignments@[^']+' = ([\s\S]*?)^\}\]?$/gm,
    ),
  ].map((m) => ({
    name: m[1] as string,
    scope: /^\s+scope: (\S+)$/m.exec(m[2] as string)?.[1] ?? '',
    roles: [...new Set([...(m[2] as string).matchAll(/roles\.(\w+)/g)].map((r) => r[1] as string))],
  }));
}

/** The symbolic names of resources of a type (`resource <name> '<type>@…'`). */
const resourcesOf = (bicep: string, type: string) =>
  [...bicep.matchAll(new RegExp(`^resource (\\w+) '${type.replace(/[./]/g, '\\$&')}@`, 'gm'))].map(
    (m) => m[1] as string,
  );

/** The `name:` of a container resource, or of each in a loop over a `var` list. */
function containerNames(bicep: string, symbol: string): string[] {
  const body =
    new RegExp(`^resource ${symbol} [^\\n]*\\n([\\s\\S]*?)^\\}`, 'm').exec(bicep)?.[1] ?? '';
  const literal = /^\s+name: '([^']+)'$/m.exec(body)?.[1];
  if (literal) return [literal];
  const list = new RegExp(
    `^resource ${symbol} [^\\n]*\\[for \\S+ in (\\w+)|\\[for \\(\\S+, \\S+\\) in (\\w+)`,
    'm',
  ).exec(bicep);
  const variable = list?.[1] ?? list?.[2];
  const values = variable && new RegExp(`^var ${variable} = \\[([^\\]]*)\\]`, 'm').exec(bicep)?.[1];
  return values ? [...values.matchAll(/'([^']+)'/g)].map((v) => v[1] as string) : [];
}

describe('infra/main.bicep', () => {
  it('sets every app setting the code reads in Azure, and none it never reads', () => {
    expect(compare(Object.keys(settingsSchema.shape), registration, template)).toEqual({
      missing: [],
      unconnected: [],
      unread: [],
    });
  });

  it('fails when the code reads a setting the template does not set, or the reverse', () => {
    const keys = [...Object.keys(settingsSchema.shape), 'NEW_SETTING'];
    expect(compare(keys, registration, template).missing).toEqual(['NEW_SETTING']);
    const bound = `${registration}\napp.timer('x', { schedule: '%NEW_SCHEDULE%', connection: 'NEW_CONNECTION' });`;
    expect(compare(Object.keys(settingsSchema.shape), bound, template)).toMatchObject({
      missing: ['NEW_SCHEDULE'],
      unconnected: ['NEW_CONNECTION'],
    });
    const extra = template.replace(
      'var appSettings = [\n',
      "var appSettings = [\n  { name: 'STALE_SETTING', value: 'x' }\n",
    );
    expect(compare(Object.keys(settingsSchema.shape), registration, extra).unread).toEqual([
      'STALE_SETTING',
    ]);
  });

  it("grants the app's identity blob roles on containers only, never on the whole account", () => {
    const accounts = resourcesOf(template, 'Microsoft.Storage/storageAccounts');
    const containers = resourcesOf(
      template,
      'Microsoft.Storage/storageAccounts/blobServices/containers',
    );
    expect(accounts).toEqual(['storage']);
    const assignments = roleAssignments(template);
    expect(assignments.length).toBeGreaterThan(5);
    const blob = assignments.filter((a) => a.roles.some((r) => BLOB_ROLES.includes(r)));
    for (const a of blob) {
      expect(accounts, `${a.name} is scoped to ${a.scope}`).not.toContain(a.scope);
      expect(containers, a.name).toContain(a.scope.replace(/\[\w+\]$/, ''));
    }
    // The job container is one of them, and the setting names exactly it.
    const jobRole = blob.find((a) => a.scope === 'jobContainer');
    expect(jobRole?.roles).toEqual(['blobDataContributor']);
    expect(template).toContain("{ name: 'JOBS_OWN_ACCOUNT_CONTAINERS', value: jobContainer.name }");
    const jobContainers = containerNames(template, 'jobContainer');
    expect(jobContainers).toEqual(['registry-jobs']);
    expect(
      parseSettings({ JOBS_OWN_ACCOUNT_CONTAINERS: jobContainers.join(',') })
        .JOBS_OWN_ACCOUNT_CONTAINERS,
    ).toEqual(jobContainers);
    // The host's containers and the deployment package's are ones the code never lets jobs use.
    const hostAndDeployment = [
      ...containerNames(template, 'hostContainers'),
      ...containerNames(template, 'deploymentContainer'),
    ];
    expect(hostAndDeployment).toEqual([
      'azure-webjobs-hosts',
      'azure-webjobs-secrets',
      'azure-webjobs-eventhub',
      'deployments',
    ]);
    for (const c of hostAndDeployment) expect(RESERVED_CONTAINERS, c).toContain(c);
    expect(template).toMatch(
      /value: '\$\{storage\.properties\.primaryEndpoints\.blob\}\$\{deploymentContainer\.name\}'/,
    );
  });

  it('fails when a blob role is scoped to the whole account', () => {
    const widened = template.replace(
      '[for role in [ roles.queueDataContributor,',
      '[for role in [ roles.blobDataOwner, roles.queueDataContributor,',
    );
    const wide = roleAssignments(widened).filter(
      (a) => a.scope === 'storage' && a.roles.some((r) => BLOB_ROLES.includes(r)),
    );
    expect(wide.map((a) => a.name)).toEqual(['storageRoles']);
  });

  it('makes the containers, hubs and consumer group the code expects', () => {
    expect(template).toMatch(/id: 'identities'\s+partitionKey: \{ paths: \[ '\/deviceId' \]/);
    expect(template).toMatch(/defaultTtl: -1/);
    for (const name of ['jobs', 'leases', 'telemetry', 'alerts', 'catalog'])
      expect(template, name).toContain(`'${name}'`);
    expect(template).toContain("sku: { name: 'FC1', tier: 'FlexConsumption' }");
    expect(template).toContain("runtime: { name: 'node', version: '20' }");
    // No account keys anywhere: every data plane is reached by the managed identity.
    expect(template).toContain('allowSharedKeyAccess: false');
    expect(template.match(/disableLocalAuth: true/g)?.length).toBe(2);
    expect(template).not.toMatch(/listKeys|connectionStrings\(/);
  });
});
