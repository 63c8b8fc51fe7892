import { describe, expect, it } from 'vitest';
import { RegistryError } from '../../src/domain/errors/RegistryError';
import { CURRENT_API_VERSION, checkApiVersion } from '../../src/http/apiVersion';
import { errorOf } from '../support/errorOf';

const now = new Date('2026-03-01T12:00:00Z');

describe('checkApiVersion', () => {
  it('names 2021-04-12 as the current version', () => {
    expect(CURRENT_API_VERSION).toBe('2021-04-12');
  });

  it('accepts a missing api-version', () => {
    expect(() => checkApiVersion(null, now)).not.toThrow();
  });

  it.each([
    '2021-04-12',
    '2020-09-30',
    '2019-07-01-preview',
    '2021-04-12-preview',
    '2016-02-03',
    '2024-02-29',
    '2026-03-01',
  ])('accepts %s', (version) => {
    expect(() => checkApiVersion(version, now)).not.toThrow();
  });

  it.each([
    ['a future date', '2099-01-01'],
    ['tomorrow', '2026-03-02'],
    ['month 13', '2021-13-01'],
    ['month 00', '2021-00-10'],
    ['day 00', '2021-04-00'],
    ['30 February', '2021-02-30'],
    ['29 February of a common year', '2021-02-29'],
    ['31 April', '2021-04-31'],
    ['a word', 'banana'],
    ['a date before the first release', '2015-01-01'],
    ['the day before the first release', '2016-02-02'],
    ['an empty value', ''],
    ['surrounding space', ' 2021-04-12'],
    ['a trailing newline', '2021-04-12\n'],
    ['an unknown suffix', '2021-04-12-beta'],
    ['an uppercase suffix', '2021-04-12-PREVIEW'],
    ['a compact date', '20210412'],
    ['a date with time', '2021-04-12T00:00:00Z'],
  ])('refuses %s', (_what, version) => {
    const error = errorOf(() => checkApiVersion(version, now));
    expect(error.code).toBe('InvalidProtocolVersion');
    expect(error.message).toContain('2021-04-12');
    expect(error.message).not.toContain(';');
  });

  it('judges the future against the injected now', () => {
    expect(() => checkApiVersion('2099-01-01', new Date('2099-01-01T00:00:00Z'))).not.toThrow();
    expect(() => checkApiVersion('2026-03-02', new Date('2026-03-01T23:59:59.999Z'))).toThrow(
      RegistryError,
    );
  });

  it('does not echo an overlong value in full', () => {
    const long = `x${'y'.repeat(500)}`;
    const error = errorOf(() => checkApiVersion(long, now));
    expect(error.message).not.toContain(long);
    expect(error.message.length).toBeLessThan(200);
  });
});
