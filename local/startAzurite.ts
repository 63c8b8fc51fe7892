import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { forwardLines, killAndWait, waitForExit } from '../standins/childProcesses';

/** Azurite's fixed development account; every Azure SDK knows these values. */
const ACCOUNT_NAME = 'devstoreaccount1';
const ACCOUNT_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

const STARTUP_DEADLINE_MS = 60_000;
const STOP_GRACE_MS = 5_000;
const OUTPUT_TAIL_LINES = 30;

type Service = 'blob' | 'queue' | 'table';
const SERVICES: readonly Service[] = ['blob', 'queue', 'table'];

/** The child's entry (`azuriteChild.ts`), compiled beside this file or in the build. */
function azuriteChildEntry(): string {
  const beside = join(__dirname, 'azuriteChild.js');
  if (existsSync(beside)) return beside;
  return join(resolvePath(__dirname, '..'), 'dist', 'local', 'azuriteChild.js');
}

export interface AzuriteInstance {
  blobEndpoint: string;
  queueEndpoint: string;
  tableEndpoint: string;
  connectionString: string;
  accountName: string;
  accountKey: string;
  /** The ports it listens on, to start it again on the same ones. */
  ports: { blob: number; queue: number; table: number };
  /** Resolves when the process is gone, whether stopped, killed or crashed. */
  exited: Promise<void>;
  stop(): Promise<void>;
  /** SIGKILL, as a crash: what it had not saved is lost. */
  kill(): Promise<void>;
}

export interface StartAzuriteOptions {
  /** Folder for Azurite's data (created if missing); data survives a restart. */
  location?: string;
  /** Keep everything in memory; exclusive with `location`. */
  inMemory?: boolean;
  /** 0 or absent = a free port; Azurite reports the port it got. */
  ports?: { blob?: number; queue?: number; table?: number };
  log?: (line: string) => void;
}

/**
 * Starts Azurite (Blob, Queue, Table) as a child process on 127.0.0.1 and resolves once all three
 * services are listening. Port 0 works with Azurite 3.35: the "successfully listening at" lines
 * carry the real ports, so they are parsed from its stdout.
 */
export async function startAzurite(options: StartAzuriteOptions): Promise<AzuriteInstance> {
  const { location, inMemory = false, ports = {}, log } = options;
  if (inMemory && location !== undefined) {
    throw new Error('startAzurite: give either location or inMemory, not both');
  }
  if (!inMemory && location === undefined) {
    throw new Error('startAzurite: give a location folder or inMemory: true');
  }

  const args: string[] = [];
  for (const service of SERVICES) {
    args.push(`--${service}Host`, '127.0.0.1', `--${service}Port`, String(ports[service] ?? 0));
  }
  if (location !== undefined) {
    const dir = resolvePath(location);
    await mkdir(dir, { recursive: true });
    args.push('--location', dir);
  } else {
    args.push('--inMemoryPersistence');
  }
  // --skipApiVersionCheck: newer SDKs send API versions Azurite 3.35 rejects otherwise.
  args.push('--silent', '--disableTelemetry', '--skipApiVersionCheck', '--loose');

  const child = spawn(process.execPath, [azuriteChildEntry(), azuriteCliPath(), ...args], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    windowsHide: true,
  });
  const exited = waitForExit(child);

  const outputTail: string[] = [];
  const found = new Map<Service, number>();
  let onServiceListening: (() => void) | undefined;
  const onLine = (line: string): void => {
    outputTail.push(line);
    if (outputTail.length > OUTPUT_TAIL_LINES) outputTail.shift();
    log?.(`[azurite] ${line}`);
    const match = /Azurite (Blob|Queue|Table) service is successfully listening at \S+:(\d+)/.exec(
      line,
    );
    if (match?.[1] && match[2]) {
      found.set(match[1].toLowerCase() as Service, Number(match[2]));
      onServiceListening?.();
    }
  };
  forwardLines(child.stdout, onLine);
  forwardLines(child.stderr, onLine);

  try {
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (err?: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        onServiceListening = undefined;
        if (err) reject(err);
        else resolve();
      };
      const fail = (reason: string): void => {
        const output = outputTail.join('\n');
        settle(new Error(`Azurite failed to start: ${reason}${output ? `\n${output}` : ''}`));
      };
      const timer = setTimeout(
        () => fail(`not all services listening after ${STARTUP_DEADLINE_MS} ms`),
        STARTUP_DEADLINE_MS,
      );
      onServiceListening = () => {
        if (found.size === SERVICES.length) settle();
      };
      child.once('error', (err) => fail(err.message));
      // 'close' (not 'exit') so the output explaining the failure has been read by then.
      child.once('close', (code, signal) =>
        fail(`process exited early (code ${code}, signal ${signal})`),
      );
    });
  } catch (err) {
    await killAndWait(child, exited, STOP_GRACE_MS);
    throw err;
  }

  const endpoint = (service: Service): string =>
    `http://127.0.0.1:${found.get(service)}/${ACCOUNT_NAME}`;
  const blobEndpoint = endpoint('blob');
  const queueEndpoint = endpoint('queue');
  const tableEndpoint = endpoint('table');
  let stopping: Promise<void> | undefined;
  return {
    blobEndpoint,
    queueEndpoint,
    tableEndpoint,
    connectionString:
      `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT_NAME};AccountKey=${ACCOUNT_KEY};` +
      `BlobEndpoint=${blobEndpoint};QueueEndpoint=${queueEndpoint};TableEndpoint=${tableEndpoint};`,
    accountName: ACCOUNT_NAME,
    accountKey: ACCOUNT_KEY,
    ports: {
      blob: found.get('blob') ?? 0,
      queue: found.get('queue') ?? 0,
      table: found.get('table') ?? 0,
    },
    exited,
    stop: () => (stopping ??= killAndWait(child, exited, STOP_GRACE_MS)),
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** `require('azurite')` loads its VS Code extension, so go through package.json's bin entry. */
function azuriteCliPath(): string {
  const packageJsonPath = require.resolve('azurite/package.json');
  const packageJson = JSON.parse(readFileSync(packageJsonPath, 'utf8')) as {
    bin?: Record<string, string>;
  };
  const bin = packageJson.bin?.['azurite'];
  if (!bin) throw new Error(`startAzurite: no "azurite" bin in ${packageJsonPath}`);
  return join(dirname(packageJsonPath), bin);
}
