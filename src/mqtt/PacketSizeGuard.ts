/**
 * Follows MQTT's fixed headers (a type byte, then the remaining length in 1-4 bytes of 7 bits)
 * through a byte stream, so a packet announcing more than `maxBytes` is refused before the
 * broker's parser buffers it. It reads nothing else of a packet: aedes parses them.
 */
export class PacketSizeGuard {
  /** Body bytes of the current packet still to come. */
  private remaining = 0;
  /** -1: a type byte comes next; otherwise how many length bytes were read. */
  private lengthBytes = -1;
  private length = 0;
  private multiplier = 1;

  constructor(private readonly maxBytes: number) {}

  /** False once the stream announces a packet that is too large or a malformed length. */
  accept(chunk: Buffer): boolean {
    let i = 0;
    while (i < chunk.length) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, chunk.length - i);
        this.remaining -= take;
        i += take;
        continue;
      }
      if (this.lengthBytes < 0) {
        this.lengthBytes = 0;
        this.length = 0;
        this.multiplier = 1;
        i++;
        continue;
      }
      const byte = chunk[i++] as number;
      this.length += (byte & 0x7f) * this.multiplier;
      this.multiplier *= 128;
      this.lengthBytes++;
      if (this.length > this.maxBytes) return false;
      if ((byte & 0x80) === 0) {
        this.remaining = this.length;
        this.lengthBytes = -1;
      } else if (this.lengthBytes >= 4) return false;
    }
    return true;
  }
}
