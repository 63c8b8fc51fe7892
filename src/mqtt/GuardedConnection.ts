import { Duplex } from 'node:stream';
import { PacketSizeGuard } from './PacketSizeGuard';

/**
 * A connection as the broker sees it: the socket's bytes pass through a PacketSizeGuard on the
 * way in (an oversized packet ends the connection before it is buffered), writes pass straight
 * out. Backpressure goes both ways.
 */
export class GuardedConnection extends Duplex {
  constructor(
    private readonly inner: Duplex,
    maxPacketBytes: number,
  ) {
    super({ allowHalfOpen: false });
    const guard = new PacketSizeGuard(maxPacketBytes);
    inner.on('data', (chunk: Buffer) => {
      if (!guard.accept(chunk)) {
        this.destroy(new Error(`A packet larger than ${maxPacketBytes} bytes was refused`));
        return;
      }
      if (!this.push(chunk)) inner.pause();
    });
    inner.on('end', () => this.push(null));
    inner.on('error', (error: Error) => this.destroy(error));
    inner.on('close', () => this.destroy());
  }

  override _read(): void {
    this.inner.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (e?: Error | null) => void) {
    this.inner.write(chunk, callback);
  }

  override _writev(chunks: { chunk: Buffer }[], callback: (e?: Error | null) => void): void {
    this.inner.write(Buffer.concat(chunks.map((c) => c.chunk)), callback);
  }

  override _final(callback: (e?: Error | null) => void): void {
    this.inner.end(callback);
  }

  override _destroy(error: Error | null, callback: (e?: Error | null) => void): void {
    this.inner.destroy();
    callback(error);
  }
}
