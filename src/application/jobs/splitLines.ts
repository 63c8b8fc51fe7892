export interface InputLine {
  /** The line without its line break; null when it is longer than the limit. */
  text: string | null;
  /** Bytes it takes in the blob, line break included. */
  bytes: number;
}

const NEWLINE = 0x0a;

/**
 * Splits a byte stream into lines, holding at most one line (up to `maxLineBytes`) in memory,
 * whatever the size of the stream. An over-long line is reported, not buffered.
 */
export async function* splitLines(
  chunks: AsyncIterable<Buffer>,
  maxLineBytes: number,
): AsyncGenerator<InputLine> {
  let parts: Buffer[] = [];
  let held = 0;
  let bytes = 0;
  let tooLong = false;
  const take = (): InputLine => {
    const raw = tooLong ? null : Buffer.concat(parts, held);
    const line: InputLine = {
      text: raw === null ? null : raw.toString('utf8').replace(/\r$/, ''),
      bytes,
    };
    parts = [];
    held = 0;
    bytes = 0;
    tooLong = false;
    return line;
  };
  const keep = (piece: Buffer) => {
    bytes += piece.length;
    if (tooLong) return;
    if (held + piece.length > maxLineBytes) {
      tooLong = true;
      parts = [];
      held = 0;
      return;
    }
    parts.push(piece);
    held += piece.length;
  };
  for await (const chunk of chunks) {
    let start = 0;
    for (let at = chunk.indexOf(NEWLINE); at !== -1; at = chunk.indexOf(NEWLINE, start)) {
      keep(chunk.subarray(start, at));
      bytes += 1;
      yield take();
      start = at + 1;
    }
    if (start < chunk.length) keep(chunk.subarray(start));
  }
  if (bytes > 0) yield take();
}
