import { describe, expect, it } from 'vitest';
import {
  AllowListDestinationGuard,
  isBlockedAddress,
} from '../../src/adapters/blob/AllowListDestinationGuard';
import { ownBlobEndpoint } from '../../src/adapters/blob/ownBlobEndpoint';
import { containerClient } from '../../src/adapters/blob/SasJobBlobs';
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
    const guard = new AllowListDestinationGuard(allowed, (host) =>
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

  it("allows the service's own storage account", () => {
    expect(ownBlobEndpoint('UseDevelopmentStorage=true')).toBe('http://127.0.0.1:10000');
    expect(
      ownBlobEndpoint(
        'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=x;BlobEndpoint=http://127.0.0.1:41234/devstoreaccount1;',
      ),
    ).toBe('http://127.0.0.1:41234');
    expect(ownBlobEndpoint('DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=x')).toBe(
      'acct.blob.core.windows.net',
    );
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
