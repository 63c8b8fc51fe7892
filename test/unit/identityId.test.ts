import { describe, expect, it } from 'vitest';
import { RegistryError } from '../../src/domain/errors/RegistryError';
import { assertDeviceId, assertModuleId } from '../../src/domain/identity/identityId';
import { errorOf } from '../support/errorOf';

/** The special characters both IDs allow (CONTRACT.md "Service API"), '+' and '#' aside. */
const COMMON_SPECIALS = [
  '-',
  ':',
  '.',
  '%',
  '_',
  '*',
  '?',
  '!',
  '(',
  ')',
  ',',
  '=',
  '@',
  ';',
  '$',
  "'",
];

const assertions = [
  ['device', assertDeviceId],
  ['module', assertModuleId],
] as const;

describe.each(assertions)('%s ID', (kind, assertId) => {
  it.each(COMMON_SPECIALS)('accepts the special character %s inside and as the whole ID', (c) => {
    expect(assertId(`id${c}1`)).toBe(`id${c}1`);
    expect(assertId(c)).toBe(c);
  });

  it('accepts every allowed character at once', () => {
    const id = `AZaz09${COMMON_SPECIALS.join('')}`;
    expect(assertId(id)).toBe(id);
  });

  it('accepts 1 and 128 characters', () => {
    expect(assertId('x')).toBe('x');
    const longest = 'a'.repeat(128);
    expect(assertId(longest)).toBe(longest);
  });

  it('refuses 0 and 129 characters', () => {
    const empty = errorOf(() => assertId(''));
    expect(empty.code).toBe('ArgumentInvalid');
    expect(empty.message).toContain(kind);
    const tooLong = errorOf(() => assertId('a'.repeat(129)));
    expect(tooLong.code).toBe('ArgumentInvalid');
    expect(tooLong.message).toContain('128');
  });

  it('preserves case and returns the ID unchanged', () => {
    expect(assertId('MyDevice')).toBe('MyDevice');
    expect(assertId('mydevice')).toBe('mydevice');
    expect(assertId('MYDEVICE')).toBe('MYDEVICE');
  });

  it.each([
    ['a slash', 'a/b'],
    ['a leading slash', '/a'],
    ['a backslash', 'a\\b'],
    ['a space', 'a b'],
    ['a tab', 'a\tb'],
    ['a trailing newline', 'abc\n'],
    ['a double quote', 'a"b'],
    ['an ampersand', 'a&b'],
    ['a tilde', 'a~b'],
    ['a backtick', 'a`b'],
    ['brackets', 'a[b]'],
    ['braces', 'a{b}'],
    ['angle brackets', 'a<b>'],
    ['a pipe', 'a|b'],
    ['a caret', 'a^b'],
    ['a NUL', 'a\u0000b'],
    ['an accented letter', 'dévice'],
    ['a non-Latin script', 'デバイス'],
    ['a no-break space', 'a\u00a0b'],
    ['fullwidth digits', '\uff11\uff12'],
    ['an emoji', 'dev\u{1f600}'],
  ])('refuses %s', (_what, id) => {
    const error = errorOf(() => assertId(id));
    expect(error).toBeInstanceOf(RegistryError);
    expect(error.code).toBe('ArgumentInvalid');
  });

  it('names the allowed characters when refusing a character, without any ;', () => {
    const error = errorOf(() => assertId('bad/id'));
    expect(error.message).toContain(kind);
    expect(error.message).toContain('A-Z a-z 0-9');
    for (const c of COMMON_SPECIALS.filter((s) => s !== ';')) expect(error.message).toContain(c);
    expect(error.message).not.toContain(';');
  });

  it('keeps ; out of the message even when the refused ID contains one', () => {
    const error = errorOf(() => assertId('a;b/c'));
    expect(error.code).toBe('ArgumentInvalid');
    expect(error.message).not.toContain(';');
  });
});

describe('+ and #', () => {
  it.each(['+', '#'])('refuses %s in a device ID', (c) => {
    expect(errorOf(() => assertDeviceId(`dev${c}1`)).code).toBe('ArgumentInvalid');
    expect(errorOf(() => assertDeviceId(c)).code).toBe('ArgumentInvalid');
  });

  it.each(['+', '#'])('accepts %s in a module ID', (c) => {
    expect(assertModuleId(`mod${c}1`)).toBe(`mod${c}1`);
    expect(assertModuleId(c)).toBe(c);
  });

  it('lists + and # as allowed for modules but not for devices', () => {
    const allowedList = (message: string) => message.slice(message.indexOf('use only'));
    const device = errorOf(() => assertDeviceId('a/b'));
    const module = errorOf(() => assertModuleId('a/b'));
    expect(device.message).toContain('use only');
    expect(allowedList(device.message)).not.toMatch(/[+#]/);
    expect(allowedList(module.message)).toContain('+');
    expect(allowedList(module.message)).toContain('#');
  });
});
