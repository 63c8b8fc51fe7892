import { randomBytes } from 'node:crypto';
import { encodeUriComponentStrict } from 'azure-iothub/dist/common-core/authorization';
import { SharedAccessSignature } from 'azure-iothub/dist/common-core/shared_access_signature';
import { describe, expect, it } from 'vitest';
import {
  authorizeServiceRequest,
  type ServiceRequestAccess,
} from '../../src/domain/auth/authorizeServiceRequest';
import { parseSharedAccessSignature } from '../../src/domain/auth/parseSharedAccessSignature';
import { resourceCovers } from '../../src/domain/auth/resourceCovers';
import type { AccessRight, SharedAccessPolicy } from '../../src/domain/auth/SharedAccessPolicy';
import { sign, signatureMatches } from '../../src/domain/auth/signatureMatches';
import { RegistryError } from '../../src/domain/errors/RegistryError';

const HOST = 'myhub.example.net';
const now = new Date('2026-03-01T12:00:00Z');
const nowSeconds = now.getTime() / 1000;
const inAnHour = nowSeconds + 3600;
const ALL_RIGHTS: AccessRight[] = [
  'RegistryRead',
  'RegistryWrite',
  'ServiceConnect',
  'DeviceConnect',
];

const newKey = () => randomBytes(32).toString('base64');
const policy = (keyName: string, rights: AccessRight[]): SharedAccessPolicy => ({
  keyName,
  primaryKey: newKey(),
  secondaryKey: newKey(),
  rights,
});

const owner = policy('iothubowner', ALL_RIGHTS);
const readOnly = policy('registryRead', ['RegistryRead']);
const service = policy('service', ['ServiceConnect']);
const policies = new Map<string, SharedAccessPolicy>([
  [owner.keyName, owner],
  [readOnly.keyName, readOnly],
  [service.keyName, service],
]);

/** A token exactly as the azure-iothub SDK builds it (`sr` is the raw host name). */
const sdkToken = (sr: string, keyName: string, key: string, se: number = inAnHour): string =>
  SharedAccessSignature.create(sr, keyName, key, se).toString();

/** A device-style token: `sr` is the URL-encoded `host/devices/{id}[/modules/{mid}]`. */
const deviceStyleToken = (
  resource: string,
  keyName: string,
  key: string,
  se: number = inAnHour,
): string =>
  SharedAccessSignature.create(encodeUriComponentStrict(resource), keyName, key, se).toString();

const access = (
  authorization: string | null,
  resource = `${HOST}/devices/d1`,
  right: AccessRight = 'RegistryRead',
): ServiceRequestAccess => ({ authorization, resource, right, now });

function refusal(
  authorization: string | null,
  resource?: string,
  right?: AccessRight,
): RegistryError {
  try {
    authorizeServiceRequest(policies, access(authorization, resource, right));
  } catch (e) {
    if (e instanceof RegistryError) return e;
    throw e;
  }
  throw new Error('expected the request to be refused');
}

/** Every secret a refusal could leak: all keys, and the signature in both its forms. */
function expectNoSecrets(error: RegistryError, token: string | null): void {
  for (const p of policies.values()) {
    expect(error.message).not.toContain(p.primaryKey);
    expect(error.message).not.toContain(p.secondaryKey);
  }
  const sig = token?.match(/[ &]sig=([^&]*)/)?.[1];
  if (sig) {
    expect(error.message).not.toContain(sig);
    expect(error.message).not.toContain(decodeURIComponent(sig));
  }
}

function expectRefused(authorization: string | null, resource?: string, right?: AccessRight) {
  const error = refusal(authorization, resource, right);
  expect(error.code).toBe('IotHubUnauthorizedAccess');
  expectNoSecrets(error, authorization);
  return error;
}

describe('sign and signatureMatches', () => {
  it('computes the same signature as the SDK', () => {
    const token = SharedAccessSignature.create(HOST, 'iothubowner', owner.primaryKey, inAnHour);
    expect(sign(owner.primaryKey, HOST, inAnHour)).toBe(decodeURIComponent(token.sig));
  });

  it('matches the right signature only', () => {
    const sig = sign(owner.primaryKey, HOST, inAnHour);
    expect(signatureMatches(owner.primaryKey, HOST, inAnHour, sig)).toBe(true);
    expect(signatureMatches(owner.secondaryKey, HOST, inAnHour, sig)).toBe(false);
    expect(signatureMatches(owner.primaryKey, HOST, inAnHour + 1, sig)).toBe(false);
    expect(signatureMatches(owner.primaryKey, `${HOST}/devices/x`, inAnHour, sig)).toBe(false);
  });

  it('refuses a signature that differs in one character, in case, or in length', () => {
    const sig = sign(owner.primaryKey, HOST, inAnHour);
    const flipped = (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1);
    expect(signatureMatches(owner.primaryKey, HOST, inAnHour, flipped)).toBe(false);
    expect(sig.toLowerCase() === sig).toBe(false);
    expect(signatureMatches(owner.primaryKey, HOST, inAnHour, sig.toLowerCase())).toBe(false);
    expect(signatureMatches(owner.primaryKey, HOST, inAnHour, sig.slice(0, -1))).toBe(false);
    expect(signatureMatches(owner.primaryKey, HOST, inAnHour, `${sig}A`)).toBe(false);
    expect(signatureMatches(owner.primaryKey, HOST, inAnHour, '')).toBe(false);
  });
});

