import { describe, expect, it } from 'vitest';
import { freshCosmosContainer } from '../support/cosmosContainer';

/** What the embedded stand-in's query engine is made to do as Cosmos DB does (see startCosmosStandIn). */
describe('Cosmos stand-in queries', () => {
  it('reads only the partition a query names, before and after replaces and deletes', async () => {
    const container = await freshCosmosContainer();
    for (const deviceId of ['p-a', 'p-b'])
      for (const id of ['device', 'module.1', 'module.2'])
        await container.items.create({ id, deviceId, kind: id.split('.')[0] });
    await container.item('module.2', 'p-a').delete();
    const { resource } = await container.item('module.1', 'p-a').read<{ kind: string }>();
    await container.item('module.1', 'p-a').replace({ ...resource, kind: 'module', changed: true });

    const inA = await container.items
      .query<{ id: string; deviceId: string }>('SELECT * FROM c', { partitionKey: 'p-a' })
      .fetchAll();
    expect(inA.resources.map((r) => `${r.deviceId}/${r.id}`).sort()).toEqual([
      'p-a/device',
      'p-a/module.1',
    ]);
    const everywhere = await container.items.query('SELECT * FROM c').fetchAll();
    expect(everywhere.resources).toHaveLength(5);
  });

  it('pages through every document once, in order, with a fresh page each time', async () => {
    const container = await freshCosmosContainer();
    const count = 3000;
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < count) {
          const i = next++;
          await container.items.create({ id: 'device', deviceId: `d${i}` });
        }
      }),
    );
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await container.items
        .query<{ deviceId: string }>('SELECT * FROM c ORDER BY c.deviceId', {
          maxItemCount: 500,
          ...(token ? { continuationToken: token } : {}),
        })
        .fetchNext();
      for (const r of page.resources) seen.push(r.deviceId);
      token = page.hasMoreResults ? page.continuationToken : undefined;
    } while (token);
    expect(new Set(seen).size).toBe(count);
    expect(seen).toHaveLength(count);
    expect(seen).toEqual([...seen].sort());
  });

  it('ends a query page at 4 MB of results, as Cosmos DB does, and pages on from there', async () => {
    const container = await freshCosmosContainer();
    const big = 'x'.repeat(100 * 1024);
    for (let i = 0; i < 60; i++)
      await container.items.create({ id: 'device', deviceId: `big${i}`, big });
    const seen: string[] = [];
    const sizes: number[] = [];
    let token: string | undefined;
    do {
      const page = await container.items
        .query<{ deviceId: string }>('SELECT * FROM c', {
          maxItemCount: 1000,
          ...(token ? { continuationToken: token } : {}),
        })
        .fetchNext();
      sizes.push(page.resources.length);
      for (const r of page.resources) seen.push(r.deviceId);
      token = page.hasMoreResults ? page.continuationToken : undefined;
    } while (token);
    // 100 KB each: 40 fit in 4 MB.
    expect(sizes[0]).toBe(40);
    expect(seen.sort()).toEqual(Array.from({ length: 60 }, (_, i) => `big${i}`).sort());
  });
});
