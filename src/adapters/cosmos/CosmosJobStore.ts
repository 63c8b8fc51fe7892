import type { Container, ItemDefinition } from '@azure/cosmos';
import { z } from 'zod';
import { isTerminal, type JobDraft, type RegistryJob } from '../../domain/jobs/RegistryJob';
import type { JobStore } from '../../ports/JobStore';
import { toCosmosEtag, toWireEtag } from './cosmosEtag';
import { jobDocument } from './jobDocuments';
import { isCosmosNotFound, translateCosmosError } from './translateCosmosError';

const slotDocument = z.object({
  id: z.string(),
  kind: z.literal('slot'),
  jobId: z.string(),
  until: z.string(),
  _etag: z.string(),
});

const placeDocument = z.object({
  id: z.string(),
  kind: z.literal('active'),
  jobId: z.string(),
  since: z.string(),
  _etag: z.string(),
});

const statusOf = (error: unknown) => (error as { code?: unknown } | null)?.code;

/**
 * Jobs, run slots and active-job places in their own container, partitioned by /id (one
 * document per partition). A slot or place is taken by a conditional create or replace of its
 * document, so two instances racing for the last one cannot both get it.
 */
export class CosmosJobStore implements JobStore {
  constructor(private readonly container: Container) {}

  async create(draft: JobDraft): Promise<RegistryJob> {
    const { resource } = await this.container.items.create({
      id: draft.jobId,
      kind: 'job',
      createdTimeUtc: draft.createdTimeUtc,
      job: draft,
    });
    return toJob(resource);
  }

  async read(jobId: string): Promise<RegistryJob | null> {
    try {
      const { resource } = await this.container.item(jobId, jobId).read<ItemDefinition>();
      return resource ? toJob(resource) : null;
    } catch (error) {
      if (isCosmosNotFound(error)) return null;
      throw translateCosmosError(error, {});
    }
  }

  async list(max: number): Promise<RegistryJob[]> {
    const { resources } = await this.container.items
      .query<ItemDefinition>(
        `SELECT TOP ${Math.max(1, Math.floor(max))} * FROM c WHERE c.kind = 'job' ORDER BY c.createdTimeUtc DESC`,
        { maxItemCount: max },
      )
      .fetchAll();
    return resources.map(toJob);
  }

  async replace(draft: JobDraft, etag: string): Promise<RegistryJob> {
    try {
      const { resource } = await this.container
        .item(draft.jobId, draft.jobId)
        .replace(
          { id: draft.jobId, kind: 'job', createdTimeUtc: draft.createdTimeUtc, job: draft },
          { accessCondition: { type: 'IfMatch', condition: toCosmosEtag(etag) } },
        );
      return toJob(resource);
    } catch (error) {
      throw translateCosmosError(error, {
        notFound: ['JobNotFound', `Job '${draft.jobId}' does not exist`],
        preconditionFailed: ['PreconditionFailed', `Job '${draft.jobId}' was changed meanwhile`],
      });
    }
  }

  async claimSlot(jobId: string, slots: number, until: Date, now: Date): Promise<number | null> {
    const held = new Map<number, z.infer<typeof slotDocument>>();
    const { resources } = await this.container.items
      .query<ItemDefinition>("SELECT * FROM c WHERE c.kind = 'slot'")
      .fetchAll();
    for (const r of resources) {
      const slot = slotDocument.parse(r);
      held.set(Number(slot.id.slice('slot-'.length)), slot);
    }
    // The job's own slot first (a renewal), then free ones, then expired leases.
    const order = [...Array(slots).keys()].sort(
      (a, b) => rank(held.get(a), jobId, now) - rank(held.get(b), jobId, now),
    );
    for (const index of order) {
      const current = held.get(index);
      const doc = { id: `slot-${index}`, kind: 'slot', jobId, until: until.toISOString() };
      try {
        if (!current) await this.container.items.create(doc);
        else if (current.jobId === jobId || new Date(current.until) <= now)
          await this.container
            .item(doc.id, doc.id)
            .replace(doc, { accessCondition: { type: 'IfMatch', condition: current._etag } });
        else continue;
        return index;
      } catch (error) {
        // Another instance took it first: try the next one.
        if (statusOf(error) === 409 || statusOf(error) === 412) continue;
        throw error;
      }
    }
    return null;
  }

  async releaseSlot(slot: number, jobId: string): Promise<void> {
    const id = `slot-${slot}`;
    try {
      const { resource } = await this.container.item(id, id).read<ItemDefinition>();
      if (!resource) return;
      const current = slotDocument.parse(resource);
      if (current.jobId !== jobId) return;
      await this.container
        .item(id, id)
        .delete({ accessCondition: { type: 'IfMatch', condition: current._etag } });
    } catch (error) {
      // Gone, or taken over after our lease ran out: either way it is not ours any more.
      if (isCosmosNotFound(error) || statusOf(error) === 412) return;
      throw error;
    }
  }

  async reserveActive(
    jobId: string,
    places: number,
    now: Date,
    unstoredSeconds: number,
  ): Promise<boolean> {
    const held = new Map<string, z.infer<typeof placeDocument>>();
    for (const r of await this.places()) held.set(r.id, r);
    for (let index = 0; index < places; index++) {
      const doc = { id: `active-${index}`, kind: 'active', jobId, since: now.toISOString() };
      const current = held.get(doc.id);
      try {
        if (current && !(await this.placeIsFree(current, now, unstoredSeconds))) continue;
        try {
          if (!current) await this.container.items.create(doc);
          else
            await this.container
              .item(doc.id, doc.id)
              .replace(doc, { accessCondition: { type: 'IfMatch', condition: current._etag } });
        } catch (error) {
          // Its ended job released it meanwhile: it is free, take it as new.
          if (!isCosmosNotFound(error)) throw error;
          await this.container.items.create(doc);
        }
        return true;
      } catch (error) {
        // Another creator took it first: try the next one.
        if (statusOf(error) === 409 || statusOf(error) === 412) continue;
        throw error;
      }
    }
    return false;
  }

  async releaseActive(jobId: string): Promise<void> {
    for (const place of await this.places()) {
      if (place.jobId !== jobId) continue;
      try {
        await this.container
          .item(place.id, place.id)
          .delete({ accessCondition: { type: 'IfMatch', condition: place._etag } });
      } catch (error) {
        // Gone, or already taken by the next job: either way it is not ours any more.
        if (!isCosmosNotFound(error) && statusOf(error) !== 412) throw error;
      }
    }
  }

  private async places() {
    const { resources } = await this.container.items
      .query<ItemDefinition>("SELECT * FROM c WHERE c.kind = 'active'")
      .fetchAll();
    return resources.map((r) => placeDocument.parse(r));
  }

  /** The place's job has ended (its release may have been lost), or was never stored. */
  private async placeIsFree(
    place: z.infer<typeof placeDocument>,
    now: Date,
    unstoredSeconds: number,
  ): Promise<boolean> {
    const job = await this.read(place.jobId);
    if (job) return isTerminal(job.status);
    return now.getTime() - new Date(place.since).getTime() > unstoredSeconds * 1000;
  }
}

const rank = (slot: { jobId: string; until: string } | undefined, jobId: string, now: Date) =>
  slot?.jobId === jobId ? 0 : !slot ? 1 : new Date(slot.until) <= now ? 2 : 3;

function toJob(resource: ItemDefinition | undefined): RegistryJob {
  const doc = jobDocument.parse(resource);
  return { ...doc.job, etag: toWireEtag(doc._etag) };
}
