import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  AllowListDestinationGuard,
  isBlockedAddress,
} from '../../src/adapters/blob/AllowListDestinationGuard';
import {
  allowListEntry,
  hostBlobEndpoint,
  ownBlobEndpoint,
} from '../../src/adapters/blob/ownBlobEndpoint';
import { containerClient, SasJobBlobs } from '../../src/adapters/blob/SasJobBlobs';
import { parseSettings } from '../../src/config/Settings';
import { blobNameProblem } from '../../src/domain/jobs/blobNameProblem';
import { ownStorageAccount } from '../../src/domain/jobs/OwnStorageAccount';
import { RESERVED_CONTAINERS } from '../../src/domain/jobs/reservedContainers';
import { AnonymousCredential } from '@azure/storage-blob';
import {
  checkDestination,
  DEFAULT_STORAGE_HOSTS,
  parseAllowList,
} from '../../src/domain/jobs/StorageAllowList';

const sas = '?sv=2020-08-04&sig=x';

describe('the storage allow-list of jobs', () => {
  const allowed = parseAllowList(
    `${DEFAULT_STORAGE_HOSTS},http://127.0.0.1:10000,files.corp.example`,
  );

  it.each<[string, true | RegExp]>([
    ['https://acct.blob.core.windows.net/c', true],
    ['https://acct.blob.core.chinacloudapi.cn/c', true],
    ['http://acct.blob.core.windows.net/c', /must use https/],
    ['https://blob.core.windows.net/c', /not on the storage allow-list/],
    ['https://acct.blob.core.windows.net.evil.example/c', /not on the storage allow-list/],
    ['https://evilblob.core.windows.net/c', /not on the storage allow-list/],
    ['http://127.0.0.1:10000/devstoreaccount1/c', true],
    ['http://127.0.0.1:10001/devstoreaccount1/c', /'127\.0\.0\.1' is not on/],
    ['http://127.0.0.1:28999/steal', /not on the storage allow-list/],
    ['http://169.254.169.254/metadata', /not on the storage allow-list/],
    ['https://[::1]/c', /not on the storage allow-list/],
    ['https://10.0.0.5/c', /not on the storage allow-list/],
    ['https://files.corp.example/c', true],
    ['https://user:pw@files.corp.example/c', /user name or password/],
    ['ftp://acct.blob.core.windows.net/c', /must use https/],
  ])('%s → %s', (uri, expected) => {
    const result = checkDestination(`${uri}${sas}`, allowed);
    if (expected === true) expect(result.ok).toBe(true);
    else expect(result.ok ? 'allowed' : result.reason).toMatch(expected);
  });

  it('refuses names on a wildcard entry that resolve to internal addresses, at every check', async () => {
    const answers = new Map<string, string[]>([
      ['good.blob.core.windows.net', ['20.60.1.2']],
      ['loop.blob.core.windows.net', ['127.0.0.1']],
      ['meta.blob.core.windows.net', ['20.60.1.3', '169.254.169.254']],
      ['wire.blob.core.windows.net', ['168.63.129.16']],
      ['v6.blob.core.windows.net', ['fd00::1']],
      ['mapped.blob.core.windows.net', ['::ffff:10.1.2.3']],
    ]);
    const guard = new AllowListDestinationGuard(allowed, [], (host) =>
      answers.has(host)
        ? Promise.resolve(answers.get(host)!)
        : Promise.reject(new Error('NXDOMAIN')),
    );
    await expect(
      guard.check(`https://good.blob.core.windows.net/c${sas}`),
    ).resolves.toBeUndefined();
    for (const host of ['loop', 'meta', 'wire', 'v6', 'mapped'])
      await expect(guard.check(`https://${host}.blob.core.windows.net/c${sas}`)).rejects.toThrow(
        /loopback, private, link-local or metadata/,
      );
    await expect(guard.check(`https://none.blob.core.windows.net/c${sas}`)).rejects.toThrow(
      /does not resolve/,
    );
    // A DNS answer that changes after creation is caught when the worker checks again.
    answers.set('good.blob.core.windows.net', ['192.168.1.9']);
    await expect(guard.check(`https://good.blob.core.windows.net/c${sas}`)).rejects.toThrow(
      /192\.168\.1\.9/,
    );
    // An exact entry is the operator's explicit choice: not resolved, not refused.
    await expect(guard.check(`http://127.0.0.1:10000/acct/c${sas}`)).resolves.toBeUndefined();
  });

  it('classifies addresses', () => {
    for (const a of [
      '127.0.0.1',
      '10.1.1.1',
      '172.20.0.1',
      '192.168.0.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      '::',
      'fe80::1',
      'fc00::1',
      '::ffff:127.0.0.1',
      '64:ff9b::a00:1',
      'not-an-ip',
    ])
      expect(isBlockedAddress(a), a).toBe(true);
    for (const a of ['20.60.1.2', '52.239.0.1', '2603:1030::1', '::ffff:20.60.1.2'])
      expect(isBlockedAddress(a), a).toBe(false);
  });

  it("finds the service's own storage account in its connection string", () => {
    expect(ownBlobEndpoint('UseDevelopmentStorage=true')).toEqual({
      url: 'http://127.0.0.1:10000/devstoreaccount1',
      accountName: 'devstoreaccount1',
    });
    const azurite = ownBlobEndpoint(
      'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=x;BlobEndpoint=http://127.0.0.1:41234/devstoreaccount1;',
    );
    expect(azurite).toEqual({
      url: 'http://127.0.0.1:41234/devstoreaccount1',
      accountName: 'devstoreaccount1',
    });
    expect(allowListEntry(azurite!.url)).toBe('http://127.0.0.1:41234');
    const azure = ownBlobEndpoint('DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=x');
    expect(azure?.url).toBe('https://acct.blob.core.windows.net');
    expect(allowListEntry(azure!.url)).toBe('acct.blob.core.windows.net');
    expect(ownBlobEndpoint(undefined)).toBeNull();
    expect(() => parseAllowList('not a host!')).toThrow(/not a host/);
  });
});

