import { ChangeFeedStartFrom, CosmosClient, type Container } from '@azure/cosmos';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CosmosStandInServer } from '../CosmosStandInServer';
import { Journal, journalFiles } from '../Journal';
import { startCosmosStandIn, type CosmosStandIn } from '../startCosmosStandIn';

const client = (s: { endpoint: string; key: string }) =>
  new CosmosClient({
    endpoint: s.endpoint,
    key: s.key,
    connectionPolicy: { enableEndpointDiscovery: false },
  });

async function container(
  s: { endpoint: string; key: string },
  defaultTtl?: number,
): Promise<Container> {
  const { database } = await client(s).databases.createIfNotExists({ id: 'db' });
  const { container: c } = await database.containers.createIfNotExists({
    id: defaultTtl === undefined ? 'items' : 'expiring',
    partitionKey: { paths: ['/pk'] },
    ...(defaultTtl === undefined ? {} : { defaultTtl }),
  });
  return c;
}

async function until<T>(check: () => Promise<T | undefined>, what: string): Promise<T> {
  const end = Date.now() + 15_000;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the durable Cosmos DB stand-in', () => {
  const dirs: string[] = [];
  const running: CosmosStandIn[] = [];
  const dataDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'cosmos-standin-'));
    dirs.push(d);
    return d;
  };
  const start = async (dir: string) => {
    const s = await startCosmosStandIn({ dataDir: dir });
    running.push(s);
    return s;
  };
  afterAll(async () => {
    for (const s of running) await s.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('keeps every acknowledged write, with its _etag, _rid and _ts, across SIGKILL', async () => {
    const dir = dataDir();
    const first = await start(dir);
    const items = await container(first);
    type Doc = {
      id: string;
      pk: string;
      n: number | string;
      _etag?: string;
      _rid?: string;
      _ts?: number;
    };
    const acknowledged = new Map<string, Doc>();
    // A replace under way when the process died may or may not have been stored.
    const unanswered = new Map<string, number>();
    let killed = false;
    const writers = Array.from({ length: 16 }, async (_, w) => {
      for (let i = 0; !killed; i++) {
        try {
          const { resource } = await items.items.create({ id: `w${w}-${i}`, pk: `p${w}`, n: i });
          acknowledged.set(resource!.id, resource!);
          if (i % 3 === 0) {
            unanswered.set(resource!.id, -i);
            const { resource: replaced } = await items
              .item(resource!.id, `p${w}`)
              .replace<Doc>(
                { id: resource!.id, pk: `p${w}`, n: -i },
                { accessCondition: { type: 'IfMatch', condition: resource!._etag } },
              );
            acknowledged.set(replaced!.id, replaced!);
            unanswered.delete(replaced!.id);
          }
        } catch {
          // the connection died with the stand-in
        }
      }
    });
    await until(() => Promise.resolve(acknowledged.size >= 300 ? true : undefined), 'writes');
    await first.kill();
    killed = true;
    await Promise.all(writers);

    const second = await start(dir);
    const again = await container(second);
    for (const [id, doc] of acknowledged) {
      const { resource } = await again.item(id, doc.pk).read<Doc>();
      if (unanswered.has(id) && resource?.n === unanswered.get(id)) continue;
      expect(resource, id).toMatchObject({
        n: doc.n,
        _etag: doc._etag,
        _rid: doc._rid,
        _ts: doc._ts,
      });
    }
    // An etag a client held before the crash still works.
    const [id, doc] = [...acknowledged].find(([key]) => !unanswered.has(key))!;
    await again.item(id, doc.pk).replace(
      { id, pk: doc.pk, n: 'after' },
      {
        accessCondition: { type: 'IfMatch', condition: doc._etag as string },
      },
    );
  }, 60_000);

  it('serves the change feed in write order, newest version once, from a continuation', async () => {
    const s = await start(dataDir());
    const items = await container(s);
    await items.items.create({ id: 'a', pk: 'x', v: 1 });
    await items.items.create({ id: 'b', pk: 'y', v: 1 });
    await items.items.upsert({ id: 'a', pk: 'x', v: 2 });
    const feed = items.items.getChangeFeedIterator<{ id: string; v: number }>({
      changeFeedStartFrom: ChangeFeedStartFrom.Beginning(),
    });
    const first = await feed.readNext();
    expect(first.result.map((d) => `${d.id}${d.v}`)).toEqual(['b1', 'a2']);
    expect((await feed.readNext()).statusCode).toBe(304);
    await items.items.create({ id: 'c', pk: 'x', v: 1 });
    const resumed = items.items.getChangeFeedIterator<{ id: string }>({
      changeFeedStartFrom: ChangeFeedStartFrom.Continuation(first.continuationToken),
    });
    expect((await resumed.readNext()).result.map((d) => d.id)).toEqual(['c']);
  });

  it('applies patches in a transactional batch, and undoes them when the batch fails', async () => {
    const dir = dataDir();
    const s = await start(dir);
    const items = await container(s);
    await items.items.create({ id: 'twin', pk: 'p', status: 'enabled', tags: { a: 1 } });
    const ok = await items.items.batch(
      [
        { operationType: 'Create', resourceBody: { id: 'other', pk: 'p' } },
        {
          operationType: 'Patch',
          id: 'twin',
          resourceBody: { operations: [{ op: 'set', path: '/status', value: 'disabled' }] },
        },
      ],
      'p',
    );
    expect(ok.result?.map((r) => r.statusCode)).toEqual([201, 200]);
    const failed = await items.items.batch(
      [
        {
          operationType: 'Patch',
          id: 'twin',
          resourceBody: [{ op: 'set', path: '/status', value: 'enabled' }],
        },
        { operationType: 'Patch', id: 'missing', resourceBody: [{ op: 'remove', path: '/x' }] },
      ],
      'p',
    );
    expect(failed.result?.map((r) => r.statusCode)).toEqual([424, 404]);
    await s.stop();
    const again = await start(dir);
    const { resource } = await (await container(again)).item('twin', 'p').read();
    expect(resource).toMatchObject({ status: 'disabled', tags: { a: 1 } });
  });

  it('expires items by their ttl and the container default', async () => {
    const s = await start(dataDir());
    const items = await container(s, -1);
    await items.items.create({ id: 'short', pk: 'x', ttl: 1 });
    await items.items.create({ id: 'forever', pk: 'x' });
    await until(async () => {
      const { resources } = await items.items.query('SELECT c.id FROM c').fetchAll();
      return resources.length === 1 ? resources : undefined;
    }, 'the short-lived item to expire');
    expect((await items.item('forever', 'x').read()).resource).toBeDefined();
  });

  it('answers 503 and keeps nothing when the disk refuses a write', async () => {
    const dir = dataDir();
    const server = new CosmosStandInServer({ dataDir: dir, log: () => undefined });
    await new Promise<void>((r) => server.server.listen(0, '127.0.0.1', r));
    const address = server.server.address() as { port: number };
    const s = {
      endpoint: `http://127.0.0.1:${address.port}`,
      key: 'C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==',
    };
    try {
      const items = await container(s);
      await items.items.create({ id: 'kept', pk: 'x' });
      const internals = server as unknown as { journal: Journal; failed(e: Error): void };
      internals.journal.close();
      // A disk that is full from now on: /dev/full refuses every write with ENOSPC.
      internals.journal = new Journal({ ...journalFiles(dir), journal: '/dev/full' }, (e) =>
        internals.failed(e),
      );
      const refused = await items.items.create({ id: 'lost', pk: 'x' }).then(
        () => 0,
        (e: { code?: number; message?: string }) => e.code,
      );
      expect(refused).toBe(503);
      expect((await items.item('lost', 'x').read()).statusCode).toBe(404);
      expect((await items.item('kept', 'x').read()).statusCode).toBe(200);
      // The stand-in reloaded what is on disk and writes again.
      await items.items.create({ id: 'later', pk: 'x' });
    } finally {
      server.close();
    }
  });
});
