/**
 * bench:ingress's load generator, a process of its own so it does not share the event loop of
 * what it measures: 64 (or more) devices, each posting its messages one after another over a
 * keep-alive TLS connection, as the device SDK's HTTP transport does. Reads its job as JSON on
 * stdin; prints its result as one JSON line.
 */
import { Agent, request } from 'node:https';

export interface LoadJob {
  port: number;
  ca: string;
  devices: { id: string; token: string }[];
  perDevice: number;
}

export interface LoadResult {
  sent: number;
  seconds: number;
  latencies: number[];
  errors: number;
  firstError?: string;
}

function post(agent: Agent, job: LoadJob, deviceId: string, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const body = '{"t":21}';
    const req = request(
      {
        host: '127.0.0.1',
        servername: 'localhost',
        port: job.port,
        method: 'POST',
        path: `/devices/${encodeURIComponent(deviceId)}/messages/events?api-version=2021-04-12`,
        agent,
        ca: job.ca,
        headers: {
          // The name the device's token is for, as the SDK sends it (the host checks it).
          host: `localhost:${job.port}`,
          authorization: token,
          'iothub-app-messageType': 'heartbeat',
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function run(job: LoadJob): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: job.devices.length });
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const started = performance.now();
  await Promise.all(
    job.devices.map(async (d) => {
      for (let k = 0; k < job.perDevice; k++) {
        const t = performance.now();
        try {
          const status = await post(agent, job, d.id, d.token);
          if (status !== 204) {
            errors++;
            firstError ??= `status ${status}`;
          }
        } catch (error) {
          errors++;
          firstError ??= String(error);
        }
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return { sent: job.devices.length * job.perDevice, seconds, latencies, errors, firstError };
}

if (require.main === module) {
  let input = '';
  process.stdin.on('data', (c: Buffer) => (input += c.toString()));
  process.stdin.on('end', () => {
    run(JSON.parse(input) as LoadJob).then(
      // Exit only once the line is flushed: a pipe takes it asynchronously.
      (r) => process.stdout.write(`${JSON.stringify(r)}\n`, () => process.exit(0)),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
}
