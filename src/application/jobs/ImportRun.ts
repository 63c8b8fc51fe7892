import { RegistryError } from '../../domain/errors/RegistryError';
import type { JobCheckpoint, RegistryJob } from '../../domain/jobs/RegistryJob';
import type { BlobReader, BlobWriter, JobBlobs } from '../../ports/JobBlobs';
import type { RegistryStore } from '../../ports/RegistryStore';
import type { BulkEntry } from '../BulkEntry';
import type { BulkRegistry } from '../BulkRegistry';
import type { ImportLineParser } from './ImportLineParser';
import type { JobStep, SaveCheckpoint } from './JobStep';
import { splitLines, type InputLine } from './splitLines';
import { inParallel, runPerDevice } from '../runPerDevice';

/** IoT Hub's limit for one identity's JSON is far below this; anything longer is not one. */
export const MAX_LINE_BYTES = 64 * 1024;
const CONCURRENCY = 16;

interface ChunkLine {
  number: number;
  bytes: number;
  entry?: BulkEntry;
  error?: { errorCode: string; errorStatus: string };
}

const keyOf = (e: BulkEntry) =>
  e.moduleId === undefined ? e.deviceId : `${e.deviceId}\u0000${e.moduleId}`;

/**
 * Import, a chunk of lines per step. Before a chunk is applied, each line's identity etag is
 * recorded in the checkpoint; a worker that resumes the chunk after a crash counts a line whose
 * identity has changed since as applied, and applies only the others. A chunk never holds an
 * identity twice (nor a device after lines of its modules), so "changed" can only mean "this
 * line did it" (or another writer did meanwhile). Failed lines go to the error log in blocks
 * named by their number, so a repeated chunk rewrites its block.
 */
export class ImportRun implements JobStep {
  private readonly reader: BlobReader;
  private readonly errors: BlobWriter;
  private lines: AsyncIterator<InputLine> | undefined;
  private peeked: InputLine | undefined;

  constructor(
    job: RegistryJob,
    private readonly store: RegistryStore,
    private readonly bulk: BulkRegistry,
    private readonly parse: ImportLineParser,
    blobs: JobBlobs,
    private readonly chunkLines: number,
  ) {
    if (job.inputBlobContainerUri === null) throw new Error('An import job needs an input');
    const auth = job.storageAuthenticationType;
    this.reader = blobs.reader(job.inputBlobContainerUri, job.inputBlobName, auth);
    this.errors = blobs.writer(job.outputBlobContainerUri, job.outputBlobName, auth);
  }

  async start(cp: JobCheckpoint): Promise<JobCheckpoint> {
    if (cp.sourceEtag !== null) return cp;
    const { size, etag } = await this.reader.properties();
    return { ...cp, total: size, sourceEtag: etag };
  }

  async step(
    cp: JobCheckpoint,
    save: SaveCheckpoint,
  ): Promise<{ checkpoint: JobCheckpoint; finished: boolean }> {
    const chunk = await this.readChunk(cp);
    if (chunk.length === 0) return { checkpoint: cp, finished: true };

    const resumed = cp.inFlight !== null;
    const planned: Record<string, string | null> = cp.inFlight?.before ?? {};
    if (!resumed) {
      await inParallel(chunk, CONCURRENCY, async (line) => {
        if (line.entry) planned[line.number] = await this.etagOf(line.entry);
      });
      await save({ ...cp, inFlight: { lines: chunk.length, before: planned } });
    }

    let done = 0;
    const failed: ChunkLine[] = [];
    // Lines of one device in file order (a malformed line is its own group); devices side by side.
    const groupOf = (line: ChunkLine) => line.entry?.deviceId ?? `\u0000${line.number}`;
    await runPerDevice(chunk, groupOf, CONCURRENCY, async (line) => {
      if (!line.entry) {
        if (line.error) failed.push(line);
        return;
      }
      if (resumed && (await this.etagOf(line.entry)) !== planned[line.number]) {
        done++;
        return;
      }
      const error = await this.bulk.applyOne(line.entry, planned[line.number] !== null);
      if (error) {
        line.error = { errorCode: error.errorCode, errorStatus: error.errorStatus };
        failed.push(line);
      } else done++;
    });

    let blocks = cp.blocks;
    if (failed.length > 0) {
      failed.sort((a, b) => a.number - b.number);
      const text = failed.map((l) => `${errorLine(l)}\n`).join('');
      await this.errors.stageBlock(blocks, Buffer.from(text, 'utf8'));
      blocks++;
    }
    const bytes = chunk.reduce((n, l) => n + l.bytes, 0);
    return {
      checkpoint: {
        ...cp,
        offset: cp.offset + bytes,
        line: cp.line + chunk.length,
        blocks,
        done: cp.done + done,
        failed: cp.failed + failed.length,
        inFlight: null,
      },
      finished: false,
    };
  }

