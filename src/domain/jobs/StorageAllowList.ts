/**
 * Where jobs may read and write: storage hosts named by an allow-list setting, so the service
 * can never be made to send the registry (keys included) to an address a caller chose.
 *
 * Entries: `*.blob.core.windows.net` (any name under the suffix), `host` or `host:port` (that
 * host exactly); `http://` before an entry lets that entry use plain http (the embedded
 * Azurite). An exact entry may name an IP address or a host that resolves to a private one;
 * a wildcard never lets a name reach loopback, private, link-local or metadata addresses.
 */
export interface AllowedHost {
  /** Lower case; a leading '*.' means any name under the rest. */
  host: string;
  port: number | null;
  http: boolean;
}

/** Blob endpoints of the Azure clouds (public, China, US Government) and Azure DNS zones. */
export const DEFAULT_STORAGE_HOSTS = [
  '*.blob.core.windows.net',
  '*.blob.core.chinacloudapi.cn',
  '*.blob.core.usgovcloudapi.net',
  '*.blob.storage.azure.net',
].join(',');

export function parseAllowList(setting: string): AllowedHost[] {
  return setting
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '')
    .map((entry) => {
      const http = /^http:\/\//i.test(entry);
      const rest = entry.replace(/^https?:\/\//i, '').replace(/\/+$/, '');
      const match = /^(\*\.)?(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::(\d{1,5}))?$/i.exec(rest);
      if (!match) throw new Error(`'${entry}' is not a host, *.suffix or host:port`);
      return {
        host: `${match[1] ?? ''}${(match[2] as string).toLowerCase().replace(/^\[|\]$/g, '')}`,
        port: match[3] === undefined ? null : Number(match[3]),
        http,
      };
    });
}

export type DestinationCheck =
  { ok: true; host: string; exact: boolean } | { ok: false; reason: string };

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
export const isIpLiteral = (host: string): boolean => IPV4.test(host) || host.includes(':');

/** The checks that need no DNS: scheme, host on the list, IP literals. */
export function checkDestination(uri: string, allowed: readonly AllowedHost[]): DestinationCheck {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return { ok: false, reason: 'it is not a URI' };
  }
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  const port = url.port === '' ? (url.protocol === 'http:' ? 80 : 443) : Number(url.port);
  const entry = allowed.find((e) =>
    e.host.startsWith('*.')
      ? host.endsWith(e.host.slice(1)) && host.length > e.host.length - 1 && !isIpLiteral(host)
      : e.host === host && (e.port === null || e.port === port),
  );
  if (!entry)
    return {
      ok: false,
      reason: `its host '${host}' is not on the storage allow-list (JOBS_ALLOWED_STORAGE_HOSTS)`,
    };
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && entry.http))
    return { ok: false, reason: `it must use https, not ${url.protocol.replace(':', '')}` };
  if (url.username || url.password)
    return { ok: false, reason: 'it may not carry a user name or password' };
  return { ok: true, host, exact: !entry.host.startsWith('*.') };
}
