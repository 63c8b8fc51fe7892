import { randomBytes } from 'node:crypto';
import { RegistryError } from '../errors/RegistryError';
import type { Authentication, AuthenticationInput } from './Authentication';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const THUMBPRINT = /^(?:[0-9A-Fa-f]{40}|[0-9A-Fa-f]{64})$/;

/** 32 random bytes, base64: the size IoT Hub generates. */
export const generateKey = (): string => randomBytes(32).toString('base64');

const blank = (v: string | null | undefined): boolean => v === undefined || v === null || v === '';

function checkKey(name: string, key: string): string {
  const bytes = BASE64.test(key) ? Buffer.from(key, 'base64').length : -1;
  if (bytes < 16 || bytes > 64) {
    // Never echo the key itself: it is a secret even when malformed.
    throw new RegistryError(
      'ArgumentInvalid',
      `authentication.symmetricKey.${name} must be base64 of 16 to 64 bytes (or empty to have one generated)`,
    );
  }
  return key;
}

function checkThumbprint(name: string, value: string): string {
  if (!THUMBPRINT.test(value)) {
    throw new RegistryError(
      'ArgumentInvalid',
      `authentication.x509Thumbprint.${name} must be a SHA-1 (40) or SHA-256 (64) hex thumbprint`,
    );
  }
  return value.toUpperCase();
}

function refuse(type: string, what: string): never {
  throw new RegistryError(
    'ArgumentInvalid',
    `authentication of type '${type}' cannot carry ${what}: remove it or change the type`,
  );
}

/**
 * The credentials to store for an identity. On update, empty keys keep the keys already stored:
 * the SDKs fill a missing `authentication` with empty keys on every PUT, and a plain status
 * change must not silently rotate a device's keys.
 */
export function resolveAuthentication(
  input: AuthenticationInput | undefined,
  existing: Authentication | undefined,
): Authentication {
  const keys = input?.symmetricKey ?? {};
  const prints = input?.x509Thumbprint ?? {};
  const hasKeys = !blank(keys.primaryKey) || !blank(keys.secondaryKey);
  const hasPrints = !blank(prints.primaryThumbprint) || !blank(prints.secondaryThumbprint);
  const type =
    input?.type ??
    (input === undefined && existing ? existing.type : hasPrints ? 'selfSigned' : 'sas');
  const none = { primaryThumbprint: null, secondaryThumbprint: null };
  const noKeys = { primaryKey: null, secondaryKey: null };

  switch (type) {
    case 'sas': {
      if (hasPrints) refuse(type, 'x509Thumbprint values');
      const old = existing?.type === 'sas' ? existing.symmetricKey : undefined;
      const pick = (name: 'primaryKey' | 'secondaryKey'): string => {
        const given = keys[name];
        if (!blank(given)) return checkKey(name, given as string);
        return old?.[name] ?? generateKey();
      };
      return {
        type,
        symmetricKey: { primaryKey: pick('primaryKey'), secondaryKey: pick('secondaryKey') },
        x509Thumbprint: none,
      };
    }
    case 'selfSigned': {
      if (hasKeys) refuse(type, 'symmetric keys');
      const old =
        existing?.type === 'selfSigned' && input === undefined
          ? existing.x509Thumbprint
          : undefined;
      if (old) return { type, symmetricKey: noKeys, x509Thumbprint: old };
      if (blank(prints.primaryThumbprint)) {
        throw new RegistryError(
          'ArgumentInvalid',
          'authentication of type selfSigned needs x509Thumbprint.primaryThumbprint',
        );
      }
      return {
        type,
        symmetricKey: noKeys,
        x509Thumbprint: {
          primaryThumbprint: checkThumbprint(
            'primaryThumbprint',
            prints.primaryThumbprint as string,
          ),
          secondaryThumbprint: blank(prints.secondaryThumbprint)
            ? null
            : checkThumbprint('secondaryThumbprint', prints.secondaryThumbprint as string),
        },
      };
    }
    case 'certificateAuthority':
    case 'none':
      if (hasKeys) refuse(type, 'symmetric keys');
      if (hasPrints) refuse(type, 'x509Thumbprint values');
      return { type, symmetricKey: noKeys, x509Thumbprint: none };
  }
}
