import { describe, expect, inject, it } from 'vitest';
import { rawHttp } from '../support/rawHttp';

/** Request targets that a URL parser would read as another host, sent as written. */
describe('request paths', () => {
  const baseUrl = () => inject('stack').httpUrl;

  it('never answers a redirect to another host for dashboard paths with extra slashes or dots', async () => {
    for (const target of [
      '/.//ui',
      '//ui',
      '///ui',
      '/./ui//',
      '/ui//x',
      '/ui/.//js/app.js',
      '/a/..//ui',
    ]) {
      const reply = await rawHttp(baseUrl(), { target });
      const location = reply.headers.location;
      if (location !== undefined) {
        expect(location, target).not.toMatch(/^\/\/|^[a-z][a-z0-9+.-]*:/i);
        const resolved = new URL(location, `${baseUrl()}${target.replace(/^\/+/, '/')}`);
        expect(resolved.origin, target).toBe(new URL(baseUrl()).origin);
      }
      expect([200, 308, 400, 404], target).toContain(reply.status);
    }
    // The plain forms still work: /ui redirects to ui/ (relative), /ui/ is the page.
    const bare = await rawHttp(baseUrl(), { target: '/ui' });
    expect(bare).toMatchObject({ status: 308, headers: { location: 'ui/' } });
    expect((await rawHttp(baseUrl(), { target: '/ui/' })).status).toBe(200);
    // Paths that begin with // after normalization are refused by the host.
    for (const target of ['/.//ui', '//ui', '/a/..//ui'])
      expect((await rawHttp(baseUrl(), { target })).status, target).toBe(400);
  });
});
