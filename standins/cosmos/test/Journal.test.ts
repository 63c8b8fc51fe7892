import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { frame, Journal, journalFiles, loadJournal, readFrames } from '../Journal';

describe('the stand-in journal', () => {
  const dirs: string[] = [];
  const dir = () => {
    const d = mkdtempSync(join(tmpdir(), 'journal-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('reads back what it made durable, in order', async () => {
    const files = journalFiles(dir());
    const journal = new Journal(files, () => undefined);
    for (let i = 0; i < 50; i++) journal.append({ i });
    await journal.durable();
    journal.close();
    expect(loadJournal(files, () => undefined)).toEqual(
      Array.from({ length: 50 }, (_, i) => ({ i })),
    );
  });

  it('drops a torn last record with a warning, and keeps the rest', () => {
    const files = journalFiles(dir());
    writeFileSync(files.journal, Buffer.concat([frame({ a: 1 }), frame({ b: 2 })]));
    const whole = readFileSync(files.journal).length;
    appendFileSync(files.journal, frame({ c: 3 }).subarray(0, 11));
    const warnings: string[] = [];
    expect(loadJournal(files, (w) => warnings.push(w))).toEqual([{ a: 1 }, { b: 2 }]);
    expect(warnings).toEqual([expect.stringContaining('torn last record')]);
    expect(readFileSync(files.journal).length).toBe(whole);
  });

  it('refuses to start on a damaged record in the middle', () => {
    const files = journalFiles(dir());
    const bytes = Buffer.concat([frame({ a: 1 }), frame({ b: 2 }), frame({ c: 3 })]);
    bytes.writeUInt8(
      bytes.readUInt8(frame({ a: 1 }).length + 10) ^ 0xff,
      frame({ a: 1 }).length + 10,
    );
    writeFileSync(files.journal, bytes);
    expect(() => loadJournal(files, () => undefined)).toThrow(/corrupt at byte \d+/);
  });

  it('treats a damaged last record as torn', () => {
    const bytes = Buffer.concat([frame({ a: 1 }), frame({ b: 2 })]);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 2) ^ 0xff, bytes.length - 2);
    expect(readFrames(bytes)).toMatchObject({ records: [{ a: 1 }], corruptAt: null });
  });

  it('compacts into a snapshot that a start reads with the tail after it', async () => {
    const files = journalFiles(dir());
    const journal = new Journal(files, () => undefined);
    for (let i = 0; i < 10; i++) journal.append({ i });
    journal.compact([{ live: 1 }, { live: 2 }]);
    expect(journal.size).toBe(0);
    journal.append({ after: 1 });
    await journal.durable();
    journal.close();
    expect(loadJournal(files, () => undefined)).toEqual([{ live: 1 }, { live: 2 }, { after: 1 }]);
  });

  it('rejects what the disk refused (ENOSPC) and tells its owner', async () => {
    const d = dir();
    const failures: string[] = [];
    // /dev/full accepts an open and refuses every write with ENOSPC, as a full disk does.
    const journal = new Journal({ journal: '/dev/full', snapshot: join(d, 'snapshot.bin') }, (e) =>
      failures.push((e as NodeJS.ErrnoException).code ?? ''),
    );
    journal.append({ lost: true });
    await expect(journal.durable()).rejects.toMatchObject({ code: 'ENOSPC' });
    expect(failures).toEqual(['ENOSPC']);
  });
});
