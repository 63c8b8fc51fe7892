import { spawn, type ChildProcess } from 'node:child_process';
import { forwardLines, killAndWait, waitForExit } from './childProcesses';

/** The fixed key of the Cosmos DB emulator; the stand-in accepts any key, clients still need one. */
const EMULATOR_KEY =
  'C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==';

const STARTUP_DEADLINE_MS = 30_000;
const STOP_GRACE_MS = 5_000;
const STDERR_TAIL_LINES = 20;

/**
 * Runs in the child. Inline (not a .ts/.js file) so it works under vitest from src/ and from the
 * tsc output alike: tsc does not copy .js files and the child has no TypeScript loader.
 * argv: [node, modulePath, transformerPath, port]. Exits when the IPC channel closes, i.e. when
 * the parent dies.
 *
 * The query engine (@zeit/cosmosdb-query) compiles every query into a reduce whose accumulator is
 * copied per document (`[...$, doc]`), so each query costs O(n²) in the container's size: one
 * page of a 20,000-document container took 6 s, 100,000 would take minutes. The generated syntax
 * tree is rewritten to append in place (`($.push(doc), $)`); the accumulator always starts as a
 * fresh `[]`, so the result is the same.
 *
 * It also ignores the partition key of a query and scans every document, where Cosmos DB reads
 * one partition: a module create (which counts the device's modules) cost a scan of the whole
 * registry. Documents are indexed by partition, and a query that names one runs over it alone.
 * The SDK's query-plan request before each query (which the stand-in answered by running the
 * whole query) now runs over no documents.
 */
const CHILD_SCRIPT = `
'use strict';
const [, modulePath, transformerPath, port] = process.argv;
process.on('disconnect', () => process.exit(0));
const transformer = require(transformerPath);
const transform = transformer.default;
const appendInPlace = (node) => {
  if (!node || typeof node !== 'object') return node;
  for (const key of Object.keys(node)) {
    const value = node[key];
    if (Array.isArray(value)) node[key] = value.map(appendInPlace);
    else if (value && typeof value === 'object') node[key] = appendInPlace(value);
  }
  const [first, ...rest] = node.type === 'ArrayExpression' ? node.elements : [];
  if (first && first.type === 'SpreadElement' && first.argument.type === 'Identifier' && first.argument.name === '$') {
    const acc = { type: 'Identifier', name: '$' };
    return {
      type: 'SequenceExpression',
      expressions: [
        { type: 'CallExpression', callee: { type: 'MemberExpression', object: acc, property: { type: 'Identifier', name: 'push' }, computed: false }, arguments: rest },
        acc,
      ],
    };
  }
  return node;
};
transformer.default = (ast) => appendInPlace(transform(ast));

const path = require('path');
const lib = path.dirname(modulePath);
const Items = require(path.join(lib, 'account', 'items.js')).default;
const partitionOf = (items, data) => JSON.stringify([items._getPartition(data)]);
const set = Items.prototype._set;
Items.prototype._set = function (data) {
  const result = set.call(this, data);
  if (!this._parts) this._parts = new Map();
  const key = partitionOf(this, data);
  if (!this._parts.has(key)) this._parts.set(key, new Set());
  this._parts.get(key).add(data._rid);
  return result;
};
const remove = Items.prototype.delete;
Items.prototype.delete = function (idOrRid, partition) {
  const data = this._item('/id', idOrRid, partition).read();
  remove.call(this, idOrRid, partition);
  const rids = data && this._parts && this._parts.get(partitionOf(this, data));
  if (rids) rids.delete(data._rid);
};
const query = Items.prototype.query;
Items.prototype.query = function (params, options) {
  const key = params && params.__partitionKey;
  if (key === undefined) return query.call(this, params, options);
  const all = this._data;
  const mine = new Map();
  for (const rid of (this._parts && this._parts.get(key)) || []) {
    if (all.has(rid)) mine.set(rid, all.get(rid));
  }
  // query() runs synchronously: no other request sees the narrowed map.
  this._data = mine;
  try {
    return query.call(this, params, options);
  } finally {
    this._data = all;
  }
};
const json = require(path.join(lib, 'json.js'));
const readJson = json.default;
json.default = async (req) => {
  const body = await readJson(req);
  const key = req.headers['x-ms-documentdb-partitionkey'];
  const isQuery = String(req.headers['x-ms-documentdb-isquery']).toLowerCase() === 'true';
  const isPlan =
    String(req.headers['x-ms-cosmos-is-query-plan-request']).toLowerCase() === 'true';
  if (!body || typeof body !== 'object') return body;
  // The SDK asks for a query plan before every query; the stand-in has none to give and
  // answered by running the whole query. Run it over no documents: the answer's shape is the same.
  if (isPlan) body.__partitionKey = '[]';
  else if (isQuery && key) body.__partitionKey = key;
  return body;
};
const { createHttpServer } = require(modulePath);
const server = createHttpServer({ keepAlive: true });
server.on('error', (err) => {
  const message = (err && err.message) || String(err);
  if (process.connected) process.send({ type: 'error', message }, () => process.exit(1));
  else process.exit(1);
});
server.listen(Number(port), '127.0.0.1', () => {
  process.send({ type: 'listening', port: server.address().port });
});
`;

