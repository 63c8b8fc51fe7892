/** Rotates a 32-bit word left. */
const rotate = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;

/**
 * The partition a partition key lands on: Bob Jenkins' lookup3 hash of its UTF-8 bytes, folded
 * to 16 bits, modulo the partition count. That is the mapping the service uses (the SDK's
 * buffered producer computes the same one on the client), so a key lands where it would in
 * Azure, whichever producer sent it.
 */
export function partitionForKey(partitionKey: string, partitionCount: number): number {
  const data = Buffer.from(partitionKey, 'utf8');
  let a = (0xdeadbeef + data.length) >>> 0;
  let b = a;
  let c = a;
  let at = 0;
  let left = data.length;
  while (left > 12) {
    a = (a + data.readUInt32LE(at)) >>> 0;
    b = (b + data.readUInt32LE(at + 4)) >>> 0;
    c = (c + data.readUInt32LE(at + 8)) >>> 0;
    a = ((a - c) ^ rotate(c, 4)) >>> 0;
    c = (c + b) >>> 0;
    b = ((b - a) ^ rotate(a, 6)) >>> 0;
    a = (a + c) >>> 0;
    c = ((c - b) ^ rotate(b, 8)) >>> 0;
    b = (b + a) >>> 0;
    a = ((a - c) ^ rotate(c, 16)) >>> 0;
    c = (c + b) >>> 0;
    b = ((b - a) ^ rotate(a, 19)) >>> 0;
    a = (a + c) >>> 0;
    c = ((c - b) ^ rotate(b, 4)) >>> 0;
    b = (b + a) >>> 0;
    at += 12;
    left -= 12;
  }
  if (left > 0) {
    // The last 1..12 bytes, little-endian into a, b, c (missing bytes count as zero).
    const words = [0, 0, 0];
    for (let i = 0; i < left; i++) words[i >> 2]! += data[at + i]! * 2 ** (8 * (i & 3));
    a = (a + words[0]!) >>> 0;
    b = (b + words[1]!) >>> 0;
    c = (c + words[2]!) >>> 0;
    c = ((c ^ b) - rotate(b, 14)) >>> 0;
    a = ((a ^ c) - rotate(c, 11)) >>> 0;
    b = ((b ^ a) - rotate(a, 25)) >>> 0;
    c = ((c ^ b) - rotate(b, 16)) >>> 0;
    a = ((a ^ c) - rotate(c, 4)) >>> 0;
    b = ((b ^ a) - rotate(a, 14)) >>> 0;
    c = ((c ^ b) - rotate(b, 24)) >>> 0;
  }
  const hash = ((c ^ b) << 16) >> 16;
  return Math.abs(hash % partitionCount);
}
