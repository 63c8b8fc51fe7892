import { Client, Message } from 'azure-iot-device';
import { Http } from 'azure-iot-device-http';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parsePolicies } from '../src/adapters/policies/parsePolicies';
import { parseSettings } from '../src/config/Settings';
import { sign } from '../src/domain/auth/signatureMatches';
import { readLocalSettings } from './readLocalSettings';
import { hubHostName } from '../src/config/hubHostName';

const USAGE = `Simulates a fleet against the running service (start it first with npm start).

  npm run simulate -- --devices 10 --interval 5 --silent 2 [--after 20] [--prefix sim]

--devices   devices to register and run (default 10)
--interval  heartbeat interval in seconds, declared in each heartbeat (default 5)
--silent    devices that stop sending after --after seconds (default 2)
--after     seconds before those devices fall silent (default 4 × interval)
--prefix    device ID prefix (default sim)`;

const settings = parseSettings(readLocalSettings());
const host = hubHostName(settings);
const agent = new Agent({ keepAlive: true });
const connect = agent.createConnection.bind(agent) as (o: object, cb?: unknown) => Socket;
// The SDKs always dial port 443: point them at the local HTTPS port (README, "Reaching a local server").
(agent as unknown as { createConnection: typeof connect }).createConnection = (options, cb) =>
  connect({ ...options, port: settings.HTTPS_PORT }, cb);
const ca = readFileSync(join(settings.DATA_DIR, 'tls', 'cert.pem'), 'utf8');
const owner = parsePolicies(
  settings.SHARED_ACCESS_POLICIES ?? readFileSync(join(settings.DATA_DIR, 'policies.json'), 'utf8'),
  'policies',
).get('iothubowner');
if (!owner) throw new Error('No iothubowner policy');

function serviceToken(): string {
  const se = Math.floor(Date.now() / 1000) + 3600;
  return `SharedAccessSignature sr=${host}&sig=${encodeURIComponent(sign(owner!.primaryKey, host, se))}&se=${se}&skn=iothubowner`;
}

/** One call to the registry over HTTPS, as any client would. */
function registry(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        host,
        path: `${path}${path.includes('?') ? '&' : '?'}api-version=2021-04-12`,
        method,
        agent,
        ca,
        headers: {
          authorization: serviceToken(),
          ...(payload ? { 'content-type': 'application/json' } : {}),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            json: text ? (JSON.parse(text) as unknown) : undefined,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      devices: { type: 'string', default: '10' },
      interval: { type: 'string', default: '5' },
      silent: { type: 'string', default: '2' },
      after: { type: 'string' },
      prefix: { type: 'string', default: 'sim' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) return void console.log(USAGE);
  const count = Number(values.devices);
  const interval = Number(values.interval);
  const silent = Number(values.silent);
  const after = Number(values.after ?? interval * 4);
  if (
    ![count, interval, silent, after].every((n) => Number.isFinite(n) && n >= 0) ||
    count < 1 ||
    interval < 1 ||
    silent > count
  ) {
    throw new Error('--devices ≥ 1, --interval ≥ 1 and 0 ≤ --silent ≤ --devices, as whole numbers');
  }

  const clients: { id: string; client: Client; timer?: NodeJS.Timeout }[] = [];
  for (let i = 0; i < count; i++) {
    const id = `${values.prefix}-${String(i).padStart(3, '0')}`;
    let reply = await registry('PUT', `/devices/${id}`, {});
    if (reply.status === 409) reply = await registry('GET', `/devices/${id}`);
    if (reply.status !== 200)
      throw new Error(`Could not register ${id}: ${reply.status} ${JSON.stringify(reply.json)}`);
    const key = (reply.json as { authentication: { symmetricKey: { primaryKey: string } } })
      .authentication.symmetricKey.primaryKey;
    const client = Client.fromConnectionString(
      `HostName=${host};DeviceId=${id};SharedAccessKey=${key}`,
      Http,
    );
    await client.setOptions({
      ca,
      http: { agent, receivePolicy: { manualPolling: true } },
    });
    clients.push({ id, client });
  }
  console.log(
    `Registered ${count} devices; heartbeats every ${interval}s; ${silent} fall silent after ${after}s. Ctrl-C stops.`,
  );

  const beat = async (id: string, client: Client) => {
    const message = new Message(JSON.stringify({ at: new Date().toISOString() }));
    message.properties.add('messageType', 'heartbeat');
    message.properties.add('intervalSeconds', String(interval));
    await client
      .sendEvent(message)
      .catch((e: Error) => console.error(`${id}: ${e.name} ${e.message}`));
  };
  for (const c of clients) {
    void beat(c.id, c.client);
    c.timer = setInterval(() => void beat(c.id, c.client), interval * 1000);
  }
  setTimeout(() => {
    for (const c of clients.slice(0, silent)) clearInterval(c.timer);
    console.log(
      `Stopped ${
        clients
          .slice(0, silent)
          .map((c) => c.id)
          .join(', ') || 'no devices'
      }: watch them go silent.`,
    );
  }, after * 1000);

  let seenAlerts = 0;
  const report = setInterval(() => {
    void (async () => {
      const summary = (await registry('GET', '/liveness/summary')).json as {
        counts: Record<string, number>;
        current: boolean;
      };
      const alerts = (
        (await registry('GET', '/liveness/alerts')).json as {
          kind: string;
          deviceId: string;
          at: string;
          outageSeconds?: number;
        }[]
      ).filter((a) => a.deviceId.startsWith(`${values.prefix}-`));
      for (const a of alerts.slice(seenAlerts))
        console.log(
          `  alert: ${a.kind} ${a.deviceId} at ${a.at}${a.outageSeconds ? ` after ${a.outageSeconds}s` : ''}`,
        );
      seenAlerts = alerts.length;
      console.log(
        `${new Date().toISOString()}  online ${summary.counts.online}  silent ${summary.counts.silent}  neverSeen ${summary.counts.neverSeen}${summary.current ? '' : '  (pipeline behind)'}`,
      );
    })().catch((e: Error) => console.error(e.message));
  }, interval * 1000);

  const stop = () => {
    clearInterval(report);
    for (const c of clients) clearInterval(c.timer);
    void Promise.all(clients.map((c) => c.client.close())).finally(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  const message =
    (error as NodeJS.ErrnoException).code === 'ENOENT'
      ? 'No local data yet: run `npm start` first'
      : (error as Error).message;
  console.error(`simulate: ${message}`);
  process.exit(2);
});
