import { describe, expect, it } from 'vitest';
import { hubHostName } from '../../src/config/hubHostName';
import { parseSettings } from '../../src/config/Settings';

describe('the host name tokens must name', () => {
  it('is IOTHUB_HOST_NAME, else the app host name without its port, else localhost', () => {
    const of = (env: Record<string, string>) => hubHostName(parseSettings(env));
    expect(
      of({ IOTHUB_HOST_NAME: 'Hub.Example.net', WEBSITE_HOSTNAME: 'app.azurewebsites.net' }),
    ).toBe('hub.example.net');
    expect(of({ IOTHUB_HOST_NAME: '', WEBSITE_HOSTNAME: 'app.azurewebsites.net' })).toBe(
      'app.azurewebsites.net',
    );
    // func start sets WEBSITE_HOSTNAME with the port it listens on; the SDKs send no port in sr.
    expect(of({ WEBSITE_HOSTNAME: 'localhost:7071' })).toBe('localhost');
    expect(of({})).toBe('localhost');
  });
});
