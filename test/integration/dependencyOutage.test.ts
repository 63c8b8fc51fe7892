import { mkdtemp, rm } from 'node:fs/promises';
import { FREE_PORTS } from '../support/freePorts';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSettings } from '../../src/config/Settings';
import { sign } from '../../src/domain/auth/signatureMatches';
import { silentLogger, type Logger } from '../../src/ports/Logger';
import { startLocalStack, type LocalStack } from '../../local/startLocalStack';
import { eventually } from '../support/blobContainers';

interface Reply {
  status: number;
  retryAfter: string | null;
  ms: number;
  json: any;
}

/** Longest any answer may take while a dependency is down (never the SDKs' 60-90 s). */
const BOUND_MS = 12_000;

/**
 * Each stand-in killed in turn (SIGKILL, as a crash) under load: answers are 2xx or 503 with
 * Retry-After, each within a bound, never a 500; /health names the dependency that is down and
 * readiness fails; the local host restarts it, everything works again, and nothing that was
 * acknowledged is lost.
 */
describe('a dependency that dies under load', () => {
  let stack: LocalStack;
  let dataDir: string;
  let deviceKey: string;
  const errors: string[] = [];
  const logger: Logger = { ...silentLogger, error: (m) => void errors.push(m) };
  const ownerKey = () => stack.policies.get('iothubowner')!.primaryKey;

  const call = async (method: string, path: string, body?: unknown): Promise<Reply> => {
    const se = Math.floor(Date.now() / 1000) + 3600;
    const sig = encodeURIComponent(sign(ownerKey(), 'localhost', se));
    const started = Date.now();
    const res = await fetch(`${stack.httpUrl}${path}?api-version=2021-04-12`, {
      method,
      headers: {
        authorization: `SharedAccessSignature sr=localhost&sig=${sig}&se=${se}&skn=iothubowner`,
        'content-type': 'application/json',
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(60_000),
    });
    const text = await res.text();
    return {
      status: res.status,
      retryAfter: res.headers.get('retry-after'),
      ms: Date.now() - started,
      json: text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text,
    };
  };

  const sendMessage = (deviceId: string) =>
    new Promise<Reply>((resolve, reject) => {
      const sr = encodeURIComponent(`localhost/devices/${deviceId}`);
      const se = Math.floor(Date.now() / 1000) + 3600;
      const sas = `SharedAccessSignature sr=${sr}&sig=${encodeURIComponent(sign(deviceKey, sr, se))}&se=${se}`;
      const started = Date.now();
      const req = httpsRequest(
        `https://localhost:${stack.httpsPort}/devices/${deviceId}/messages/events?api-version=2021-04-12`,
        {
          method: 'POST',
          ca: stack.certificate,
          headers: { authorization: sas, 'iothub-app-messageType': 'heartbeat' },
        },
        (res) => {
          res.resume();
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              retryAfter: res.headers['retry-after'] ?? null,
              ms: Date.now() - started,
              json: undefined,
            }),
          );
        },
      );
      req.on('error', reject);
      req.end('beat');
    });

  const health = async () => {
    const res = await fetch(`${stack.httpUrl}/health`);
    return (await res.json()) as { dependencies: { name: string; state: string }[] };
  };
  const ready = async () => {
    const res = await fetch(`${stack.httpUrl}/health/ready`);
    await res.arrayBuffer();
    return { status: res.status, retryAfter: res.headers.get('retry-after') };
  };

  /** Runs the load until stopped: registry writes and reads, device messages, liveness reads. */
  function load(prefix: string) {
    const replies: (Reply & { what: string })[] = [];
    const created = new Set<string>();
    let done = false;
    let n = 0;
    const loop = async (what: string, step: () => Promise<Reply>) => {
      while (!done) {
        const reply = await step();
        replies.push({ ...reply, what });
        if (reply.status >= 500 && reply.status !== 503) done = true;
      }
    };
    const loops = [
      loop('create', async () => {
        const id = `${prefix}-${n++}`;
        const reply = await call('PUT', `/devices/${id}`, {});
        if (reply.status === 200) created.add(id);
        return reply;
      }),
      loop('get', () => call('GET', '/devices/heart')),
      loop('message', () => sendMessage('heart')),
      loop('summary', () => call('GET', '/liveness/summary')),
    ];
    return {
      replies,
      created,
      stop: async () => {
        done = true;
        await Promise.all(loops);
      },
    };
  }

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'registry-outage-'));
    stack = await startLocalStack({
      settings: parseSettings({
        ...FREE_PORTS,
        DATA_DIR: dataDir,
        // The load sends as fast as it can: the per-device rate limit is not what is tested.
        DEVICE_MESSAGES_PER_SECOND: '100000',
        DEVICE_MESSAGE_BURST: '100000',
      }),
      logger,
      // Slow restarts: the outage outlasts every call's deadline (a call caught by a short
      // outage just succeeds once the stand-in is back).
      supervise: { backoffMs: 12_000 },
    });
    const created = await call('PUT', '/devices/heart', {});
    deviceKey = created.json.authentication.symmetricKey.primaryKey as string;
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it.each([
    ['cosmos', 'create'],
    ['eventHubs', 'message'],
    ['storage', 'summary'],
  ] as const)(
    '%s: 503 with Retry-After while it is down, reported by /health, and back after its restart',
    async (dependency, needsIt) => {
      const standIn = {
        cosmos: stack.standIns.cosmos,
        eventHubs: stack.standIns.eventHubs,
        storage: stack.standIns.azurite,
      }[dependency]!;
      const errorsBefore = errors.length;
      const traffic = load(dependency);
      try {
        await eventually(
          () => (traffic.replies.filter((r) => r.status < 300).length > 20 ? true : undefined),
          'load before the kill',
        );
        await standIn.kill();
        const killedAt = traffic.replies.length;

        // The service says which dependency is down, and is not ready.
        await eventually(
          async () =>
            (await health()).dependencies.find((d) => d.name === dependency)?.state === 'down'
              ? true
              : undefined,
          `/health to report ${dependency} down`,
        );
        const notReady = await ready();
        expect(notReady.status).toBe(503);
        expect(Number(notReady.retryAfter)).toBeGreaterThan(0);
        await eventually(
          () =>
            traffic.replies.slice(killedAt).some((r) => r.what === needsIt && r.status === 503)
              ? true
              : undefined,
          `a 503 for what needs ${dependency} (${JSON.stringify(traffic.replies.slice(killedAt).map((r) => [r.what, r.status, r.ms]))})`,
        );

        // Restarted by the local host: ready again, and what needs it works again.
        await eventually(
          async () => ((await ready()).status === 200 ? true : undefined),
          'readiness after the restart',
          60_000,
        );
        const recoveredAt = traffic.replies.length;
        await eventually(
          () =>
            traffic.replies.slice(recoveredAt).some((r) => r.what === needsIt && r.status < 300)
              ? true
              : undefined,
          `${needsIt} to succeed again`,
          30_000,
        );
      } finally {
        await traffic.stop();
      }
      for (const r of traffic.replies) {
        expect([200, 204, 503], `${r.what} answered ${r.status}`).toContain(r.status);
        if (r.status === 503) expect(Number(r.retryAfter), r.what).toBeGreaterThan(0);
        expect(r.ms, `${r.what} took ${r.ms} ms`).toBeLessThan(BOUND_MS);
      }
      // Reads of the registry do not need the liveness map.
      if (dependency === 'storage')
        expect(traffic.replies.filter((r) => r.what === 'get' && r.status !== 200)).toEqual([]);
      // Every acknowledged create is there.
      for (const id of traffic.created)
        expect((await call('GET', `/devices/${id}`)).status).toBe(200);
      // Logged per change of state, not per failing request.
      expect(errors.slice(errorsBefore).length, errors.slice(errorsBefore).join('\n')).toBeLessThan(
        30,
      );
    },
    180_000,
  );

  it('applies every device message it acknowledged, across the outages', async () => {
    const sent = await sendMessage('heart');
    expect(sent.status).toBe(204);
    await eventually(
      async () => {
        const reply = await call('GET', '/devices/heart/liveness');
        return reply.json?.state === 'online' ? true : undefined;
      },
      'the heartbeat in the liveness map',
      30_000,
    );
  });
});
