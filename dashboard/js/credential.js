// @ts-check
/**
 * The operator's credential: a shared access policy's connection string (tokens are signed here,
 * in the browser, with WebCrypto) or a ready SharedAccessSignature. Kept in sessionStorage only,
 * so it ends with the tab; nothing is stored server-side.
 */

const STORAGE_KEY = 'iot-registry.credential';
const TOKEN_SECONDS = 3600;

/**
 * @typedef {{ kind: 'policy', hostName: string, keyName: string, key: string }
 *   | { kind: 'token', token: string, expiresAt: number, keyName: string }} Credential
 */

/**
 * Parses what the operator pasted; throws an Error saying what to fix.
 * @param {string} text
 * @returns {Credential}
 */
export function parseCredential(text) {
  const value = text.trim();
  if (value === '') throw new Error('Paste a connection string or a SharedAccessSignature');
  if (/^SharedAccessSignature\s/i.test(value)) {
    const fields = new URLSearchParams(value.replace(/^SharedAccessSignature\s+/i, ''));
    const se = Number(fields.get('se'));
    if (!fields.get('sr') || !fields.get('sig') || !Number.isInteger(se))
      throw new Error('A SharedAccessSignature needs sr, sig and se fields');
    if (se * 1000 <= Date.now()) throw new Error('This SharedAccessSignature has expired');
    return { kind: 'token', token: value, expiresAt: se * 1000, keyName: fields.get('skn') ?? '' };
  }
  /** @type {Record<string, string>} */
  const parts = {};
  for (const part of value.split(';')) {
    const at = part.indexOf('=');
    if (at > 0) parts[part.slice(0, at).trim().toLowerCase()] = part.slice(at + 1).trim();
  }
  const hostName = parts.hostname;
  const keyName = parts.sharedaccesskeyname;
  const key = parts.sharedaccesskey;
  if (parts.deviceid)
    throw new Error(
      'This is a device connection string: sign in with a shared access policy (iothubowner, registryRead, …)',
    );
  if (!hostName || !keyName || !key)
    throw new Error(
      'A connection string needs HostName, SharedAccessKeyName and SharedAccessKey (copy it from npm start or the portal)',
    );
  return { kind: 'policy', hostName, keyName, key };
}

/** @param {Credential} credential */
export function remember(credential) {
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify(credential));
}

/** @returns {Credential | null} */
export function remembered() {
  const text = sessionStorage.getItem(STORAGE_KEY);
  if (!text) return null;
  try {
    return /** @type {Credential} */ (JSON.parse(text));
  } catch {
    return null;
  }
}

export function forget() {
  sessionStorage.removeItem(STORAGE_KEY);
}

/** @param {ArrayBuffer} bytes */
const base64 = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes)));

/**
 * A SharedAccessSignature of a policy, as IoT Hub's SDKs make it.
 * @param {{ hostName: string, keyName: string, key: string }} policy
 * @param {number} expiresAt seconds since the epoch
 */
export async function signPolicyToken(policy, expiresAt) {
  const sr = encodeURIComponent(policy.hostName);
  const raw = Uint8Array.from(atob(policy.key), (c) => c.charCodeAt(0));
  const hmac = await crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
  ]);
  const signature = await crypto.subtle.sign(
    'HMAC',
    hmac,
    new TextEncoder().encode(`${sr}\n${expiresAt}`),
  );
  return `SharedAccessSignature sr=${sr}&sig=${encodeURIComponent(base64(signature))}&se=${expiresAt}&skn=${encodeURIComponent(policy.keyName)}`;
}

/**
 * Hands out a token for each request: a policy's is signed for an hour and renewed five
 * minutes before it expires; a pasted token is used until it expires.
 */
export class TokenSource {
  /** @param {Credential} credential */
  constructor(credential) {
    this.credential = credential;
    /** @type {{ token: string, expiresAt: number } | null} */
    this.current = null;
  }

  /** @returns {Promise<string>} */
  async token() {
    const c = this.credential;
    if (c.kind === 'token') {
      if (c.expiresAt <= Date.now())
        throw new Error('The SharedAccessSignature has expired: sign in again');
      return c.token;
    }
    if (!this.current || this.current.expiresAt - Date.now() < 5 * 60_000) {
      const se = Math.floor(Date.now() / 1000) + TOKEN_SECONDS;
      this.current = { token: await signPolicyToken(c, se), expiresAt: se * 1000 };
    }
    return this.current.token;
  }
}
