import { parsePolicies } from '../adapters/policies/parsePolicies';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sign } from '../domain/auth/signatureMatches';
import { parseSettings } from '../config/Settings';
import { readLocalSettings } from './readLocalSettings';
import { hubHostName } from '../config/hubHostName';

const USAGE = `Prints an Authorization header value for the registry.

  npm run -s sas -- [policy] [--ttl SECONDS] [--host HOST]

policy   a shared access policy (default iothubowner) from DATA_DIR/policies.json
         or SHARED_ACCESS_POLICIES
--ttl    lifetime in seconds (default 3600)
--host   the host name the token is for (default IOTHUB_HOST_NAME, WEBSITE_HOSTNAME or localhost)`;

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
  const source =
    settings.SHARED_ACCESS_POLICIES ??
    readFileSync(join(settings.DATA_DIR, 'policies.json'), 'utf8');
  const policy = parsePolicies(source, 'the shared access policies').get(name);
  if (!policy) throw new Error(`No policy named '${name}'`);
  const se = Math.floor(Date.now() / 1000) + ttl;
  const sig = encodeURIComponent(sign(policy.primaryKey, host, se));
  console.log(
    `SharedAccessSignature sr=${host}&sig=${sig}&se=${se}&skn=${encodeURIComponent(name)}`,
  );
}

try {
  main(process.argv.slice(2));
} catch (error) {
  const message =
    (error as NodeJS.ErrnoException).code === 'ENOENT'
      ? 'No policies yet: run `npm start` once first'
      : (error as Error).message;
  console.error(`sas: ${message}`);
  process.exit(2);
}
