import { isIpLiteral } from './StorageAllowList';

/**
 * The service's own storage account. It also holds the Functions host's leases and keys, the
 * deployment package and checkpoints, and the app's identity may write there, so jobs may use
 * only the containers named for them (JOBS_OWN_ACCOUNT_CONTAINERS).
 */
export interface OwnStorageAccount {
  /** Its blob endpoint's host name (lower case) and port. */
  host: string;
  port: number;
  /** The path before container names: '' in Azure, '/devstoreaccount1' on Azurite (path-style). */
  pathPrefix: string;
  /**
   * Other names reach the same account (`<name>.privatelink.blob…`, `<name>-secondary.blob…`,
   * Azure DNS zones), so a host whose first label is the account's name counts as it too.
   */
  accountName: string | null;
  containers: readonly string[];
}

const defaultPort = (protocol: string) => (protocol === 'http:' ? 80 : 443);

/** The own account behind a blob endpoint URL (`https://acct.blob.core.windows.net`). */
export function ownStorageAccount(
  endpoint: string,
  accountName: string | null,
  containers: readonly string[],
): OwnStorageAccount {
  const url = new URL(endpoint);
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  return {
    host,
    port: url.port === '' ? defaultPort(url.protocol) : Number(url.port),
    pathPrefix: url.pathname.replace(/\/+$/, ''),
    // An Azure blob host names its account first; a custom domain or an IP address does not.
    accountName:
      accountName?.toLowerCase() ??
      (/^[a-z0-9]+\.blob\./.test(host) ? (host.split('.')[0] ?? null) : null),
    containers,
  };
}

/**
 * Null when `url` is not the own account; otherwise whether its container is one jobs may use.
 * `url` is parsed as the SDK parses it (dot segments resolved), so the container checked is the
 * container reached.
 */
export function checkOwnAccount(
  url: URL,
  own: OwnStorageAccount,
): { ok: true } | { ok: false; reason: string } | null {
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  const port = url.port === '' ? defaultPort(url.protocol) : Number(url.port);
  let path: string;
  if (host === own.host && port === own.port) {
    // Another account of the same emulator (path-style) is not this one.
    if (
      own.pathPrefix &&
      url.pathname !== own.pathPrefix &&
      !url.pathname.startsWith(`${own.pathPrefix}/`)
    )
      return null;
    path = url.pathname.slice(own.pathPrefix.length);
  } else {
    const label = host.split('.')[0];
    const alias =
      own.accountName !== null &&
      !isIpLiteral(host) &&
      (label === own.accountName || label === `${own.accountName}-secondary`);
    if (!alias) return null;
    path = url.pathname;
  }
  const container = path.split('/')[1] ?? '';
  if (own.containers.includes(container)) return { ok: true };
  return {
    ok: false,
    reason: `it names ${container ? `container '${container}'` : 'no container'} of the service's own storage account, where jobs may use only ${own.containers.map((c) => `'${c}'`).join(', ')} (JOBS_OWN_ACCOUNT_CONTAINERS)`,
  };
}
