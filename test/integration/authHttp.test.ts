import { randomBytes } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { api, errorCode, policy, serviceToken, uniqueId } from '../support/registryApi';
import { rawHttp } from '../support/rawHttp';

describe('service authentication', () => {
  const refused = async (auth: string | null, method = 'GET', path = '/devices?top=1') => {
    const reply = await api(method, path, { auth, ...(method === 'PUT' ? { body: {} } : {}) });
    expect(reply.status).toBe(401);
    expect(errorCode(reply)).toBe('IotHubUnauthorizedAccess');
    return reply.json.Message as string;
  };

  it('refuses a request without a token', async () => {
    expect(await refused(null)).toContain('SharedAccessSignature');
  });

  it('refuses an expired token', async () => {
    expect(await refused(serviceToken('iothubowner', { expiresInSeconds: -1 }))).toContain(
      'expired',
    );
  });

  it('refuses a token signed with the wrong key, and never shows a key', async () => {
    const message = await refused(
      serviceToken('iothubowner', { key: randomBytes(32).toString('base64') }),
    );
    expect(message).toContain('signature does not match');
    expect(message).not.toContain(policy('iothubowner').primaryKey);
  });

  it('accepts the secondary key', async () => {
    const auth = serviceToken('iothubowner', { key: policy('iothubowner').secondaryKey });
    expect((await api('GET', '/devices?top=1', { auth })).status).toBe(200);
  });

  it('refuses a token for another host or an unknown policy', async () => {
    expect(await refused(serviceToken('iothubowner', { sr: 'otherhub.example.net' }))).toContain(
      'does not cover',
    );
    expect(
      await refused('SharedAccessSignature sr=localhost&sig=abc&se=9999999999&skn=nobody'),
    ).toContain('no known shared access policy');
    expect(await refused('Bearer abc')).toContain('SharedAccessSignature');
  });

  it('accepts a token scoped to the device being read, and refuses one for another device', async () => {
    const id = uniqueId();
    await api('PUT', `/devices/${id}`, { body: {} });
    expect(
      (
        await api('GET', `/devices/${id}`, {
          auth: serviceToken('iothubowner', { sr: `localhost/devices/${id}` }),
        })
      ).status,
    ).toBe(200);
    await refused(
      serviceToken('iothubowner', { sr: `localhost/devices/${id}x` }),
      'GET',
      `/devices/${id}`,
    );
  });

  it('needs RegistryRead to read and RegistryWrite to write', async () => {
    const id = uniqueId();
    expect(
      (await api('GET', '/devices?top=1', { auth: serviceToken('registryRead') })).status,
    ).toBe(200);
    expect(await refused(serviceToken('registryRead'), 'PUT', `/devices/${id}`)).toContain(
      'RegistryWrite',
    );
    expect(await refused(serviceToken('service'))).toContain('RegistryRead');
    expect(await refused(serviceToken('device'))).toContain('RegistryRead');
    expect(
      (await api('PUT', `/devices/${id}`, { body: {}, auth: serviceToken('registryReadWrite') }))
        .status,
    ).toBe(200);
    expect((await api('GET', `/devices/${id}`)).status).toBe(200);
  });

  describe('binds tokens to the hub host name, whatever host the request names', () => {
    const baseUrl = () => inject('stack').httpUrl;
    const target = (id: string) => `/devices/${id}?api-version=2021-04-12`;

    it('refuses a token for another host sent with that Host header (401), accepts the hub one', async () => {
      const id = uniqueId();
      await api('PUT', `/devices/${id}`, { body: {} });
      const forOther = serviceToken('iothubowner', { sr: 'other.example' });
      const replay = await rawHttp(baseUrl(), {
        target: target(id),
        headers: { host: 'other.example', authorization: forOther },
      });
      expect(replay.status).toBe(401);
      expect(replay.headers['iothub-errorcode']).toBe('IotHubUnauthorizedAccess');
      expect(replay.body).not.toContain(id);
      // The same request with a token for the hub is served, whatever the Host header says.
      const own = await rawHttp(baseUrl(), {
        target: target(id),
        headers: { host: 'other.example', authorization: serviceToken() },
      });
      expect(own.status).toBe(200);
      expect(JSON.parse(own.body)).toMatchObject({ deviceId: id });
    });

    it('refuses an absolute URI or a //host path as the request target (400), before any handler', async () => {
      const id = uniqueId();
      await api('PUT', `/devices/${id}`, { body: {} });
      const forOther = serviceToken('iothubowner', { sr: 'other.example' });
      for (const requestTarget of [
        `http://other.example${target(id)}`,
        `http://other.example:80${target(id)}`,
        `//other.example${target(id)}`,
        `/.//other.example${target(id)}`,
        `/a/..//other.example${target(id)}`,
      ]) {
        for (const auth of [forOther, serviceToken()]) {
          const reply = await rawHttp(baseUrl(), {
            target: requestTarget,
            headers: { authorization: auth },
          });
          expect(reply.status, requestTarget).toBe(400);
          expect(reply.headers['iothub-errorcode']).toBe('ArgumentInvalid');
          expect(reply.body).toContain('single /');
          expect(reply.body).not.toContain(id);
        }
      }
    });
  });
});