export interface CosmosStandIn {
  endpoint: string;
  key: string;
  stop(): Promise<void>;
}

type ChildMessage = { type: 'listening'; port: number } | { type: 'error'; message: string };

/**
 * Starts @vercel/cosmosdb-server (plain HTTP, keep-alive) in its own process so it gets its own
 * CPU core, on 127.0.0.1 and the given port (0 = a free one, reported back over IPC).
 */
export async function startCosmosStandIn(options?: {
  port?: number;
  log?: (line: string) => void;
}): Promise<CosmosStandIn> {
  const port = options?.port ?? 0;
  const log = options?.log;
  // Resolved here so the child finds the package whatever its working directory is.
  const modulePath = require.resolve('@vercel/cosmosdb-server');
  const transformerPath = require.resolve('@zeit/cosmosdb-query/lib/transformer', {
    paths: [modulePath],
  });

  const child = spawn(
    process.execPath,
    ['-e', CHILD_SCRIPT, '--', modulePath, transformerPath, String(port)],
    {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      windowsHide: true,
    },
  );
  const exited = waitForExit(child);

  const stderrTail: string[] = [];
  forwardLines(child.stdout, (line) => log?.(`[cosmos] ${line}`));
  forwardLines(child.stderr, (line) => {
    stderrTail.push(line);
    if (stderrTail.length > STDERR_TAIL_LINES) stderrTail.shift();
    log?.(`[cosmos] ${line}`);
  });

  let realPort: number;
  try {
    realPort = await waitForListening(child, () => stderrTail.join('\n'));
  } catch (err) {
    await killAndWait(child, exited, STOP_GRACE_MS);
    throw err;
  }

  let stopping: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${realPort}`,
    key: EMULATOR_KEY,
    stop: () => (stopping ??= killAndWait(child, exited, STOP_GRACE_MS)),
  };
}

function waitForListening(child: ChildProcess, stderr: () => string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const fail = (reason: string): void => {
      cleanup();
      const details = stderr();
      reject(
        new Error(`Cosmos stand-in failed to start: ${reason}${details ? `\n${details}` : ''}`),
      );
    };
    const onMessage = (raw: unknown): void => {
      const message = raw as ChildMessage;
      if (message.type === 'listening') {
        cleanup();
        resolve(message.port);
      } else {
        fail(message.message);
      }
    };
    const onError = (err: Error): void => fail(err.message);
    const timer = setTimeout(
      () => fail(`not listening after ${STARTUP_DEADLINE_MS} ms`),
      STARTUP_DEADLINE_MS,
    );
    let settled = false;
    const cleanup = (): void => {
      settled = true;
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('error', onError);
    };
    child.on('message', onMessage);
    child.on('error', onError);
    // 'close' (not 'exit') so the stderr explaining the failure has been read by then.
    child.once('close', (code, signal) => {
      if (!settled) fail(`process exited early (code ${code}, signal ${signal})`);
    });
  });
}
