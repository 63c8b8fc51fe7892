import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import {
  checkDestination,
  isIpLiteral,
  type AllowedHost,
} from '../../domain/jobs/StorageAllowList';
import { checkOwnAccount, type OwnStorageAccount } from '../../domain/jobs/OwnStorageAccount';
import {
  DestinationRefused,
  type StorageDestinationGuard,
} from '../../ports/StorageDestinationGuard';

/** Addresses a name on a wildcard entry may never resolve to. */
const BLOCKED = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, including 169.254.169.254 (instance metadata)
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 3], // multicast and reserved
] as const)
  BLOCKED.addSubnet(net, prefix, 'ipv4');
BLOCKED.addAddress('168.63.129.16', 'ipv4'); // Azure's platform (WireServer) endpoint
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
  ['64:ff9b::', 96], // NAT64 of any IPv4 address
] as const)
  BLOCKED.addSubnet(net, prefix, 'ipv6');

export function isBlockedAddress(address: string): boolean {
  const mapped = /^::ffff:(\d{1,3}(\.\d{1,3}){3})$/i.exec(address)?.[1];
  if (mapped) return BLOCKED.check(mapped, 'ipv4');
  const family = isIP(address);
  return family === 0 || BLOCKED.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

export type Resolve = (host: string) => Promise<string[]>;

const resolveAll: Resolve = async (host) =>
  (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

/**
 * The allow-list, the containers jobs may use in the service's own accounts, and for names on a
 * wildcard entry, every address they resolve to right now: run when a job is created and again
 * when a worker opens the container.
 */
export class AllowListDestinationGuard implements StorageDestinationGuard {
  constructor(
    private readonly allowed: readonly AllowedHost[],
    private readonly own: readonly OwnStorageAccount[] = [],
    private readonly resolve: Resolve = resolveAll,
  ) {}

  async check(uri: string): Promise<void> {
    const checked = checkDestination(uri, this.allowed);
    if (!checked.ok) throw new DestinationRefused(checked.reason);
    for (const account of this.own) {
      const container = checkOwnAccount(new URL(uri), account);
      if (container && !container.ok) throw new DestinationRefused(container.reason);
    }
    if (checked.exact || isIpLiteral(checked.host)) return;
    let addresses: string[];
    try {
      addresses = await this.resolve(checked.host);
    } catch {
      throw new DestinationRefused(`its host '${checked.host}' does not resolve`);
    }
    const blocked = addresses.find(isBlockedAddress);
    if (blocked !== undefined || addresses.length === 0)
      throw new DestinationRefused(
        `its host '${checked.host}' resolves to ${blocked ?? 'nothing'}, a loopback, private, link-local or metadata address`,
      );
  }
}