describe('parseSharedAccessSignature', () => {
  it('reads an SDK token: raw sr, decoded sig and skn, numeric se', () => {
    const sas = SharedAccessSignature.create(HOST, 'my policy', owner.primaryKey, inAnHour);
    expect(parseSharedAccessSignature(sas.toString())).toEqual({
      sr: HOST,
      sig: decodeURIComponent(sas.sig),
      se: inAnHour,
      skn: 'my policy',
    });
  });

  it('keeps a URL-encoded sr exactly as sent', () => {
    const token = deviceStyleToken(`${HOST}/devices/d1`, 'iothubowner', owner.primaryKey);
    expect(parseSharedAccessSignature(token)?.sr).toBe(`${HOST}%2Fdevices%2Fd1`);
  });

  it('reads the fields in any order and without skn', () => {
    const sig = encodeURIComponent(sign(owner.primaryKey, HOST, inAnHour));
    expect(
      parseSharedAccessSignature(`SharedAccessSignature se=${inAnHour}&sig=${sig}&sr=${HOST}`),
    ).toEqual({ sr: HOST, sig: decodeURIComponent(sig), se: inAnHour, skn: undefined });
  });

  it.each([
    ['null', null],
    ['undefined', undefined],
    ['empty', ''],
    ['a Bearer token', 'Bearer x'],
    ['no prefix', `sr=${HOST}&sig=abc&se=${inAnHour}&skn=iothubowner`],
    ['a lowercase prefix', `sharedaccesssignature sr=${HOST}&sig=abc&se=${inAnHour}`],
    ['no se', `SharedAccessSignature sr=${HOST}&sig=abc&skn=iothubowner`],
    ['an empty se', `SharedAccessSignature sr=${HOST}&sig=abc&se=&skn=iothubowner`],
    ['a non-numeric se', `SharedAccessSignature sr=${HOST}&sig=abc&se=soon&skn=iothubowner`],
    ['a negative se', `SharedAccessSignature sr=${HOST}&sig=abc&se=-5&skn=iothubowner`],
    ['a fractional se', `SharedAccessSignature sr=${HOST}&sig=abc&se=1.5&skn=iothubowner`],
    ['no sig', `SharedAccessSignature sr=${HOST}&se=${inAnHour}&skn=iothubowner`],
    ['no sr', `SharedAccessSignature sig=abc&se=${inAnHour}&skn=iothubowner`],
    ['a part without =', `SharedAccessSignature sr=${HOST}&sig=abc&se=${inAnHour}&skn`],
    ['a malformed escape in sig', `SharedAccessSignature sr=${HOST}&sig=%E0%A4%A&se=${inAnHour}`],
  ])('returns null for %s', (_what, header) => {
    expect(parseSharedAccessSignature(header)).toBeNull();
  });
});

