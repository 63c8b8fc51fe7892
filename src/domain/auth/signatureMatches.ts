import { createHmac, timingSafeEqual } from 'node:crypto';

/** base64(HMAC-SHA256(base64decode(key), sr + "\n" + se)), the IoT Hub SAS signature. */
export const sign = (key: string, sr: string, se: number): string =>
  createHmac('sha256', Buffer.from(key, 'base64')).update(`${sr}\n${se}`).digest('base64');

/** Constant-time comparison of a presented signature with the one a key yields. */
export function signatureMatches(key: string, sr: string, se: number, presented: string): boolean {
  const expected = Buffer.from(sign(key, sr, se), 'utf8');
  const given = Buffer.from(presented, 'utf8');
  // Compare against itself on a length mismatch so the time taken does not depend on the input.
  return (
    timingSafeEqual(expected, given.length === expected.length ? given : expected) &&
    given.length === expected.length
  );
}
