import { describe, expect, it } from 'vitest';
import type { RegistryServices } from '../../src/http/RegistryServices';
import { documentedPath, openApiDocument } from '../../src/http/openapi/openApiDocument';
import { routes } from '../../src/http/routes';

const table = routes(() => Promise.resolve({} as RegistryServices));
const document = openApiDocument(table) as {
  openapi: string;
  paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
};

describe('the OpenAPI document', () => {
  it('describes every route the route table serves, and nothing else', () => {
    const served = table
      .flatMap((r) => r.methods.map((m) => `${m.toLowerCase()} /${documentedPath(r.route)}`))
      .sort();
    const documented = Object.entries(document.paths)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`))
      .sort();
    expect(documented).toEqual(served);
    for (const route of table) expect(route.doc.summary, route.name).not.toBe('');
    expect(document.openapi).toBe('3.1.0');
  });

  it('lists each route’s errors with their statuses', () => {
    const getDevice = document.paths['/devices/{deviceId}']?.get?.responses ?? {};
    expect(Object.keys(getDevice).sort()).toEqual(['200', '400', '401', '404', '429', '503']);
    const query = document.paths['/devices/query']?.post?.responses ?? {};
    expect(query).toHaveProperty('400');
    expect(JSON.stringify(query['400'])).toContain('BadRequest');
    expect(Object.keys(document.paths['/health']?.get?.responses ?? {})).toEqual(['200']);
  });

  it('takes each route’s description from the route itself', () => {
    const changed = table.map((r) =>
      r.name === 'getDevice' ? { ...r, doc: { ...r.doc, summary: 'Read one device' } } : r,
    );
    const paths = (openApiDocument(changed) as typeof document).paths;
    expect(paths['/devices/{deviceId}']?.get).toMatchObject({ summary: 'Read one device' });
  });
});