describe('resourceCovers', () => {
  it('lets a host-wide token cover every path of the host', () => {
    expect(resourceCovers(HOST, HOST)).toBe(true);
    expect(resourceCovers(HOST, `${HOST}/devices/a`)).toBe(true);
    expect(resourceCovers(HOST, `${HOST}/devices/a/modules/m`)).toBe(true);
  });

  it('compares the host case-insensitively', () => {
    expect(resourceCovers('MyHub.Example.NET', `${HOST}/devices/a`)).toBe(true);
  });

  it('compares path segments case-sensitively (IDs are case-sensitive)', () => {
    expect(resourceCovers(`${HOST}/devices/A`, `${HOST}/devices/a`)).toBe(false);
  });

  it('covers sub-resources on segment boundaries only', () => {
    expect(resourceCovers(`${HOST}/devices/a`, `${HOST}/devices/a`)).toBe(true);
    expect(resourceCovers(`${HOST}/devices/a`, `${HOST}/devices/a/modules/m`)).toBe(true);
    expect(resourceCovers(`${HOST}/devices/a`, `${HOST}/devices/ab`)).toBe(false);
    expect(resourceCovers(`${HOST}/devices/a`, `${HOST}/devices`)).toBe(false);
    expect(resourceCovers(`${HOST}/devices/a/modules/m`, `${HOST}/devices/a`)).toBe(false);
  });

  it('decodes a URL-encoded token resource', () => {
    expect(
      resourceCovers(encodeURIComponent(`${HOST}/devices/a`), `${HOST}/devices/a/modules/m`),
    ).toBe(true);
    expect(resourceCovers(encodeURIComponent(`${HOST}/devices/a`), `${HOST}/devices/ab`)).toBe(
      false,
    );
  });

  it('ignores a scheme and trailing slashes', () => {
    expect(resourceCovers(`https://${HOST}/devices/a/`, `${HOST}/devices/a`)).toBe(true);
    expect(resourceCovers(`${HOST}/devices/a`, `${HOST}/devices/a/`)).toBe(true);
  });

  it('refuses another host, including ones that share a prefix', () => {
    expect(resourceCovers('otherhost', `${HOST}/devices/a`)).toBe(false);
    expect(resourceCovers('myhub', `${HOST}/devices/a`)).toBe(false);
    expect(resourceCovers(`${HOST}.evil.com`, `${HOST}/devices/a`)).toBe(false);
  });

  it('refuses a malformed encoding', () => {
    expect(resourceCovers(`${HOST}%2Fdevices%2F%E0%A4%A`, `${HOST}/devices/a`)).toBe(false);
  });
});

