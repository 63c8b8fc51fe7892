import { createHmac, timingSafeEqual } from 'node:crypto';
import { RegistryError } from '../../domain/errors/RegistryError';

/**
 * Continuation tokens handed to callers are sealed with an HMAC, so a token the store did not
 * issue is refused with a clear 400 instead of reaching the Cosmos SDK, which can crash on one.
 * The key is derived from account secrets, so every instance accepts every instance's tokens.
 */
export class ContinuationSeal {
  constructor(private readonly key: Buffer) {}

  seal(token: string): string {
    const body = Buffer.from(token, 'utf8').toString('base64url');
    return `${body}.${this.mac(body)}`;
  }

  open(sealed: string): string {
    const [body, mac, extra] = sealed.split('.');
    const expected = body === undefined ? '' : this.mac(body);
    const valid =
      extra === undefined &&
      mac !== undefined &&
      mac.length === expected.length &&
      timingSafeEqual(Buffer.from(mac), Buffer.from(expected));
    if (!valid || body === undefined) {
      throw new RegistryError(
        'ArgumentInvalid',
        'x-ms-continuation is not a token this registry issued: start again without it',
      );
    }
    return Buffer.from(body, 'base64url').toString('utf8');
  }

  private mac(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url').slice(0, 22);
  }
}
