import { createHmac, timingSafeEqual } from 'node:crypto';

export interface SharedAccessKey {
  keyName: string;
  key: string;
}

export type TokenCheck = { ok: true; expiresAt: number } | { ok: false; reason: string };

/** `sb://Host:5672/Hub/x/` → `['host:5672', 'hub', 'x']`: URIs compared by whole segments. */
export function resourceSegments(uri: string): string[] {
  return uri
    .replace(/^[a-z][a-z0-9+.-]*:\/\//i, '')
    .split('/')
    .filter((s) => s !== '')
    .map((s) => s.toLowerCase());
}

/** Whether `resource` is `audience` or one of its ancestors (`a/b` covers `a/b/c`, not `a/bc`). */
export function covers(resource: readonly string[], audience: readonly string[]): boolean {
  return resource.length <= audience.length && resource.every((s, i) => s === audience[i]);
}

/**
 * Checks a shared access signature
 * (`SharedAccessSignature sr=<uri>&sig=<base64>&se=<unix seconds>&skn=<key name>`) for the
 * given audience: a known key name, a signature made with its key (HMAC-SHA256 of the `sr` as
 * sent, a newline and `se`, compared in constant time), not expired, and an `sr` that covers
 * the audience.
 */
export function checkToken(
  token: string,
  audience: string,
  keys: SharedAccessKey,
  nowSeconds: number,
): TokenCheck {
  const refuse = (reason: string): TokenCheck => ({ ok: false, reason });
  const match = /^SharedAccessSignature\s+(.+)$/i.exec(token.trim());
  if (!match) return refuse('InvalidSignature: the token is not a shared access signature.');
  const raw = new Map<string, string>();
  for (const field of match[1]!.split('&')) {
    const at = field.indexOf('=');
    if (at > 0) raw.set(field.slice(0, at).toLowerCase(), field.slice(at + 1));
  }
  const decode = (name: string): string | undefined => {
    const value = raw.get(name);
    try {
      return value === undefined ? undefined : decodeURIComponent(value);
    } catch {
      return undefined;
    }
  };
  const sr = raw.get('sr');
  const sig = decode('sig');
  const se = decode('se');
  const skn = decode('skn');
  if (!sr || !sig || !se || !/^\d+$/.test(se))
    return refuse('InvalidSignature: the token lacks sr, sig or se.');
  if (skn !== keys.keyName)
    return refuse(`InvalidSignature: unknown shared access key name '${skn ?? ''}'.`);
  const expected = createHmac('sha256', keys.key).update(`${sr}\n${se}`).digest();
  const given = Buffer.from(sig, 'base64');
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return refuse('InvalidSignature: the token has an invalid signature.');
  const expiresAt = Number(se);
  if (expiresAt <= nowSeconds) return refuse(`ExpiredToken: the token expired at ${se}.`);
  let resource: string;
  try {
    resource = decodeURIComponent(sr);
  } catch {
    return refuse('InvalidSignature: the token resource is not a URI.');
  }
  if (!covers(resourceSegments(resource), resourceSegments(audience)))
    return refuse(`InvalidAudience: the token is for '${resource}', not for '${audience}'.`);
  return { ok: true, expiresAt };
}
