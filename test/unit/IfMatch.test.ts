import { describe, expect, it } from 'vitest';
import { parseIfMatch } from '../../src/domain/identity/IfMatch';

describe('parseIfMatch', () => {
  it.each([
    ['absent (undefined)', undefined],
    ['absent (null)', null],
    ['empty', ''],
    ['blank', '   '],
  ])('is none when %s', (_what, header) => {
    expect(parseIfMatch(header)).toEqual({ kind: 'none' });
  });

  it.each(['*', '"*"', ' "*" ', 'W/"*"'])('is any for %j', (header) => {
    expect(parseIfMatch(header)).toEqual({ kind: 'any' });
  });

  it('strips the quotes of an etag', () => {
    expect(parseIfMatch('"AAAAAAAAAAE="')).toEqual({ kind: 'etag', etag: 'AAAAAAAAAAE=' });
  });

  it('takes an unquoted etag as it is', () => {
    expect(parseIfMatch('abc123')).toEqual({ kind: 'etag', etag: 'abc123' });
  });

  it('strips the weak prefix W/ and the quotes', () => {
    expect(parseIfMatch('W/"x"')).toEqual({ kind: 'etag', etag: 'x' });
  });

  it('trims surrounding whitespace', () => {
    expect(parseIfMatch('  "e1"  ')).toEqual({ kind: 'etag', etag: 'e1' });
  });

  it('keeps the case of the etag', () => {
    expect(parseIfMatch('"AbC"')).toEqual({ kind: 'etag', etag: 'AbC' });
  });

  it('does not treat a star inside an etag as any', () => {
    expect(parseIfMatch('"a*"')).toEqual({ kind: 'etag', etag: 'a*' });
  });

  it('strips only one pair of quotes', () => {
    expect(parseIfMatch('""x""')).toEqual({ kind: 'etag', etag: '"x"' });
  });

  it('leaves a lone quote alone', () => {
    expect(parseIfMatch('"')).toEqual({ kind: 'etag', etag: '"' });
  });
});
