import { parsePolicies } from '../src/adapters/policies/parsePolicies';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { sign } from '../src/domain/auth/signatureMatches';
import { parseSettings } from '../src/config/Settings';
import { readLocalSettings } from './readLocalSettings';
import { hubHostName } from '../src/config/hubHostName';

const USAGE = `Prints an Authorization header value (a service SAS token) for the registry.

  npm run -s sas -- [policy] [--ttl SECONDS] [--host HOST]

  export SAS="$(npm run -s sas)"
  curl -H "authorization: $SAS" "http://localhost:7071/devices?api-version=2021-04-12"

policy   a shared access policy (default iothubowner): from SHARED_ACCESS_POLICIES when set,
         else from DATA_DIR/policies.json (DATA_DIR default .data), which \`npm start\` creates
--ttl    lifetime in seconds (default 3600)
--host   the host name the token is for (default IOTHUB_HOST_NAME, WEBSITE_HOSTNAME or localhost)

For a device's token, or a policy's connection string: npx iot-registry sas|policy --help`;

/** The policies the local host uses, and where they came from (for messages). */
function readPolicies(settings: ReturnType<typeof parseSettings>) {
  if (settings.SHARED_ACCESS_POLICIES)
    return {
      source: 'SHARED_ACCESS_POLICIES',
      policies: parsePolicies(settings.SHARED_ACCESS_POLICIES, 'SHARED_ACCESS_POLICIES'),
    };
  const file = resolve(settings.DATA_DIR, 'policies.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new Error(
      `No policies at ${file}: run \`npm start\` once (it creates them there), or set ` +
        'DATA_DIR to the data folder `npm start` uses (default .data, in the folder you run it from)',
    );
  }
  return { source: file, policies: parsePolicies(text, file) };
}

function main(args: string[]): void {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(USAGE);
    return;
  }
  const option = (name: string) => {
    const i = args.indexOf(name);
    if (i < 0) return undefined;
    const value = args[i + 1];
    args.splice(i, 2);
    if (value === undefined) throw new Error(`${name} needs a value`);
    return value;
  };
  const settings = parseSettings(readLocalSettings());
  const ttl = Number(option('--ttl') ?? '3600');
  if (!Number.isInteger(ttl) || ttl <= 0)
    throw new Error('--ttl must be a positive whole number of seconds');
  const host = option('--host') ?? hubHostName(settings);
  const name = args[0] ?? 'iothubowner';
  const { source, policies } = readPolicies(settings);
  const policy = policies.get(name);
  if (!policy)
    throw new Error(
      `No policy named '${name}' in ${source} (it has ${[...policies.keys()].join(', ')})`,
    );
  const se = Math.floor(Date.now() / 1000) + ttl;
  const sig = encodeURIComponent(sign(policy.primaryKey, host, se));
  console.log(
    `SharedAccessSignature sr=${host}&sig=${sig}&se=${se}&skn=${encodeURIComponent(name)}`,
  );
}

try {
  main(process.argv.slice(2));
} catch (error) {
  console.error(`sas: ${(error as Error).message}`);
  console.error('(npm run -s sas -- --help for usage)');
  process.exit(2);
}
