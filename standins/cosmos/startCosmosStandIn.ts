import { standInEntry, startStandInProcess } from '../startStandInProcess';

/** The fixed key of the Cosmos DB emulator; the stand-in accepts any key, clients still need one. */
const EMULATOR_KEY =
  'C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==';

export interface CosmosStandIn {
  endpoint: string;
  key: string;
  port: number;
  /** Resolves when the process is gone, whether stopped, killed or crashed. */
  exited: Promise<void>;
  stop(): Promise<void>;
  /** SIGKILL, as a crash: nothing is flushed or closed. */
  kill(): Promise<void>;
}

/**
 * Starts the Cosmos DB stand-in (plain HTTP, keep-alive) on 127.0.0.1 and the given port
 * (0 = a free one). With a `dataDir`, everything it acknowledges survives a kill and a restart
 * on the same directory.
 */
export async function startCosmosStandIn(options?: {
  port?: number;
  dataDir?: string;
  log?: (line: string) => void;
}): Promise<CosmosStandIn> {
  const child = await startStandInProcess(
    'Cosmos stand-in',
    standInEntry('cosmos', __dirname),
    [String(options?.port ?? 0), options?.dataDir ?? ''],
    options?.log,
  );
  return {
    endpoint: `http://127.0.0.1:${child.port}`,
    key: EMULATOR_KEY,
    port: child.port,
    exited: child.exited,
    stop: () => child.stop(),
    kill: () => child.kill(),
  };
}