describe('authorizeServiceRequest', () => {
  it.each(ALL_RIGHTS)('accepts an SDK token of a policy with the %s right', (right) => {
    const token = sdkToken(HOST, owner.keyName, owner.primaryKey);
    expect(authorizeServiceRequest(policies, access(token, `${HOST}/devices/d1`, right))).toBe(
      owner,
    );
  });

  it('accepts a token signed with the secondary key', () => {
    const token = sdkToken(HOST, owner.keyName, owner.secondaryKey);
    expect(authorizeServiceRequest(policies, access(token))).toBe(owner);
  });

  it('returns the policy that signed the token', () => {
    const token = sdkToken(HOST, readOnly.keyName, readOnly.primaryKey);
    expect(authorizeServiceRequest(policies, access(token))).toBe(readOnly);
  });

  it('accepts a token whose host differs only in case', () => {
    const token = sdkToken(HOST.toUpperCase(), owner.keyName, owner.primaryKey);
    expect(authorizeServiceRequest(policies, access(token))).toBe(owner);
  });

  it('accepts a token that expires one second from now', () => {
    const token = sdkToken(HOST, owner.keyName, owner.primaryKey, nowSeconds + 1);
    expect(authorizeServiceRequest(policies, access(token))).toBe(owner);
  });

  it.each([
    ['a second ago', nowSeconds - 1],
    ['right now', nowSeconds],
    ['a day ago', nowSeconds - 86_400],
  ])('refuses a token that expired %s', (_when, se) => {
    const error = expectRefused(sdkToken(HOST, owner.keyName, owner.primaryKey, se));
    expect(error.message).toMatch(/expired/i);
  });

  it('judges expiry against the injected now, not the wall clock', () => {
    const se = nowSeconds + 60;
    const token = sdkToken(HOST, owner.keyName, owner.primaryKey, se);
    expect(authorizeServiceRequest(policies, access(token))).toBe(owner);
    const later = { ...access(token), now: new Date((se + 1) * 1000) };
    expect(() => authorizeServiceRequest(policies, later)).toThrow(/expired/i);
  });

  it('refuses an unknown policy name', () => {
    const error = expectRefused(sdkToken(HOST, 'nosuchpolicy', owner.primaryKey));
    expect(error.message).toContain('skn');
  });

  it('refuses a token without skn', () => {
    expectRefused(sdkToken(HOST, '', owner.primaryKey));
  });

  it('refuses a signature made with a wrong key', () => {
    const error = expectRefused(sdkToken(HOST, owner.keyName, newKey()));
    expect(error.message).toContain('signature');
  });

  it("refuses a signature made with another policy's key", () => {
    expectRefused(sdkToken(HOST, owner.keyName, readOnly.primaryKey));
  });

  it('refuses a token whose se was changed after signing', () => {
    const token = sdkToken(HOST, owner.keyName, owner.primaryKey);
    expectRefused(token.replace(`se=${inAnHour}`, `se=${inAnHour + 3600}`));
  });

  it('refuses a validly signed token for another host', () => {
    const error = expectRefused(sdkToken('otherhost', owner.keyName, owner.primaryKey));
    expect(error.message).toContain('sr');
  });

  it('refuses a policy without the needed right, naming the right', () => {
    const token = sdkToken(HOST, readOnly.keyName, readOnly.primaryKey);
    const error = expectRefused(token, `${HOST}/devices/d1`, 'RegistryWrite');
    expect(error.message).toContain('RegistryWrite');
    const serviceToken = sdkToken(HOST, service.keyName, service.primaryKey);
    expect(expectRefused(serviceToken, `${HOST}/devices/d1`, 'RegistryRead').message).toContain(
      'RegistryRead',
    );
  });

  it.each([
    ['no header', null],
    ['an empty header', ''],
    ['a missing prefix', `sr=${HOST}&sig=abc&se=${inAnHour}&skn=iothubowner`],
    ['a Bearer token', 'Bearer x'],
  ])('refuses %s', (_what, header) => {
    expectRefused(header);
  });

  it.each([
    ['a missing se', (t: string) => t.replace(/&se=\d+/, '')],
    ['a non-numeric se', (t: string) => t.replace(/se=\d+/, 'se=tomorrow')],
    ['a missing sig', (t: string) => t.replace(/&sig=[^&]*/, '')],
    ['a missing prefix', (t: string) => t.replace('SharedAccessSignature ', '')],
  ])('refuses an otherwise valid token with %s', (_what, spoil) => {
    const token = spoil(sdkToken(HOST, owner.keyName, owner.primaryKey));
    expectRefused(token);
  });

  describe('device-style tokens (URL-encoded sr)', () => {
    it('accept the device and its modules', () => {
      const token = deviceStyleToken(`${HOST}/devices/a`, owner.keyName, owner.primaryKey);
      expect(token).toContain(`sr=${HOST}%2Fdevices%2Fa&`);
      expect(authorizeServiceRequest(policies, access(token, `${HOST}/devices/a`))).toBe(owner);
      expect(authorizeServiceRequest(policies, access(token, `${HOST}/devices/a/modules/m`))).toBe(
        owner,
      );
    });

    it('refuse other devices, including ones whose ID starts with the same characters', () => {
      const token = deviceStyleToken(`${HOST}/devices/a`, owner.keyName, owner.primaryKey);
      expectRefused(token, `${HOST}/devices/ab`);
      expectRefused(token, `${HOST}/devices/b`);
      expectRefused(token, `${HOST}/devices`);
    });

    it('match IDs with the characters the SDK percent-encodes', () => {
      const id = "a$b'c(d)*e!f;g=h@i:j";
      const token = deviceStyleToken(`${HOST}/devices/${id}`, owner.keyName, owner.primaryKey);
      expect(token).toContain('%27');
      expect(authorizeServiceRequest(policies, access(token, `${HOST}/devices/${id}`))).toBe(owner);
      expectRefused(token, `${HOST}/devices/a$b`);
    });

    it('are refused when the sr is re-encoded after signing', () => {
      const token = deviceStyleToken(`${HOST}/devices/a`, owner.keyName, owner.primaryKey);
      expectRefused(token.replace(`sr=${HOST}%2Fdevices%2Fa`, `sr=${HOST}/devices/a`));
    });

    it('are refused for a module they do not name', () => {
      const token = deviceStyleToken(
        `${HOST}/devices/a/modules/m`,
        owner.keyName,
        owner.primaryKey,
      );
      expect(authorizeServiceRequest(policies, access(token, `${HOST}/devices/a/modules/m`))).toBe(
        owner,
      );
      expectRefused(token, `${HOST}/devices/a/modules/n`);
      expectRefused(token, `${HOST}/devices/a`);
    });
  });

  it('never reveals keys or the signature in any refusal', () => {
    const tokens = [
      sdkToken(HOST, owner.keyName, owner.primaryKey, nowSeconds - 10),
      sdkToken(HOST, 'nosuchpolicy', owner.primaryKey),
      sdkToken(HOST, owner.keyName, owner.secondaryKey.slice(4) + 'AAAA'),
      sdkToken('otherhost', owner.keyName, owner.primaryKey),
      `SharedAccessSignature sr=${HOST}&sig=${owner.primaryKey}&se=${inAnHour}&skn=iothubowner`,
      `SharedAccessSignature sr=${owner.primaryKey}&sig=abc&se=${inAnHour}&skn=${owner.primaryKey}`,
    ];
    for (const token of tokens) {
      const error = refusal(token);
      expect(error.code).toBe('IotHubUnauthorizedAccess');
      expectNoSecrets(error, token);
    }
    const lacking = refusal(
      sdkToken(HOST, readOnly.keyName, readOnly.primaryKey),
      undefined,
      'RegistryWrite',
    );
    expectNoSecrets(lacking, null);
  });
});
