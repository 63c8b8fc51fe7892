/**
 * The blob endpoint of the service's own storage account, from its connection string, as an
 * allow-list entry: jobs may always use the account the service itself runs on (locally, an
 * Azurite on loopback over http). Null when the string names no blob endpoint.
 */
export function ownBlobEndpoint(connectionString: string | undefined): string | null {
  if (!connectionString) return null;
  const parts = new Map(
    connectionString
      .split(';')
      .map((p) => p.trim())
      .filter((p) => p.includes('='))
      .map((p) => [p.slice(0, p.indexOf('=')).toLowerCase(), p.slice(p.indexOf('=') + 1)]),
  );
  if (parts.get('usedevelopmentstorage')?.toLowerCase() === 'true') return 'http://127.0.0.1:10000';
  const endpoint =
    parts.get('blobendpoint') ??
    (parts.get('accountname')
      ? `${parts.get('defaultendpointsprotocol') ?? 'https'}://${parts.get('accountname')}.blob.${parts.get('endpointsuffix') ?? 'core.windows.net'}`
      : undefined);
  if (!endpoint) return null;
  try {
    const url = new URL(endpoint);
    return `${url.protocol === 'http:' ? 'http://' : ''}${url.host}`;
  } catch {
    return null;
  }
}
