import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Checks a CBS put-token SAS token against the namespace's key: the key name, the expiry, the
 * signature (constant time) and that the token's resource covers the audience it is put for.
 * Returns why it is refused, or null when it is good.
 */
export function refuseToken(
  token: string,
  audience: string,
  keyName: string,
  key: string,
  nowSeconds: number,
): string | null {
  const fields = new URLSearchParams(token.replace(/^SharedAccessSignature\s+/i, ''));
  const sr = fields.get('sr');
  const sig = fields.get('sig');
  const se = Number(fields.get('se'));
  if (!sr || !sig || !Number.isFinite(se)) return 'The token is not a shared access signature';
  if (fields.get('skn') !== keyName) return 'Unknown shared access key name';
  if (se <= nowSeconds) return 'The token has expired';
  const expected = createHmac('sha256', key)
    .update(`${encodeURIComponent(sr)}\n${se}`)
    .digest();
  const given = Buffer.from(sig, 'base64');
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return 'The token signature is not valid for this key';
  const normalise = (s: string) =>
    s
      .replace(/^(sb|amqps?):\/\//i, '')
      .toLowerCase()
      .replace(/\/+$/, '');
  if (!normalise(audience).startsWith(normalise(sr))) return 'The token does not cover this entity';
  return null;
}