  async finish(cp: JobCheckpoint): Promise<void> {
    // Written even when empty, so a finished import always has its log.
    await this.errors.commit(cp.blocks);
  }

  progress(cp: JobCheckpoint): number {
    return cp.total === 0 ? 0 : Math.min(99, Math.floor((cp.offset * 100) / cp.total));
  }

  close(): void {
    void this.lines?.return?.();
  }

  /** The next chunk: the in-flight one again when resuming, else up to chunkLines lines. */
  private async readChunk(cp: JobCheckpoint): Promise<ChunkLine[]> {
    this.lines ??= splitLines(
      await this.reader.readFrom(cp.offset, cp.sourceEtag ?? ''),
      MAX_LINE_BYTES,
    )[Symbol.asyncIterator]();
    const exact = cp.inFlight?.lines;
    const chunk: ChunkLine[] = [];
    const keys = new Set<string>();
    const devices = new Set<string>();
    const deleted = new Set<string>();
    while (chunk.length < (exact ?? this.chunkLines)) {
      const next = this.peeked ?? (await this.next());
      this.peeked = undefined;
      if (!next) break;
      const line = this.parseLine(next, cp.line + chunk.length + 1);
      const entry = line.entry;
      if (exact === undefined && entry) {
        const clash =
          keys.has(keyOf(entry)) ||
          (entry.moduleId === undefined
            ? devices.has(entry.deviceId)
            : deleted.has(entry.deviceId));
        if (clash) {
          this.peeked = next;
          break;
        }
        keys.add(keyOf(entry));
        devices.add(entry.deviceId);
        if (entry.moduleId === undefined && entry.importMode.startsWith('delete'))
          deleted.add(entry.deviceId);
      }
      chunk.push(line);
    }
    return chunk;
  }

  private async next(): Promise<InputLine | undefined> {
    const r = await (this.lines as AsyncIterator<InputLine>).next();
    return r.done ? undefined : r.value;
  }

  private parseLine(input: InputLine, number: number): ChunkLine {
    const line: ChunkLine = { number, bytes: input.bytes };
    if (input.text === null) {
      line.error = {
        errorCode: 'ArgumentInvalid',
        errorStatus: `The line is longer than ${MAX_LINE_BYTES / 1024} KB: one identity per line`,
      };
      return line;
    }
    // Blank lines are skipped, as a trailing newline is.
    if (input.text.trim() === '') return line;
    try {
      line.entry = this.parse(input.text);
    } catch (error) {
      if (!(error instanceof RegistryError)) throw error;
      line.error = { errorCode: error.code, errorStatus: error.message };
    }
    return line;
  }

  /** The identity's etag as a reader sees it (null: absent, stale modules included). */
  private async etagOf(entry: BulkEntry): Promise<string | null> {
    const device = await this.store.readDevice(entry.deviceId);
    if (entry.moduleId === undefined) return device?.etag ?? null;
    const module = await this.store.readModule(entry.deviceId, entry.moduleId);
    return device && module && module.deviceGenerationId === device.generationId
      ? module.etag
      : null;
  }
}

function errorLine(line: ChunkLine): string {
  return JSON.stringify({
    line: line.number,
    ...(line.entry ? { id: line.entry.deviceId } : {}),
    ...(line.entry?.moduleId === undefined ? {} : { moduleId: line.entry.moduleId }),
    errorCode: line.error?.errorCode ?? 'ServerError',
    errorStatus: line.error?.errorStatus ?? 'The line could not be applied',
  });
}
