import { CliError, EXIT } from './CliError';
import type { Json } from './CliContext';
import type { RegistryClient } from './RegistryClient';

/**
 * An IoT Hub query, paged as the Azure CLI pages it: follows `x-ms-continuation` until `top`
 * items (all when undefined) or the last page.
 */
export async function queryPages(
  client: RegistryClient,
  query: string,
  { top, pageSize = 1000 }: { top?: number; pageSize?: number },
): Promise<{ items: Json[]; itemType: string | undefined }> {
  const items: Json[] = [];
  let itemType: string | undefined;
  let token: string | undefined;
  do {
    const want = top === undefined ? pageSize : Math.min(pageSize, top - items.length);
    const page = await client.exchange<unknown>(
      'POST',
      '/devices/query',
      { query },
      {
        'x-ms-max-item-count': String(want),
        ...(token ? { 'x-ms-continuation': token } : {}),
      },
    );
    if (!Array.isArray(page.body))
      throw new CliError(
        'The registry answered a query with something other than a list',
        EXIT.unavailable,
      );
    items.push(...(page.body as Json[]));
    itemType ??= page.headers.get('x-ms-item-type') ?? undefined;
    token = page.headers.get('x-ms-continuation') ?? undefined;
  } while (token && (top === undefined || items.length < top));
  return { items: top === undefined ? items : items.slice(0, top), itemType };
}
