/**
 * The registry bench's HTTP floor: a bare `node:http` server that answers the registry's device
 * calls from a Map, with replies of the registry's shape and size, and nothing else (no auth
 * check, no validation, no store). Run as a process of its own, as the host is; prints its port.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';

const devices = new Map<string, string>();

const reply = (res: ServerResponse, status: number, body?: string) => {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    ...(body === undefined ? {} : { 'content-length': Buffer.byteLength(body) }),
  });
  res.end(body);
};

const deviceJson = (deviceId: string, status: string) =>
  JSON.stringify({
    deviceId,
    generationId: String(Date.now()),
    etag: randomUUID(),
    connectionState: 'Disconnected',
    status,
    statusReason: null,
    connectionStateUpdatedTime: '0001-01-01T00:00:00Z',
    statusUpdatedTime: new Date().toISOString(),
    lastActivityTime: '0001-01-01T00:00:00Z',
    cloudToDeviceMessageCount: 0,
    authentication: {
      symmetricKey: {
        primaryKey: randomBytes(32).toString('base64'),
        secondaryKey: randomBytes(32).toString('base64'),
      },
      x509Thumbprint: { primaryThumbprint: null, secondaryThumbprint: null },
      type: 'sas',
    },
    capabilities: { iotEdge: false },
  });

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const match = /^\/devices\/([^/?]+)/.exec(req.url ?? '');
    const id = match ? decodeURIComponent(match[1] ?? '') : undefined;
    if (id === undefined) return reply(res, 404, '{}');
    if (req.method === 'PUT') {
      const body = JSON.parse(Buffer.concat(chunks).toString() || '{}') as { status?: string };
      const json = deviceJson(id, body.status ?? 'enabled');
      devices.set(id, json);
      return reply(res, 200, json);
    }
    const stored = devices.get(id);
    if (stored === undefined) return reply(res, 404, '{}');
    if (req.method === 'GET') return reply(res, 200, stored);
    if (req.method === 'DELETE') {
      devices.delete(id);
      return reply(res, 204);
    }
    reply(res, 405, '{}');
  });
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  console.log(`listening ${typeof address === 'object' && address ? address.port : 0}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
