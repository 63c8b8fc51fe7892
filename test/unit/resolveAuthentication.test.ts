import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Authentication } from '../../src/domain/identity/Authentication';
import {
  generateKey,
  resolveAuthentication,
} from '../../src/domain/identity/resolveAuthentication';
import { errorOf } from '../support/errorOf';

const keyOf = (bytes: number) => randomBytes(bytes).toString('base64');
const SHA1 = 'ab'.repeat(20);
const SHA256 = 'cd'.repeat(32);
const BLANK_KEYS = { primaryKey: '', secondaryKey: '' };
const NO_KEYS = { primaryKey: null, secondaryKey: null };
const NO_PRINTS = { primaryThumbprint: null, secondaryThumbprint: null };

function expectGenerated(key: string | null): void {
  expect(key).toMatch(/^[A-Za-z0-9+/]{43}=$/);
  expect(key).toHaveLength(44);
  expect(Buffer.from(key as string, 'base64')).toHaveLength(32);
}

const sasExisting = (): Authentication => ({
  type: 'sas',
  symmetricKey: { primaryKey: keyOf(32), secondaryKey: keyOf(32) },
  x509Thumbprint: { ...NO_PRINTS },
});

const selfSignedExisting = (): Authentication => ({
  type: 'selfSigned',
  symmetricKey: { ...NO_KEYS },
  x509Thumbprint: { primaryThumbprint: SHA1.toUpperCase(), secondaryThumbprint: null },
});

describe('generateKey', () => {
  it('makes 32 random bytes as 44 base64 characters, different every time', () => {
    const a = generateKey();
    const b = generateKey();
    expectGenerated(a);
    expectGenerated(b);
    expect(a).not.toBe(b);
  });
});

describe('resolveAuthentication on create', () => {
  it('generates two distinct 32-byte keys for empty keys (what the SDK sends)', () => {
    const auth = resolveAuthentication({ type: 'sas', symmetricKey: { ...BLANK_KEYS } }, undefined);
    expect(auth.type).toBe('sas');
    expectGenerated(auth.symmetricKey.primaryKey);
    expectGenerated(auth.symmetricKey.secondaryKey);
    expect(auth.symmetricKey.primaryKey).not.toBe(auth.symmetricKey.secondaryKey);
    expect(auth.x509Thumbprint).toEqual(NO_PRINTS);
  });

  it('generates keys when there is no authentication at all', () => {
    const auth = resolveAuthentication(undefined, undefined);
    expect(auth.type).toBe('sas');
    expectGenerated(auth.symmetricKey.primaryKey);
    expectGenerated(auth.symmetricKey.secondaryKey);
  });

  it('treats null keys and a null symmetricKey as empty', () => {
    const nulls = resolveAuthentication(
      { symmetricKey: { primaryKey: null, secondaryKey: null } },
      undefined,
    );
    expectGenerated(nulls.symmetricKey.primaryKey);
    const noObject = resolveAuthentication({ type: 'sas', symmetricKey: null }, undefined);
    expectGenerated(noObject.symmetricKey.secondaryKey);
  });

  it.each([16, 32, 64])('keeps supplied keys of %i bytes', (bytes) => {
    const primaryKey = keyOf(bytes);
    const secondaryKey = keyOf(bytes);
    const auth = resolveAuthentication(
      { type: 'sas', symmetricKey: { primaryKey, secondaryKey } },
      undefined,
    );
    expect(auth.symmetricKey).toEqual({ primaryKey, secondaryKey });
  });

  it('generates only the key left empty', () => {
    const primaryKey = keyOf(32);
    const auth = resolveAuthentication(
      { type: 'sas', symmetricKey: { primaryKey, secondaryKey: '' } },
      undefined,
    );
    expect(auth.symmetricKey.primaryKey).toBe(primaryKey);
    expectGenerated(auth.symmetricKey.secondaryKey);
    expect(auth.symmetricKey.secondaryKey).not.toBe(primaryKey);
  });

  it.each([
    ['15 bytes', keyOf(15)],
    ['65 bytes', keyOf(65)],
    ['not base64', 'this is not base64 at all!!'],
    ['base64url', '_-' + 'A'.repeat(42)],
    ['unpadded base64', keyOf(32).replace(/=+$/, '')],
  ])('refuses a primary key of %s without echoing it', (_what, bad) => {
    const error = errorOf(() =>
      resolveAuthentication(
        { type: 'sas', symmetricKey: { primaryKey: bad, secondaryKey: '' } },
        undefined,
      ),
    );
    expect(error.code).toBe('ArgumentInvalid');
    expect(error.message).toContain('primaryKey');
    expect(error.message).not.toContain(bad);
  });

  it('refuses a bad secondary key and names it', () => {
    const bad = keyOf(65);
    const error = errorOf(() =>
      resolveAuthentication(
        { type: 'sas', symmetricKey: { primaryKey: keyOf(32), secondaryKey: bad } },
        undefined,
      ),
    );
    expect(error.code).toBe('ArgumentInvalid');
    expect(error.message).toContain('secondaryKey');
    expect(error.message).not.toContain(bad);
  });

  it('refuses a bad key on update too, without echoing it', () => {
    const bad = keyOf(15);
    const error = errorOf(() =>
      resolveAuthentication({ symmetricKey: { primaryKey: bad } }, sasExisting()),
    );
    expect(error.code).toBe('ArgumentInvalid');
    expect(error.message).not.toContain(bad);
  });
});

