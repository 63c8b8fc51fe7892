import { deviceLine, moduleLine } from '../../domain/jobs/identityLines';
import type { JobCheckpoint, RegistryJob } from '../../domain/jobs/RegistryJob';
import type { BlobWriter, JobBlobs } from '../../ports/JobBlobs';
import type { RegistryStore, StoredIdentity } from '../../ports/RegistryStore';
import type { JobStep } from './JobStep';
import type { Twin } from '../../domain/twin/Twin';

const deviceIdOf = (i: StoredIdentity) =>
  i.kind === 'device' ? i.device.deviceId : i.kind === 'twin' ? i.twin.deviceId : i.module.deviceId;

/**
 * Export, one page of the store per step: each step stages one block of devices.txt, named by
 * its number, so a step done twice after a crash rewrites its block instead of adding one.
 * A device's documents are kept together (the last device of a page waits for the next page),
 * so its line always comes first, followed by its modules, and only modules of its current
 * generation are written.
 */
export class ExportRun implements JobStep {
  private readonly writer: BlobWriter;

  constructor(
    private readonly job: RegistryJob,
    private readonly store: RegistryStore,
    blobs: JobBlobs,
    private readonly pageSize: number,
  ) {
    this.writer = blobs.writer(
      job.outputBlobContainerUri,
      job.outputBlobName,
      job.storageAuthenticationType,
    );
  }

  async start(cp: JobCheckpoint): Promise<JobCheckpoint> {
    if (cp.total > 0 || cp.blocks > 0) return cp;
    return { ...cp, total: (await this.store.countDevices()).total };
  }

  async step(cp: JobCheckpoint): Promise<{ checkpoint: JobCheckpoint; finished: boolean }> {
    const page = await this.store.scanIdentities(this.pageSize, cp.cursor ?? undefined);
    const docs = [...(cp.pending as StoredIdentity[]), ...page.items];
    const more = page.continuationToken !== undefined;
    const last = docs.length > 0 ? deviceIdOf(docs[docs.length - 1] as StoredIdentity) : undefined;
    const ready = more ? docs.filter((d) => deviceIdOf(d) !== last) : docs;
    const pending = more ? docs.filter((d) => deviceIdOf(d) === last) : [];

    const lines: string[] = [];
    let devices = 0;
    const excludeKeys = this.job.excludeKeysInExport;
    for (const group of groupByDevice(ready)) {
      const device = group.find((d) => d.kind === 'device');
      // Modules without their device belong to a deleted generation: never exported.
      if (device?.kind !== 'device') continue;
      devices++;
      const twins = new Map<string, Twin>();
      for (const d of group) if (d.kind === 'twin') twins.set(d.twin.moduleId ?? '', d.twin);
      lines.push(deviceLine(device.device, excludeKeys, twins.get('')));
      const modules = group
        .flatMap((d) => (d.kind === 'module' ? [d.module] : []))
        .filter((m) => m.deviceGenerationId === device.device.generationId)
        .sort((a, b) => (a.moduleId < b.moduleId ? -1 : 1));
      for (const m of modules) lines.push(moduleLine(m, excludeKeys, twins.get(m.moduleId)));
    }
    let blocks = cp.blocks;
    if (lines.length > 0) {
      await this.writer.stageBlock(blocks, Buffer.from(`${lines.join('\n')}\n`, 'utf8'));
      blocks++;
    }
    return {
      checkpoint: {
        ...cp,
        cursor: page.continuationToken ?? null,
        pending,
        blocks,
        done: cp.done + devices,
      },
      finished: !more,
    };
  }

  async finish(cp: JobCheckpoint): Promise<void> {
    await this.writer.commit(cp.blocks);
  }

  progress(cp: JobCheckpoint): number {
    return cp.total === 0 ? 0 : Math.min(99, Math.floor((cp.done * 100) / cp.total));
  }

  close(): void {}
}

function* groupByDevice(docs: StoredIdentity[]): Generator<StoredIdentity[]> {
  let group: StoredIdentity[] = [];
  for (const d of docs) {
    if (group.length > 0 && deviceIdOf(group[0] as StoredIdentity) !== deviceIdOf(d)) {
      yield group;
      group = [];
    }
    group.push(d);
  }
  if (group.length > 0) yield group;
}
