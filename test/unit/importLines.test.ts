import { describe, expect, it } from 'vitest';
import { RegistryError } from '../../src/domain/errors/RegistryError';
import type { DeviceIdentity } from '../../src/domain/identity/DeviceIdentity';
import type { ModuleIdentity } from '../../src/domain/identity/ModuleIdentity';
import { deviceLine, moduleLine } from '../../src/domain/jobs/identityLines';
import { redactError, redactSas } from '../../src/domain/jobs/redactSas';
import { parseImportLine } from '../../src/http/parseImportLine';

const KEY = Buffer.alloc(32, 7).toString('base64');
const device: DeviceIdentity = {
  deviceId: 'dev-1',
  generationId: 'g1',
  etag: 'ZXRhZw==',
  status: 'disabled',
  statusReason: 'maintenance',
  statusUpdatedTime: '2026-01-01T00:00:00Z',
  authentication: {
    type: 'sas',
    symmetricKey: { primaryKey: KEY, secondaryKey: KEY },
    x509Thumbprint: { primaryThumbprint: null, secondaryThumbprint: null },
  },
  capabilities: { iotEdge: false },
  deviceScope: null,
  parentScopes: null,
};
const module: ModuleIdentity = {
  deviceId: 'dev-1',
  moduleId: 'edge#1',
  generationId: 'g2',
  etag: 'bW9k',
  managedBy: 'me',
  authentication: device.authentication,
  deviceGenerationId: 'g1',
};

const codeOf = (line: string) => {
  try {
    parseImportLine(line);
    return 'parsed';
  } catch (error) {
    return error instanceof RegistryError ? error.code : 'other';
  }
};

describe('export lines', () => {
  it('read back as the identity they came from, with importMode createOrUpdate', () => {
    const d = parseImportLine(deviceLine(device, false));
    expect(d).toMatchObject({
      deviceId: 'dev-1',
      moduleId: undefined,
      importMode: 'createOrUpdate',
    });
    expect(d.device).toMatchObject({
      status: 'disabled',
      statusReason: 'maintenance',
      authentication: device.authentication,
    });
    const m = parseImportLine(moduleLine(module, false));
    expect(m).toMatchObject({ deviceId: 'dev-1', moduleId: 'edge#1', etag: 'bW9k' });
    expect(m.module).toEqual({ managedBy: 'me', authentication: device.authentication });
  });

  it('carry no keys when keys are excluded', () => {
    for (const line of [deviceLine(device, true), moduleLine(module, true)]) {
      expect(line).not.toContain(KEY);
      expect(JSON.parse(line).authentication.symmetricKey).toEqual({
        primaryKey: null,
        secondaryKey: null,
      });
    }
  });
});

describe('parseImportLine', () => {
  it('takes import modes in any case and needs an eTag for the IfMatchETag ones', () => {
    expect(parseImportLine('{"id":"a","importMode":"DELETE"}').importMode).toBe('delete');
    expect(codeOf('{"id":"a","importMode":"deleteIfMatchETag"}')).toBe('ArgumentInvalid');
    expect(parseImportLine('{"id":"a","importMode":"deleteIfMatchETag","eTag":"x"}').etag).toBe(
      'x',
    );
  });

  it('refuses what is not one identity, saying so', () => {
    expect(codeOf('{"id":')).toBe('IotHubFormatError');
    expect(codeOf('[{"id":"a"}]')).toBe('ArgumentInvalid');
    expect(codeOf('"a"')).toBe('ArgumentInvalid');
    expect(codeOf('{"deviceId":"a"}')).toBe('ArgumentInvalid');
    expect(codeOf('{"id":"a","importMode":"upsert"}')).toBe('ArgumentInvalid');
    expect(codeOf('{"id":"a b"}')).toBe('ArgumentInvalid');
    expect(codeOf('{"id":"a","authentication":{"symmetricKey":{"primaryKey":"short"}}}')).toBe(
      'ArgumentInvalid',
    );
  });
});

describe('redactSas', () => {
  it('replaces the signature and keeps the rest', () => {
    expect(redactSas('https://a.blob.core.windows.net/c?sv=2020&sig=abc%2Bdef&se=1')).toBe(
      'https://a.blob.core.windows.net/c?sv=2020&sig=REDACTED&se=1',
    );
    expect(redactSas('https://x/c?SIG=abc')).toBe('https://x/c?SIG=REDACTED');
    expect(redactSas('https://x/c')).toBe('https://x/c');
  });
});

describe('redactError', () => {
  it('keeps what the error says and where, without the signature', () => {
    const error = new TypeError('GET https://x/c?sv=1&sig=secret failed');
    const safe = redactError(error);
    expect(safe.name).toBe('TypeError');
    expect(safe.message).toBe('GET https://x/c?sv=1&sig=REDACTED failed');
    expect(safe.stack).not.toContain('secret');
    expect(redactError('sig=secret').message).toBe('sig=REDACTED');
  });
});
