import { RegistryError } from '../../domain/errors/RegistryError';
import { DEFAULT_QUERY_PAGE, MAX_QUERY_PAGE } from '../../application/TwinQueryService';
import { jsonResponse } from '../jsonResponse';
import { readJsonBody } from '../readJsonBody';
import { queryBodySchema } from '../schemas/twinSchemas';
import type { ServiceHandler } from '../httpEndpoint';
import { twinJson } from '../twinJson';

function pageSizeOf(header: string | null): number {
  if (header === null || header.trim() === '') return DEFAULT_QUERY_PAGE;
  const size = /^\d{1,7}$/.test(header.trim()) ? Number(header.trim()) : NaN;
  if (!(size >= 1 && size <= MAX_QUERY_PAGE))
    throw new RegistryError(
      'ArgumentInvalid',
      `x-ms-max-item-count must be a whole number from 1 to ${MAX_QUERY_PAGE}, not '${header.slice(0, 20)}'`,
    );
  return size;
}

/**
 * `POST /devices/query`: a page of results; `x-ms-continuation` in the reply (absent on the last
 * page) fetches the next. `x-ms-item-type` says whether the items are twins or plain objects.
 */
export const queryDevices: ServiceHandler = async (request, { queries }) => {
  const pageSize = pageSizeOf(request.headers.get('x-ms-max-item-count'));
  const { query } = await readJsonBody(request, queryBodySchema, 'query');
  const token = request.headers.get('x-ms-continuation') || undefined;
  const result = await queries.run(query, pageSize, token);
  const items = result.itemType === 'twin' ? result.items.map((t) => twinJson(t)) : result.items;
  return jsonResponse(200, items, {
    'x-ms-item-type': result.itemType,
    ...(result.continuationToken ? { 'x-ms-continuation': result.continuationToken } : {}),
  });
};
