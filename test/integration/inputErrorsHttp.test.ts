import { describe, expect, it } from 'vitest';
import { api, errorCode, uniqueId } from '../support/registryApi';

/** Every bad input gets a 4xx that says what to fix, and nothing is written. */
describe('bad input over HTTP', () => {
  const expectRefused = (
    reply: Awaited<ReturnType<typeof api>>,
    status: number,
    code: string,
    says: string,
  ) => {
    expect(reply.status).toBe(status);
    expect(errorCode(reply)).toBe(code);
    expect(reply.json.Message).toContain(says);
    expect(reply.json.ExceptionMessage).toMatch(
      /^Tracking ID:[0-9a-f]+-TimeStamp:\d\d\/\d\d\/\d{4} \d\d:\d\d:\d\d$/,
    );
  };

  const cases: [string, () => Promise<Awaited<ReturnType<typeof api>>>, number, string, string][] =
    [
      [
        'malformed JSON',
        () => api('PUT', `/devices/${uniqueId()}`, { body: '{"status": ' }),
        400,
        'IotHubFormatError',
        'not valid JSON',
      ],
      [
        'an empty body',
        () => api('PUT', `/devices/${uniqueId()}`, { body: '' }),
        400,
        'ArgumentNull',
        'no body',
      ],
      [
        'a wrong type',
        () => api('PUT', `/devices/${uniqueId()}`, { body: { status: 5 } }),
        400,
        'ArgumentInvalid',
        'status',
      ],
      [
        'an unknown status',
        () => api('PUT', `/devices/${uniqueId()}`, { body: { status: 'paused' } }),
        400,
        'ArgumentInvalid',
        "status 'paused' is not one of",
      ],
      [
        'an unknown field',
        () => api('PUT', `/devices/${uniqueId()}`, { body: { colour: 'red' } }),
        400,
        'ArgumentInvalid',
        "unknown field 'colour'",
      ],
      [
        'an unknown nested field',
        () => api('PUT', `/devices/${uniqueId()}`, { body: { authentication: { kind: 'sas' } } }),
        400,
        'ArgumentInvalid',
        "'kind' in authentication",
      ],
      [
        'a body that is an array',
        () => api('PUT', `/devices/${uniqueId()}`, { body: [] }),
        400,
        'ArgumentInvalid',
        'Invalid device',
      ],
      [
        'a body over 256 KB',
        () => api('PUT', `/devices/${uniqueId()}`, { body: { statusReason: 'x'.repeat(300_000) } }),
        413,
        'MessageTooLarge',
        '256 KB',
      ],
      [
        'a device ID with #',
        () => api('PUT', `/devices/${encodeURIComponent('a#b')}`, { body: {} }),
        400,
        'ArgumentInvalid',
        'not allowed',
      ],
      [
        'a 129-character ID',
        () => api('GET', `/devices/${'a'.repeat(129)}`),
        400,
        'ArgumentInvalid',
        'the limit is 128',
      ],
      [
        'a short key',
        () =>
          api('PUT', `/devices/${uniqueId()}`, {
            body: { authentication: { symmetricKey: { primaryKey: 'c2hvcnQ=' } } },
          }),
        400,
        'ArgumentInvalid',
        'base64 of 16 to 64 bytes',
      ],
      [
        'a key that is not base64',
        () =>
          api('PUT', `/devices/${uniqueId()}`, {
            body: { authentication: { symmetricKey: { primaryKey: 'not base64 at all!!' } } },
          }),
        400,
        'ArgumentInvalid',
        'base64',
      ],
      [
        'a bad thumbprint',
        () =>
          api('PUT', `/devices/${uniqueId()}`, {
            body: {
              authentication: { type: 'selfSigned', x509Thumbprint: { primaryThumbprint: 'xyz' } },
            },
          }),
        400,
        'ArgumentInvalid',
        'hex thumbprint',
      ],
      [
        'a statusReason over 128 characters',
        () => api('PUT', `/devices/${uniqueId()}`, { body: { statusReason: '🚨'.repeat(129) } }),
        400,
        'ArgumentInvalid',
        '128',
      ],
      [
        'a body ID that differs from the path',
        () => api('PUT', `/devices/${uniqueId()}`, { body: { deviceId: 'other' } }),
        400,
        'ArgumentInvalid',
        'differs from the one in the path',
      ],
      [
        'an unknown api-version',
        () => api('GET', '/devices', { apiVersion: '2099-01-01' }),
        400,
        'InvalidProtocolVersion',
        'api-version=2021-04-12',
      ],
      [
        'a malformed api-version',
        () => api('GET', '/devices', { apiVersion: 'latest' }),
        400,
        'InvalidProtocolVersion',
        'latest',
      ],
      [
        '101 bulk entries',
        () =>
          api('POST', '/devices', {
            body: Array.from({ length: 101 }, (_, i) => ({ id: `b${i}`, importMode: 'create' })),
          }),
        400,
        'ArgumentInvalid',
        'at most 100',
      ],
      [
        'an empty bulk request',
        () => api('POST', '/devices', { body: [] }),
        400,
        'ArgumentInvalid',
        '1 to 100',
      ],
      [
        'a bulk entry without id',
        () => api('POST', '/devices', { body: [{ importMode: 'create' }] }),
        400,
        'ArgumentInvalid',
        'id',
      ],
      [
        'an unknown import mode',
        () => api('POST', '/devices', { body: [{ id: 'x', importMode: 'upsert' }] }),
        400,
        'ArgumentInvalid',
        "importMode 'upsert'",
      ],
    ];

  it.each(cases)('refuses %s', async (_name, send, status, code, says) => {
    expectRefused(await send(), status, code, says);
  });

  it('writes nothing for a refused create', async () => {
    const id = uniqueId();
    const reply = await api('PUT', `/devices/${id}`, {
      body: { authentication: { symmetricKey: { primaryKey: 'c2hvcnQ=' } } },
    });
    expect(reply.status).toBe(400);
    expect(reply.text).not.toContain('c2hvcnQ=');
    expect((await api('GET', `/devices/${id}`)).status).toBe(404);
  });

  it('accepts a missing api-version as the current one', async () => {
    expect((await api('GET', '/devices?top=1', { apiVersion: null })).status).toBe(200);
  });

  it('ignores read-only fields echoed back in any form, as SDK objects send them', async () => {
    const id = uniqueId();
    const reply = await api('PUT', `/devices/${id}`, {
      body: {
        deviceId: id,
        generationId: null,
        etag: null,
        connectionState: 'disconnected',
        cloudToDeviceMessageCount: '0',
        statusUpdatedTime: null,
        lastActivityTime: null,
        connectionStateUpdatedTime: null,
        capabilities: {},
        authentication: {
          symmetricKey: { primaryKey: null, secondaryKey: null },
          x509Thumbprint: { primaryThumbprint: null, secondaryThumbprint: null },
        },
      },
    });
    expect(reply.status).toBe(200);
    expect(reply.json.connectionState).toBe('Disconnected');
    expect(reply.json.authentication.type).toBe('sas');
  });
});