describe('resolveAuthentication on update', () => {
  it('keeps the existing keys when the keys sent are empty', () => {
    const existing = sasExisting();
    const auth = resolveAuthentication({ type: 'sas', symmetricKey: { ...BLANK_KEYS } }, existing);
    expect(auth).toEqual(existing);
  });

  it('keeps the existing keys when no authentication is sent', () => {
    const existing = sasExisting();
    expect(resolveAuthentication(undefined, existing)).toEqual(existing);
  });

  it('replaces only the key that is supplied', () => {
    const existing = sasExisting();
    const primaryKey = keyOf(32);
    const auth = resolveAuthentication(
      { type: 'sas', symmetricKey: { primaryKey, secondaryKey: '' } },
      existing,
    );
    expect(auth.symmetricKey).toEqual({
      primaryKey,
      secondaryKey: existing.symmetricKey.secondaryKey,
    });
  });

  it('keeps a selfSigned identity as it is when no authentication is sent', () => {
    const existing = selfSignedExisting();
    expect(resolveAuthentication(undefined, existing)).toEqual(existing);
  });

  it('generates keys when switching from selfSigned to sas with empty keys', () => {
    const auth = resolveAuthentication(
      { type: 'sas', symmetricKey: { ...BLANK_KEYS } },
      selfSignedExisting(),
    );
    expect(auth.type).toBe('sas');
    expectGenerated(auth.symmetricKey.primaryKey);
    expectGenerated(auth.symmetricKey.secondaryKey);
    expect(auth.x509Thumbprint).toEqual(NO_PRINTS);
  });

  it('drops keys when switching from sas to selfSigned', () => {
    const auth = resolveAuthentication(
      { type: 'selfSigned', x509Thumbprint: { primaryThumbprint: SHA256 } },
      sasExisting(),
    );
    expect(auth).toEqual({
      type: 'selfSigned',
      symmetricKey: NO_KEYS,
      x509Thumbprint: { primaryThumbprint: SHA256.toUpperCase(), secondaryThumbprint: null },
    });
  });
});

