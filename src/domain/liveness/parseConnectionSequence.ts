/** A 256-bit number in hex: what IoT Hub's connection-state `sequenceNumber` is. */
const DIGITS = 64;
const HEX = /^[0-9A-F]+$/;

/**
 * IoT Hub's connection-state sequence number (a hex string; a number is taken too) as 64
 * upper-case hex digits, so that string order is number order, as the hub documents: compare
 * the strings, or the numbers, once padded. Null when it is not one.
 */
export function parseConnectionSequence(value: unknown): string | null {
  if (typeof value === 'number')
    return Number.isSafeInteger(value) && value >= 0
      ? value.toString(16).toUpperCase().padStart(DIGITS, '0')
      : null;
  if (typeof value !== 'string' || value.length > 2 + 2 * DIGITS) return null;
  const hex = value.replace(/^0x/i, '').toUpperCase();
  if (!HEX.test(hex)) return null;
  const significant = hex.replace(/^0+/, '');
  return significant.length > DIGITS ? null : significant.padStart(DIGITS, '0');
}
