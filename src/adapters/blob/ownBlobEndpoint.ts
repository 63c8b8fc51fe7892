/** A storage account's blob endpoint, as a connection string names it. */
export interface BlobEndpoint {
  /** `https://acct.blob.core.windows.net`, or Azurite's `http://127.0.0.1:10000/devstoreaccount1`. */
  url: string;
  accountName: string | null;
}

/**
 * The blob endpoint of the service's own storage account, from its connection string: jobs may
 * use the account the service itself runs on (locally, an Azurite on loopback over http), in
 * the containers named for them. Null when the string names no blob endpoint.
 */
export function ownBlobEndpoint(connectionString: string | undefined): BlobEndpoint | null {
  if (!connectionString) return null;
  const parts = new Map(
    connectionString
      .split(';')
      .map((p) => p.trim())
      .filter((p) => p.includes('='))
      .map((p) => [p.slice(0, p.indexOf('=')).toLowerCase(), p.slice(p.indexOf('=') + 1)]),
  );
  if (parts.get('usedevelopmentstorage')?.toLowerCase() === 'true')
    return { url: 'http://127.0.0.1:10000/devstoreaccount1', accountName: 'devstoreaccount1' };
  const accountName = parts.get('accountname') ?? null;
  const endpoint =
    parts.get('blobendpoint') ??
    (accountName
      ? `${parts.get('defaultendpointsprotocol') ?? 'https'}://${accountName}.blob.${parts.get('endpointsuffix') ?? 'core.windows.net'}`
      : undefined);
  if (!endpoint) return null;
  try {
    return { url: new URL(endpoint).toString().replace(/\/+$/, ''), accountName };
  } catch {
    return null;
  }
}

/** A blob endpoint as an allow-list entry: its host[:port], after `http://` for plain http. */
export const allowListEntry = (endpoint: string): string => {
  const url = new URL(endpoint);
  return `${url.protocol === 'http:' ? 'http://' : ''}${url.host}`;
};

/**
 * The blob endpoint of the Functions host's storage (AzureWebJobsStorage, by its connection
 * string or its identity-based `__blobServiceUri` / `__accountName` settings): it holds the
 * host's keys and leases, and may hold the deployment package.
 */
export function hostBlobEndpoint(env: Record<string, string | undefined>): BlobEndpoint | null {
  if (env.AzureWebJobsStorage) return ownBlobEndpoint(env.AzureWebJobsStorage);
  const uri = env.AzureWebJobsStorage__blobServiceUri;
  const account = env.AzureWebJobsStorage__accountName;
  if (uri) return { url: uri, accountName: account ?? null };
  return account ? { url: `https://${account}.blob.core.windows.net`, accountName: account } : null;
}
