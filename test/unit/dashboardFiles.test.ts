import { HttpRequest, InvocationContext } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { dashboardFiles } from '../../src/http/handlers/dashboardFiles';

const serve = dashboardFiles();
const get = async (url: string, path: string) => {
  const request = new HttpRequest({ method: 'GET', url, params: { path } });
  return serve(request, new InvocationContext());
};

describe('the dashboard files', () => {
  it('serves the page, its modules and styles with their types and a strict CSP', async () => {
    const page = await get('http://localhost/ui/', '');
    expect(page.status).toBe(200);
    expect(page.headers).toMatchObject({ 'content-type': 'text/html; charset=utf-8' });
    expect((page.body as Buffer).toString()).toContain('<iot-dashboard>');
    const csp = (page.headers as Record<string, string>)['content-security-policy'];
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("script-src 'self'");
    const script = await get('http://localhost/ui/js/app.js', 'js/app.js');
    expect(script.headers).toMatchObject({ 'content-type': 'text/javascript; charset=utf-8' });
    const styles = await get('http://localhost/ui/styles.css', 'styles.css');
    expect(styles.headers).toMatchObject({ 'content-type': 'text/css; charset=utf-8' });
  });

  it('redirects /ui to /ui/, so the page’s relative links resolve', async () => {
    const reply = await get('http://localhost/ui', '');
    expect(reply).toMatchObject({ status: 308, headers: { location: 'ui/' } });
    expect(new URL('ui/', 'http://localhost/ui').href).toBe('http://localhost/ui/');
  });

  it('never redirects off-site, whatever the path the host hands over', async () => {
    // A host that passes `//ui` (as `/.//ui` normalizes to) must not get `Location: //ui/`.
    for (const url of [
      'http://localhost//ui',
      'http://localhost///ui',
      'http://localhost/a/..//UI',
    ]) {
      const reply = await get(url, '');
      expect(reply.status, url).toBe(308);
      const location = (reply.headers as Record<string, string>).location ?? '';
      expect(location, url).toMatch(/^ui\/$/i);
      expect(new URL(location, url).origin, url).toBe('http://localhost');
    }
  });

  it('refuses paths outside the folder, unknown types and missing files with a 404', async () => {
    for (const path of [
      '../package.json',
      '../../host.json',
      'js/../../README.md',
      'tsconfig.json',
      'nope.js',
    ]) {
      const reply = await get(`http://localhost/ui/${path}`, path);
      expect(reply.status, path).toBe(404);
      expect((reply.body as Buffer | string).toString()).toContain('ErrorCode:NotFound');
    }
  });
});
