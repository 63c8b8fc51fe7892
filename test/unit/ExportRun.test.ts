import { describe, expect, it } from 'vitest';
import { ExportRun } from '../../src/application/jobs/ExportRun';
import { EMPTY_CHECKPOINT, type RegistryJob } from '../../src/domain/jobs/RegistryJob';
import type { JobBlobs } from '../../src/ports/JobBlobs';
import { createDevice, createModule, deviceDraft } from '../contract/registryStoreContract';
import { InMemoryRegistryStore } from '../fakes/InMemoryRegistryStore';

/** Blobs in memory: staged blocks by number, and what each commit made visible. */
function memoryBlobs() {
  const staged = new Map<number, string>();
  const committed: string[] = [];
  const blobs: JobBlobs = {
    writer: () => ({
      stageBlock: (i, data) => Promise.resolve(void staged.set(i, data.toString('utf8'))),
      commit: (n) =>
        Promise.resolve(
          void committed.push(Array.from({ length: n }, (_, i) => staged.get(i) ?? '').join('')),
        ),
    }),
    reader: () => {
      throw new Error('not used');
    },
  };
  return { blobs, staged, committed };
}

const job = (excludeKeysInExport = false) =>
  ({
    jobId: 'j',
    type: 'export',
    outputBlobContainerUri: 'https://x/c?sig=s',
    outputBlobName: 'devices.txt',
    excludeKeysInExport,
  }) as RegistryJob;

async function exportAll(store: InMemoryRegistryStore, pageSize: number) {
  const { blobs, committed } = memoryBlobs();
  const run = new ExportRun(job(), store, blobs, pageSize);
  let cp = await run.start(EMPTY_CHECKPOINT);
  for (let steps = 0; ; steps++) {
    // Through JSON, as the checkpoint is stored.
    const next = await run.step(cp);
    cp = JSON.parse(JSON.stringify(next.checkpoint)) as typeof cp;
    if (next.finished) break;
    expect(steps).toBeLessThan(100);
  }
  await run.finish(cp);
  return { text: committed[0] ?? '', cp, progress: run.progress(cp) };
}

describe('ExportRun', () => {
  it('writes each device before its modules, across page boundaries, and drops stale modules', async () => {
    const store = new InMemoryRegistryStore();
    for (const id of ['a', 'b', 'c'])
      await createDevice(store, deviceDraft(id, { generationId: `g-${id}` }));
    const module = (deviceId: string, moduleId: string, deviceGenerationId: string) =>
      createModule(store, {
        deviceId,
        moduleId,
        generationId: 'm',
        managedBy: null,
        authentication: deviceDraft('x').authentication,
        deviceGenerationId,
      });
    await module('b', 'm1', 'g-b');
    await module('b', 'm2', 'g-b');
    await module('b', 'old', 'g-before'); // left from an earlier generation of b
    await module('gone', 'm1', 'g-gone'); // its device was deleted
    const { text, cp, progress } = await exportAll(store, 2);
    const keys = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; moduleId?: string })
      .map((l) => (l.moduleId ? `${l.id}/${l.moduleId}` : l.id));
    expect(keys).toEqual(['a', 'b', 'b/m1', 'b/m2', 'c']);
    expect(cp.done).toBe(3);
    expect(cp.pending).toEqual([]);
    expect(progress).toBe(99); // 100 comes with the job's completion
  });

  it('writes an empty blob for an empty registry', async () => {
    const { text, cp } = await exportAll(new InMemoryRegistryStore(), 10);
    expect(text).toBe('');
    expect(cp.blocks).toBe(0);
  });
});
