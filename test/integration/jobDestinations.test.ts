import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, errorCode } from '../support/registryApi';
import { testContainer } from '../support/blobContainers';

describe('job containers are allow-listed', () => {
  // A listener on loopback, as an attacker's collector would be: it must never be reached.
  let listener: Server;
  let port = 0;
  let connections = 0;
  beforeAll(async () => {
    listener = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    port = (listener.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => listener.close(() => resolve())));

  it('refuses every other destination with a 400 naming the rule, and connects to none', async () => {
    const sas = '?sv=2020-08-04&sr=c&sp=rwl&sig=x';
    const cases: [string, RegExp][] = [
      [`http://127.0.0.1:${port}/steal${sas}`, /'127\.0\.0\.1' is not on the storage allow-list/],
      [`https://127.0.0.1:${port}/steal${sas}`, /not on the storage allow-list/],
      [`http://localhost:${port}/steal${sas}`, /'localhost' is not on the storage allow-list/],
      [`http://169.254.169.254/metadata/identity${sas}`, /'169\.254\.169\.254' is not on/],
      [`https://10.0.0.4/c${sas}`, /'10\.0\.0\.4' is not on/],
      [`https://[::1]:${port}/c${sas}`, /'::1' is not on/],
      [`https://storage.example.com/c${sas}`, /'storage\.example\.com' is not on/],
      [`http://acct.blob.core.windows.net/c${sas}`, /must use https, not http/],
      // On the list by its suffix, but a name that resolves to loopback (RFC 6761).
      [`https://x.blob.core.windows.net.localhost/c${sas}`, /not on the storage allow-list/],
    ];
    for (const [uri, message] of cases) {
      for (const body of [
        { type: 'export', outputBlobContainerUri: uri, excludeKeysInExport: false },
        { type: 'import', inputBlobContainerUri: uri, outputBlobContainerUri: uri },
      ]) {
        const reply = await api('POST', '/jobs/create', { body });
        expect(reply.status, `${body.type} ${uri}`).toBe(400);
        expect(errorCode(reply)).toBe('ArgumentInvalid');
        expect(reply.json.Message).toMatch(message);
        expect(reply.json.Message).toContain('is refused');
        expect(reply.json.Message).not.toContain('sig=x');
      }
    }
    expect(connections).toBe(0);
    // No job was stored for any of them.
    const jobs = (await api('GET', '/jobs')).json as { outputBlobContainerUri: string }[];
    expect(jobs.filter((j) => j.outputBlobContainerUri.includes(String(port)))).toEqual([]);
  });

  it("accepts the embedded Azurite, the service's own account", async () => {
    const out = await testContainer();
    const reply = await api('POST', '/jobs/create', {
      body: { type: 'export', outputBlobContainerUri: await out.sas(), excludeKeysInExport: true },
    });
    expect(reply.status, reply.text).toBe(200);
  });
});
