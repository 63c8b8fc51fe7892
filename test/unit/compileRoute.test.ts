import { describe, expect, it } from 'vitest';
import { compileRoute } from '../../local/compileRoute';

const split = (path: string) => path.split('/');

describe('compileRoute', () => {
  const device = compileRoute('devices/{deviceId}');
  const module = compileRoute('devices/{deviceId}/modules/{moduleId}');
  const list = compileRoute('devices');

  it('matches literal segments with no params', () => {
    expect(list(['devices'])).toEqual({});
  });

  it('captures {param} segments by name', () => {
    expect(device(split('devices/d1'))).toEqual({ deviceId: 'd1' });
    expect(module(split('devices/d1/modules/m1'))).toEqual({ deviceId: 'd1', moduleId: 'm1' });
  });

  it('percent-decodes params', () => {
    expect(device(split('devices/a%23b'))).toEqual({ deviceId: 'a#b' });
    expect(device(split('devices/a%2Bb'))).toEqual({ deviceId: 'a+b' });
    expect(device(split('devices/a%25b'))).toEqual({ deviceId: 'a%b' });
    expect(device(split('devices/a%2Fb'))).toEqual({ deviceId: 'a/b' });
    expect(device(split('devices/a%24b%27c%3Bd'))).toEqual({ deviceId: "a$b'c;d" });
    expect(device(split('devices/d%C3%A9v'))).toEqual({ deviceId: 'dév' });
  });

  it('does not turn + into a space', () => {
    expect(device(split('devices/a+b'))).toEqual({ deviceId: 'a+b' });
  });

  it('keeps the case of params', () => {
    expect(device(split('devices/MyDevice'))).toEqual({ deviceId: 'MyDevice' });
  });

  it('matches literals case-insensitively', () => {
    expect(device(split('Devices/d1'))).toEqual({ deviceId: 'd1' });
    expect(module(split('DEVICES/d1/Modules/m1'))).toEqual({ deviceId: 'd1', moduleId: 'm1' });
  });

  it('refuses a different literal', () => {
    expect(device(split('device/d1'))).toBeNull();
    expect(module(split('devices/d1/module/m1'))).toBeNull();
    expect(list(['jobs'])).toBeNull();
  });

  it('returns null when the number of segments differs', () => {
    expect(device(['devices'])).toBeNull();
    expect(device(split('devices/d1/modules'))).toBeNull();
    expect(module(split('devices/d1'))).toBeNull();
    expect(list([])).toBeNull();
    expect(list(split('devices/d1'))).toBeNull();
  });

  it('returns null for an empty param segment', () => {
    expect(device(['devices', ''])).toBeNull();
    expect(module(['devices', '', 'modules', 'm1'])).toBeNull();
  });

  it('ignores leading, trailing and doubled slashes in the template', () => {
    const route = compileRoute('/devices//{deviceId}/');
    expect(route(split('devices/d1'))).toEqual({ deviceId: 'd1' });
  });

  it('throws on a malformed percent escape in a param', () => {
    expect(() => device(split('devices/%E0%A4%A'))).toThrow(URIError);
    expect(() => device(split('devices/%'))).toThrow(URIError);
  });

  it('does not decode literal segments', () => {
    expect(device(split('device%73/d1'))).toBeNull();
  });
});

describe('compileRoute with a catch-all', () => {
  const files = compileRoute('ui/{*path}');

  it('takes the remaining segments, none included', () => {
    expect(files(['ui'])).toEqual({ path: '' });
    expect(files(['ui', ''])).toEqual({ path: '' });
    expect(files(split('ui/js/app.js'))).toEqual({ path: 'js/app.js' });
    expect(files(split('ui/a%20b.css'))).toEqual({ path: 'a b.css' });
  });

  it('still needs its literal prefix', () => {
    expect(files(['devices'])).toBeNull();
    expect(files([])).toBeNull();
  });
});
