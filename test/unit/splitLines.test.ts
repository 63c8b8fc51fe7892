import { describe, expect, it } from 'vitest';
import { splitLines } from '../../src/application/jobs/splitLines';

/** A stream of the given pieces, each arriving on its own. */
async function* chunks(...parts: (string | Buffer)[]): AsyncGenerator<Buffer> {
  for (const p of parts)
    yield await Promise.resolve(Buffer.isBuffer(p) ? p : Buffer.from(p, 'utf8'));
}

const all = async (source: AsyncIterable<Buffer>, max = 100) => {
  const out: { text: string | null; bytes: number }[] = [];
  for await (const line of splitLines(source, max)) out.push(line);
  return out;
};

describe('splitLines', () => {
  it('splits across chunk boundaries and counts every byte, line breaks included', async () => {
    const lines = await all(chunks('ab', 'c\nde', 'f\r\n', '\n', 'last'));
    expect(lines).toEqual([
      { text: 'abc', bytes: 4 },
      { text: 'def', bytes: 5 },
      { text: '', bytes: 1 },
      { text: 'last', bytes: 4 },
    ]);
  });

  it('yields nothing after a final line break, and nothing for an empty stream', async () => {
    expect(await all(chunks('a\n'))).toEqual([{ text: 'a', bytes: 2 }]);
    expect(await all(chunks())).toEqual([]);
  });

  it('keeps a multi-byte character split between chunks whole', async () => {
    const bytes = Buffer.from('ünï\n', 'utf8');
    const lines = await all(chunks(bytes.subarray(0, 1), bytes.subarray(1, 4), bytes.subarray(4)));
    expect(lines).toEqual([{ text: 'ünï', bytes: bytes.length }]);
  });

  it('reports an over-long line without holding it, and goes on after it', async () => {
    const lines = await all(chunks('x'.repeat(30), 'x'.repeat(30), '\nok\n'), 40);
    expect(lines).toEqual([
      { text: null, bytes: 61 },
      { text: 'ok', bytes: 3 },
    ]);
  });
});
