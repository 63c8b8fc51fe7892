import { Message } from 'azure-iot-device';
import { generate } from 'selfsigned';
import { describe, expect, it } from 'vitest';
import { api, errorCode, uniqueId } from '../support/registryApi';
import { sdkDeviceClient } from '../support/sdkDeviceClient';

const errorName = (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (e: Error) => e.name,
  );

const ca = (cn: string) =>
  generate([{ name: 'commonName', value: cn }], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', keyCertSign: true, digitalSignature: true },
    ],
  });

const signed = (cn: string, by: { private: string; cert: string }) =>
  generate([{ name: 'commonName', value: cn }], {
    keySize: 2048,
    algorithm: 'sha256',
    ca: { key: by.private, cert: by.cert },
    extensions: [{ name: 'basicConstraints', cA: false }],
  });

async function send(deviceId: string, pems: { cert: string; private: string }) {
  const client = await sdkDeviceClient(`HostName=localhost;DeviceId=${deviceId};x509=true`, {
    cert: pems.cert,
    key: pems.private,
  });
  try {
    return await errorName(client.sendEvent(new Message('{}')));
  } finally {
    await client.close();
  }
}

describe("IoT Hub's CA flow: upload, prove possession, and devices signed by the CA connect", () => {
  it('accepts a device signed by a verified CA with its ID as CN, and no other', async () => {
    const name = uniqueId('ca').replace(/[^A-Za-z0-9._-]/g, '');
    const authority = await ca(`Fleet CA ${name}`);
    const deviceId = uniqueId('cadev');
    const device = await api('PUT', `/devices/${deviceId}`, {
      body: { authentication: { type: 'certificateAuthority' } },
    });
    expect(device.status, device.text).toBe(200);
    const leaf = await signed(deviceId, authority);

    // Uploaded, not yet verified: the device is refused.
    const uploaded = await api('PUT', `/certificates/${name}`, {
      body: { properties: { certificate: authority.cert } },
    });
    expect(uploaded.status, uploaded.text).toBe(200);
    expect(uploaded.json.properties).toMatchObject({ isVerified: false });
    expect(uploaded.json.properties.thumbprint).toMatch(/^[0-9A-F]{40}$/);
    expect(await send(deviceId, leaf)).toBe('UnauthorizedError');

    const code = await api('POST', `/certificates/${name}/generateVerificationCode`, {
      headers: { 'if-match': `"${uploaded.json.etag}"` },
    });
    expect(code.status, code.text).toBe(200);
    const verificationCode = code.json.properties.verificationCode as string;
    expect(verificationCode).toMatch(/^[0-9A-F]{48}$/);

    // A proof signed by another key, or with another CN, is refused.
    const impostor = await ca('impostor');
    for (const proof of [await signed(verificationCode, impostor), await signed('x', authority)]) {
      const refused = await api('POST', `/certificates/${name}/verify`, {
        body: { certificate: proof.cert },
        headers: { 'if-match': `"${code.json.etag}"` },
      });
      expect(refused.status).toBe(400);
      expect(errorCode(refused)).toBe('ArgumentInvalid');
    }
    const verified = await api('POST', `/certificates/${name}/verify`, {
      body: { certificate: (await signed(verificationCode, authority)).cert },
      headers: { 'if-match': `"${code.json.etag}"` },
    });
    expect(verified.status, verified.text).toBe(200);
    expect(verified.json.properties.isVerified).toBe(true);

    expect(await send(deviceId, leaf)).toBe('resolved');
    // Signed by an unverified CA, or naming another device: refused.
    expect(await send(deviceId, await signed(deviceId, impostor))).toBe('UnauthorizedError');
    expect(await send(deviceId, await signed('someone-else', authority))).toBe('UnauthorizedError');

    const listed = await api('GET', '/certificates');
    expect((listed.json.value as { name: string }[]).map((c) => c.name)).toContain(name);
    expect(
      (await api('DELETE', `/certificates/${name}`, { headers: { 'if-match': '*' } })).status,
    ).toBe(204);
    expect(await send(deviceId, leaf)).toBe('UnauthorizedError');
  });

  it('refuses uploads that are not CA certificates, and names taken twice', async () => {
    const name = uniqueId('ca').replace(/[^A-Za-z0-9._-]/g, '');
    const leaf = await generate([{ name: 'commonName', value: 'leaf' }], {
      keySize: 2048,
      algorithm: 'sha256',
      extensions: [{ name: 'basicConstraints', cA: false }],
    });
    const notCa = await api('PUT', `/certificates/${name}`, {
      body: { properties: { certificate: leaf.cert } },
    });
    expect(notCa.status).toBe(400);
    expect(notCa.json.Message).toMatch(/not a CA certificate/);
    const garbage = await api('PUT', `/certificates/${name}`, {
      body: { properties: { certificate: 'not a certificate' } },
    });
    expect(garbage.json.Message).toMatch(/not an X\.509 certificate/);
    const authority = await ca('twice');
    const body = { properties: { certificate: authority.cert } };
    expect((await api('PUT', `/certificates/${name}`, { body })).status).toBe(200);
    const again = await api('PUT', `/certificates/${name}`, { body });
    expect(again.status).toBe(409);
    expect(errorCode(again)).toBe('CertificateAlreadyExists');
    expect(errorCode(await api('GET', '/certificates/missing-one'))).toBe('NotFound');
    expect(errorCode(await api('PUT', '/certificates/bad name!', { body }))).toBe(
      'ArgumentInvalid',
    );
  });
});
