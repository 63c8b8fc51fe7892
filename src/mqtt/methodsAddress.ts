import { networkInterfaces } from 'node:os';

/**
 * The address the Function App reaches this instance's methods listener at: the setting when
 * given, else the host it listens on, or (listening on every interface) its first
 * non-loopback IPv4 address, which is what a container's replica is reached by.
 */
export function methodsAddress(configured: string | undefined, host: string, port: number): string {
  if (configured) return configured;
  let address = host;
  if (host === '0.0.0.0' || host === '::' || host === '') {
    const external = Object.values(networkInterfaces())
      .flat()
      .find((i) => i?.family === 'IPv4' && !i.internal);
    address = external?.address ?? '127.0.0.1';
  }
  return `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
}
