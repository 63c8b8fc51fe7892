import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdirSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import Account from '@vercel/cosmosdb-server/lib/account';
import routes from '@vercel/cosmosdb-server/lib/routes';
import json = require('@vercel/cosmosdb-server/lib/json');
import './queryEngine';
import { liveRecords, persistence, replay } from './durableItems';
import { Journal, journalFiles, loadJournal } from './Journal';
import { runBatch } from './batchHandler';
import { readChangeFeed } from './changeFeed';
import { sweepExpired } from './ttlSweep';

export interface StandInOptions {
  /** Where the journal and snapshot live; without it everything is in memory only. */
  dataDir?: string | undefined;
  log: (line: string) => void;
  /** Compact once the journal is this big and twice the last snapshot. */
  compactBytes?: number;
}

type Handler = (
  account: Account,
  req: IncomingMessage,
  res: ServerResponse,
  params: Record<string, string>,
) => Promise<unknown>;

const DOCS = /^\/dbs\/([^/]+)\/colls\/([^/]+)\/docs\/?$/;

/**
 * A Cosmos DB stand-in: @vercel/cosmosdb-server's protocol and query engine over a store that
 * journals every change before it answers, with atomic transactional batches, the change feed
 * and TTL, which that server lacks.
 */
export class CosmosStandInServer {
  readonly server: Server;
  private account: Account;
  private journal: Journal | null = null;
  private timers: NodeJS.Timeout[] = [];
  private snapshotBytes = 0;

  constructor(private readonly options: StandInOptions) {
    this.account = this.load();
    this.server = createServer({ keepAlive: true }, (req, res) => void this.handle(req, res));
    this.timers.push(setInterval(() => this.expire(), 1000).unref());
    this.timers.push(setInterval(() => this.maybeCompact(), 5000).unref());
  }

  close(): void {
    for (const t of this.timers) clearInterval(t);
    this.journal?.close();
    this.server.close();
  }

  /** Rebuilds the state from disk (start-up, and after the disk refused a write). */
  private load(): Account {
    const account = new Account('127.0.0.1', 0);
    const { dataDir } = this.options;
    if (!dataDir) {
      replay(account, []);
      return account;
    }
    mkdirSync(dataDir, { recursive: true });
    const files = journalFiles(dataDir);
    this.journal?.close();
    this.journal = null;
    persistence.sink = null;
    replay(account, loadJournal(files, this.options.log));
    this.journal = new Journal(files, (error) => this.failed(error));
    // Start from a snapshot of the live state, so the next start reads no history.
    if (this.journal.size > 0) this.compact(account);
    persistence.sink = (record) => this.journal?.append(record);
    return account;
  }

  private failed(error: Error): void {
    this.options.log(`The journal refused a write (${error.message}); reloading what is on disk`);
    this.account = this.load();
  }

  private compact(account: Account): void {
    if (!this.journal) return;
    const started = Date.now();
    let count = 0;
    const counting = (function* (records: Iterable<Record<string, unknown>>) {
      for (const r of records) {
        count++;
        yield r;
      }
    })(liveRecords(account));
    this.journal.compact(counting);
    this.snapshotBytes = count * 700;
    this.options.log(
      `Compacted the journal into a snapshot of ${count} records in ${Date.now() - started} ms`,
    );
  }

  private maybeCompact(): void {
    const limit = this.options.compactBytes ?? 64 << 20;
    if (this.journal && this.journal.size > limit && this.journal.size > 2 * this.snapshotBytes)
      this.compact(this.account);
  }

  private expire(): void {
    try {
      sweepExpired(this.account, Math.floor(Date.now() / 1000));
    } catch (error) {
      this.options.log(`TTL sweep failed: ${String(error)}`);
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body: unknown;
    try {
      body = await this.route(req, res);
      // Nothing is answered before what it changed, or may have seen, is on disk.
      await this.journal?.durable();
    } catch (error) {
      const disk = (error as NodeJS.ErrnoException).code;
      res.statusCode = disk ? 503 : 500;
      body = {
        code: disk ? 'ServiceUnavailable' : 'InternalServerError',
        message: disk
          ? `The stand-in could not write its journal (disk full?): ${(error as Error).message}`
          : (error as Error).message,
      };
    }
    const b = body as { _etag?: string } | undefined;
    if (b?._etag && !res.hasHeader('etag')) res.setHeader('etag', b._etag);
    res.setHeader('content-type', 'application/json');
    res.setHeader('x-ms-activity-id', randomUUID());
    res.setHeader('x-ms-request-charge', '1');
    res.setHeader('x-ms-session-token', '0:1');
    res.end(body === undefined ? '' : JSON.stringify(body));
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<unknown> {
    const path = (req.url ?? '').split('?')[0] ?? '';
    const docs = DOCS.exec(path);
    const flag = (name: string) => String(req.headers[name] ?? '').toLowerCase() === 'true';
    if (
      docs &&
      req.method === 'POST' &&
      flag('x-ms-cosmos-is-batch-request') &&
      flag('x-ms-cosmos-batch-atomic')
    ) {
      const payload = await json.default(req);
      return runBatch(
        this.account,
        decodeURIComponent(docs[1]!),
        decodeURIComponent(docs[2]!),
        req,
        payload,
        res,
      );
    }
    if (docs && req.method === 'GET' && req.headers['a-im'])
      return readChangeFeed(
        this.account,
        decodeURIComponent(docs[1]!),
        decodeURIComponent(docs[2]!),
        req,
        res,
      );
    const route = (
      routes as unknown as (r: IncomingMessage) => [Record<string, string>, Handler] | null
    )(req);
    if (!route) {
      res.statusCode = 400;
      return { code: 'BadRequest', message: `No route for ${req.method} ${path}` };
    }
    const [params, handler] = route;
    const body = (await handler(this.account, req, res, params)) as
      { message?: string } | undefined;
    if (res.statusCode > 399 && body && !body.message) body.message = '';
    return body;
  }
}