describe('how a job reaches a container', () => {
  const identity = { getToken: () => Promise.resolve({ token: 't', expiresOnTimestamp: 0 }) };
  const uri = 'https://acct.blob.core.windows.net/exports';

  it("uses the SAS for key-based jobs and the app's identity for identity-based ones", () => {
    expect(containerClient(`${uri}?sig=x`, 'out', 'keyBased', identity).credential).toBeInstanceOf(
      AnonymousCredential,
    );
    expect(containerClient(uri, 'out', 'identityBased', identity).credential).toBe(identity);
    expect(() => containerClient(uri, 'out', 'identityBased', null)).toThrow(
      /managed identity, and this deployment has none/,
    );
  });
});

describe("the service's own storage account", () => {
  const publicAddress = () => Promise.resolve(['20.60.1.2']);
  const guardFor = (endpoint: string, accountName: string | null = null) => {
    const own = ownStorageAccount(endpoint, accountName, ['registry-jobs', 'exports']);
    return new AllowListDestinationGuard(
      parseAllowList(`${DEFAULT_STORAGE_HOSTS},${allowListEntry(endpoint)}`),
      [own],
      publicAddress,
    );
  };

  it('is open to jobs only in the containers named for them, by every name it has', async () => {
    const guard = guardFor('https://acct.blob.core.windows.net');
    for (const uri of [
      'https://acct.blob.core.windows.net/registry-jobs',
      'https://acct.blob.core.windows.net/exports/a/folder',
      'https://ACCT.blob.core.windows.net/registry-jobs',
      // Another account: the customer's, not the service's.
      'https://other.blob.core.windows.net/deployments',
      'https://acct2.blob.core.windows.net/azure-webjobs-secrets',
    ])
      await expect(guard.check(`${uri}${sas}`), uri).resolves.toBeUndefined();
    for (const [uri, container] of [
      ['https://acct.blob.core.windows.net/deployments', "container 'deployments'"],
      ['https://acct.blob.core.windows.net/azure-webjobs-hosts', "container 'azure-webjobs-hosts'"],
      ['https://acct.blob.core.windows.net/azure-webjobs-secrets/x', "'azure-webjobs-secrets'"],
      ['https://acct.blob.core.windows.net/', 'no container'],
      ['https://acct.blob.core.windows.net', 'no container'],
      // Dot segments are resolved as the SDK resolves them, before the container is read.
      ['https://acct.blob.core.windows.net/registry-jobs/../deployments', "'deployments'"],
      ['https://acct.blob.core.windows.net/registry-jobs/%2e%2e/deployments', "'deployments'"],
      ['https://acct.blob.core.windows.net/registry-jobs\\..\\deployments', "'deployments'"],
      ['https://acct.blob.core.windows.net/registry-jobs%2F..%2Fdeployments', 'registry-jobs%2F'],
      ['https://acct.blob.core.windows.net/azure%2Dwebjobs%2Dhosts', 'azure%2Dwebjobs'],
      // The same account by its other names.
      ['https://acct.privatelink.blob.core.windows.net/deployments', "'deployments'"],
      ['https://acct-secondary.blob.core.windows.net/deployments', "'deployments'"],
      ['https://acct.z12.blob.storage.azure.net/deployments', "'deployments'"],
    ] as const)
      await expect(guard.check(`${uri}${sas}`), uri).rejects.toThrow(
        new RegExp(
          `${container.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.* of the service's own storage account, where jobs may use only 'registry-jobs', 'exports' \\(JOBS_OWN_ACCOUNT_CONTAINERS\\)`,
        ),
      );
  });

  it("includes the Functions host's storage when it is another account", async () => {
    const host = hostBlobEndpoint({ AzureWebJobsStorage__accountName: 'hostacct' });
    expect(host).toEqual({
      url: 'https://hostacct.blob.core.windows.net',
      accountName: 'hostacct',
    });
    expect(hostBlobEndpoint({ AzureWebJobsStorage: 'UseDevelopmentStorage=true' })?.url).toBe(
      'http://127.0.0.1:10000/devstoreaccount1',
    );
    expect(hostBlobEndpoint({})).toBeNull();
    const guard = new AllowListDestinationGuard(
      parseAllowList(DEFAULT_STORAGE_HOSTS),
      [
        ownStorageAccount('https://acct.blob.core.windows.net', null, ['registry-jobs']),
        ownStorageAccount(host!.url, host!.accountName, ['registry-jobs']),
      ],
      publicAddress,
    );
    await expect(
      guard.check(`https://hostacct.blob.core.windows.net/azure-webjobs-secrets${sas}`),
    ).rejects.toThrow(/'azure-webjobs-secrets' of the service's own storage account/);
    await expect(
      guard.check(`https://hostacct.blob.core.windows.net/registry-jobs${sas}`),
    ).resolves.toBeUndefined();
  });

  it('on Azurite, is the account in the path (path-style), not every account on the host', async () => {
    const guard = guardFor('http://127.0.0.1:10000/devstoreaccount1', 'devstoreaccount1');
    await expect(
      guard.check(`http://127.0.0.1:10000/devstoreaccount1/registry-jobs${sas}`),
    ).resolves.toBeUndefined();
    await expect(
      guard.check(`http://127.0.0.1:10000/devstoreaccount1/azure-webjobs-hosts${sas}`),
    ).rejects.toThrow(/'azure-webjobs-hosts' of the service's own storage account/);
    await expect(
      guard.check(`http://127.0.0.1:10000/other/../devstoreaccount1/deployments${sas}`),
    ).rejects.toThrow(/'deployments' of the service's own/);
    await expect(
      guard.check(`http://127.0.0.1:10000/customer/anything${sas}`),
    ).resolves.toBeUndefined();
  });
});

describe('the blob names of a job', () => {
  it.each<[string, RegExp | null]>([
    ['devices.txt', null],
    ['exports/2026/devices.txt', null],
    ['a..b.txt', null],
    ['...txt', null],
    ['', /is empty/],
    ['x'.repeat(1025), /longer than 1024/],
    ['/devices.txt', /may not start with '\/'/],
    ['../deployments/released-package.zip', /'\.' or '\.\.' path segments/],
    ['a/../../deployments/x', /'\.' or '\.\.' path segments/],
    ['./devices.txt', /'\.' or '\.\.' path segments/],
    ['..', /'\.' or '\.\.' path segments/],
    ['..\\deployments\\x', /backslash/],
    ['line\nbreak', /control characters/],
    ['nul\u0000', /control characters/],
    ['c1\u0085', /control characters/],
    ['folder/', /may not end with/],
  ])('%j → %s', (name, expected) => {
    const problem = blobNameProblem(name);
    if (expected === null) expect(problem).toBeNull();
    else expect(problem).toMatch(expected);
  });

  it('are checked again by the worker, before any request', async () => {
    let connections = 0;
    const listener = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const { port } = listener.address() as { port: number };
    let checked = 0;
    const blobs = new SasJobBlobs({ check: () => Promise.resolve(void checked++) });
    const uri = `http://127.0.0.1:${port}/devstoreaccount1/registry-jobs${sas}`;
    try {
      await expect(
        blobs
          .writer(uri, '../deployments/released-package.zip', 'keyBased')
          .stageBlock(0, Buffer.from('x')),
      ).rejects.toThrow(/^outputBlobName may not hold '\.' or '\.\.' path segments/);
      await expect(blobs.reader(uri, '/devices.txt', 'keyBased').properties()).rejects.toThrow(
        /^inputBlobName may not start with '\/'/,
      );
      expect({ checked, connections }).toEqual({ checked: 0, connections: 0 });
    } finally {
      await new Promise<void>((resolve) => listener.close(() => resolve()));
    }
  });
});

describe('the settings of job containers', () => {
  it("default to one container, and one active job as IoT Hub's", () => {
    const settings = parseSettings({});
    expect(settings.JOBS_OWN_ACCOUNT_CONTAINERS).toEqual(['registry-jobs']);
    expect(settings.JOBS_MAX_ACTIVE).toBe(1);
    expect(
      parseSettings({ JOBS_OWN_ACCOUNT_CONTAINERS: ' exports , imports ' })
        .JOBS_OWN_ACCOUNT_CONTAINERS,
    ).toEqual(['exports', 'imports']);
  });

  it("refuse at start-up a container that holds the host's or the deployment's data", () => {
    for (const container of [...RESERVED_CONTAINERS, 'azure-webjobs-other', 'app-package-x-1a2b3c'])
      expect(
        () => parseSettings({ JOBS_OWN_ACCOUNT_CONTAINERS: `registry-jobs,${container}` }),
        container,
      ).toThrow(
        new RegExp(
          `JOBS_OWN_ACCOUNT_CONTAINERS: '${container}' holds the Functions host's or the deployment's data`,
        ),
      );
    expect(() =>
      parseSettings({
        EVENTHUB_CHECKPOINT_CONTAINER: 'checkpoints',
        JOBS_OWN_ACCOUNT_CONTAINERS: 'checkpoints',
      }),
    ).toThrow(/JOBS_OWN_ACCOUNT_CONTAINERS: 'checkpoints' is EVENTHUB_CHECKPOINT_CONTAINER/);
    expect(() => parseSettings({ JOBS_OWN_ACCOUNT_CONTAINERS: 'Bad_Name' })).toThrow(
      /JOBS_OWN_ACCOUNT_CONTAINERS.*valid blob container names/,
    );
    expect(() => parseSettings({ JOBS_MAX_ACTIVE: '0' })).toThrow(/JOBS_MAX_ACTIVE/);
  });
});