describe('resolveAuthentication for selfSigned', () => {
  it('infers selfSigned from thumbprints when no type is given', () => {
    const auth = resolveAuthentication(
      { x509Thumbprint: { primaryThumbprint: SHA1, secondaryThumbprint: null } },
      undefined,
    );
    expect(auth.type).toBe('selfSigned');
    expect(auth.symmetricKey).toEqual(NO_KEYS);
  });

  it('infers selfSigned from a secondary thumbprint alone, then asks for the primary', () => {
    const error = errorOf(() =>
      resolveAuthentication({ x509Thumbprint: { secondaryThumbprint: SHA1 } }, undefined),
    );
    expect(error.code).toBe('ArgumentInvalid');
    expect(error.message).toContain('primaryThumbprint');
  });

  it.each([
    ['SHA-1 (40)', SHA1],
    ['SHA-256 (64)', SHA256],
  ])('accepts a %s thumbprint and stores it uppercased', (_what, print) => {
    const auth = resolveAuthentication(
      {
        type: 'selfSigned',
        x509Thumbprint: { primaryThumbprint: print, secondaryThumbprint: SHA1 },
      },
      undefined,
    );
    expect(auth.x509Thumbprint).toEqual({
      primaryThumbprint: print.toUpperCase(),
      secondaryThumbprint: SHA1.toUpperCase(),
    });
    expect(auth.x509Thumbprint.primaryThumbprint).toMatch(/^[0-9A-F]+$/);
  });

  it('stores an absent secondary thumbprint as null', () => {
    const auth = resolveAuthentication(
      { type: 'selfSigned', x509Thumbprint: { primaryThumbprint: SHA1, secondaryThumbprint: '' } },
      undefined,
    );
    expect(auth.x509Thumbprint.secondaryThumbprint).toBeNull();
  });

  it('needs a primary thumbprint', () => {
    for (const input of [
      { type: 'selfSigned' as const },
      { type: 'selfSigned' as const, x509Thumbprint: { primaryThumbprint: '' } },
      { type: 'selfSigned' as const, x509Thumbprint: null },
    ]) {
      const error = errorOf(() => resolveAuthentication(input, undefined));
      expect(error.code).toBe('ArgumentInvalid');
      expect(error.message).toContain('primaryThumbprint');
    }
  });

  it('needs a primary thumbprint on update too, even over an existing selfSigned one', () => {
    const error = errorOf(() =>
      resolveAuthentication({ type: 'selfSigned' }, selfSignedExisting()),
    );
    expect(error.code).toBe('ArgumentInvalid');
  });

  it.each([
    ['39 hex characters', 'a'.repeat(39)],
    ['41 hex characters', 'a'.repeat(41)],
    ['63 hex characters', 'a'.repeat(63)],
    ['65 hex characters', 'a'.repeat(65)],
    ['non-hex characters', 'g'.repeat(40)],
    ['colon-separated bytes', Array.from({ length: 20 }, () => 'AB').join(':')],
  ])('refuses a primary thumbprint of %s', (_what, print) => {
    const error = errorOf(() =>
      resolveAuthentication(
        { type: 'selfSigned', x509Thumbprint: { primaryThumbprint: print } },
        undefined,
      ),
    );
    expect(error.code).toBe('ArgumentInvalid');
    expect(error.message).toContain('primaryThumbprint');
  });

  it('refuses a bad secondary thumbprint', () => {
    const error = errorOf(() =>
      resolveAuthentication(
        {
          type: 'selfSigned',
          x509Thumbprint: { primaryThumbprint: SHA1, secondaryThumbprint: 'xyz' },
        },
        undefined,
      ),
    );
    expect(error.code).toBe('ArgumentInvalid');
    expect(error.message).toContain('secondaryThumbprint');
  });

  it('refuses symmetric keys, without echoing them', () => {
    const key = keyOf(32);
    const error = errorOf(() =>
      resolveAuthentication(
        {
          type: 'selfSigned',
          symmetricKey: { primaryKey: key, secondaryKey: '' },
          x509Thumbprint: { primaryThumbprint: SHA1 },
        },
        undefined,
      ),
    );
    expect(error.code).toBe('ArgumentInvalid');
    expect(error.message).not.toContain(key);
  });

  it('accepts the empty keys the SDK adds', () => {
    const auth = resolveAuthentication(
      {
        type: 'selfSigned',
        symmetricKey: { ...BLANK_KEYS },
        x509Thumbprint: { primaryThumbprint: SHA1 },
      },
      undefined,
    );
    expect(auth.type).toBe('selfSigned');
    expect(auth.symmetricKey).toEqual(NO_KEYS);
  });
});

describe('resolveAuthentication for sas', () => {
  it('refuses thumbprints', () => {
    const error = errorOf(() =>
      resolveAuthentication(
        {
          type: 'sas',
          symmetricKey: { ...BLANK_KEYS },
          x509Thumbprint: { primaryThumbprint: SHA1 },
        },
        undefined,
      ),
    );
    expect(error.code).toBe('ArgumentInvalid');
    expect(error.message).toContain('sas');
  });

  it('accepts empty thumbprints', () => {
    const auth = resolveAuthentication(
      {
        type: 'sas',
        symmetricKey: { ...BLANK_KEYS },
        x509Thumbprint: { primaryThumbprint: '', secondaryThumbprint: null },
      },
      undefined,
    );
    expect(auth.type).toBe('sas');
    expect(auth.x509Thumbprint).toEqual(NO_PRINTS);
  });
});

describe.each(['certificateAuthority', 'none'] as const)('resolveAuthentication for %s', (type) => {
  it('returns null keys and null thumbprints', () => {
    expect(resolveAuthentication({ type, symmetricKey: { ...BLANK_KEYS } }, undefined)).toEqual({
      type,
      symmetricKey: NO_KEYS,
      x509Thumbprint: NO_PRINTS,
    });
  });

  it('drops existing sas keys', () => {
    expect(resolveAuthentication({ type }, sasExisting())).toEqual({
      type,
      symmetricKey: NO_KEYS,
      x509Thumbprint: NO_PRINTS,
    });
  });

  it('stays as it is when no authentication is sent', () => {
    const existing: Authentication = { type, symmetricKey: NO_KEYS, x509Thumbprint: NO_PRINTS };
    expect(resolveAuthentication(undefined, existing)).toEqual(existing);
  });

  it('refuses symmetric keys without echoing them', () => {
    const key = keyOf(32);
    const error = errorOf(() =>
      resolveAuthentication(
        { type, symmetricKey: { primaryKey: '', secondaryKey: key } },
        undefined,
      ),
    );
    expect(error.code).toBe('ArgumentInvalid');
    expect(error.message).not.toContain(key);
  });

  it('refuses thumbprints', () => {
    const error = errorOf(() =>
      resolveAuthentication({ type, x509Thumbprint: { secondaryThumbprint: SHA1 } }, undefined),
    );
    expect(error.code).toBe('ArgumentInvalid');
  });
});
