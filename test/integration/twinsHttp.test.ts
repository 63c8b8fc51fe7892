import { describe, expect, it } from 'vitest';
import { api, errorCode, serviceToken, uniqueId } from '../support/registryApi';

const messageOf = (reply: { json: { Message?: string } }) => reply.json.Message ?? '';

async function device(body: object = {}) {
  const deviceId = uniqueId('tw');
  const created = await api('PUT', `/devices/${deviceId}`, { body });
  expect(created.status, created.text).toBe(200);
  return deviceId;
}

describe('twins over HTTP', () => {
  it('replaces tags and desired with PUT, keeps reported, and checks If-Match', async () => {
    const deviceId = await device();
    const merged = await api('PATCH', `/twins/${deviceId}`, {
      body: { tags: { a: 1, b: { c: 2 } }, properties: { desired: { x: 1, y: 2 } } },
    });
    expect(merged.headers.get('etag')).toBe(`"${merged.json.etag}"`);
    const replaced = await api('PUT', `/twins/${deviceId}`, {
      body: { ...merged.json, tags: { z: true }, properties: { desired: { y: 3 } } },
      headers: { 'if-match': `"${merged.json.etag}"` },
    });
    expect(replaced.status, replaced.text).toBe(200);
    expect(replaced.json.tags).toEqual({ z: true });
    const { $metadata, $version, ...desired } = replaced.json.properties.desired;
    expect(desired).toEqual({ y: 3 });
    expect($version).toBe(3);
    expect(Object.keys($metadata)).toEqual(expect.arrayContaining(['y', '$lastUpdated']));
    expect(replaced.json.properties.reported.$version).toBe(1);
    expect(replaced.json.version).toBe(merged.json.version + 1);
    const stale = await api('PATCH', `/twins/${deviceId}`, {
      body: { tags: { z: false } },
      headers: { 'if-match': `"${merged.json.etag}"` },
    });
    expect(stale.status).toBe(412);
    expect(errorCode(stale)).toBe('PreconditionFailed');
    // Unconditional and stored: read back equals what the write answered.
    const read = await api('GET', `/twins/${deviceId}`);
    expect(read.json.tags).toEqual({ z: true });
    expect(read.json.etag).toBe(replaced.json.etag);
  });

  it("refuses what IoT Hub's twin limits refuse, naming the key", async () => {
    const deviceId = await device();
    const cases: [object, RegExp][] = [
      [{ tags: { 'a.b': 1 } }, /'a\.b'/],
      [{ tags: { $x: 1 } }, /'\$x'/],
      [{ tags: { 'with space': 1 } }, /'with space'/],
      [{ tags: { long: 'x'.repeat(4097) } }, /tags\.long.*4 KB/],
      [{ tags: { ['k'.repeat(1025)]: 1 } }, /longer than 1 KB/],
      [
        { properties: { desired: { big: Array.from({ length: 9 }, () => 'y'.repeat(4000)) } } },
        /properties\.desired would be \d+ bytes/,
      ],
      [
        { tags: JSON.parse(`${'{"a":'.repeat(11)}1${'}'.repeat(11)}`) as object },
        /nested more than 10/,
      ],
      [{ tags: 'text' }, /tags must be a JSON object/],
      [{}, /changes nothing/],
      [{ deviceId: 'other', tags: {} }, /deviceId in the body/],
    ];
    for (const [body, message] of cases) {
      const reply = await api('PATCH', `/twins/${deviceId}`, { body });
      expect(reply.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(messageOf(reply)).toMatch(message);
    }
    expect((await api('GET', `/twins/${deviceId}`)).json.version).toBe(1);
    expect(errorCode(await api('GET', `/twins/${uniqueId()}/modules/m`))).toBe('DeviceNotFound');
    expect(
      errorCode(await api('PATCH', `/twins/${deviceId}/modules/none`, { body: { tags: {} } })),
    ).toBe('ModuleNotFound');
  });

  it('needs ServiceConnect for twins and RegistryRead for queries', async () => {
    const deviceId = await device();
    const read = await api('GET', `/twins/${deviceId}`, { auth: serviceToken('registryRead') });
    expect(read.status).toBe(401);
    expect((await api('GET', `/twins/${deviceId}`, { auth: serviceToken('service') })).status).toBe(
      200,
    );
    const query = await api('POST', '/devices/query', {
      body: { query: 'SELECT * FROM devices' },
      auth: serviceToken('service'),
    });
    expect(query.status).toBe(401);
  });

  it('sets tags and desired properties from bulk entries', async () => {
    const deviceId = uniqueId('bulk');
    const reply = await api('POST', '/devices', {
      body: [
        {
          id: deviceId,
          importMode: 'create',
          tags: { site: 'bulk-site' },
          properties: { desired: { mode: 'eco' } },
        },
        { id: deviceId, moduleId: 'm', importMode: 'create', tags: { kind: 'module' } },
      ],
    });
    expect(reply.status, reply.text).toBe(200);
    const twin = (await api('GET', `/twins/${deviceId}`)).json;
    expect(twin.tags).toEqual({ site: 'bulk-site' });
    expect(twin.properties.desired.mode).toBe('eco');
    expect((await api('GET', `/twins/${deviceId}/modules/m`)).json.tags).toEqual({
      kind: 'module',
    });
    // An update entry replaces the sections it carries, and leaves the others.
    const updated = await api('POST', '/devices', {
      body: [{ id: deviceId, importMode: 'update', tags: { site: 'moved' } }],
    });
    expect(updated.status, updated.text).toBe(200);
    const after = (await api('GET', `/twins/${deviceId}`)).json;
    expect(after.tags).toEqual({ site: 'moved' });
    expect(after.properties.desired.mode).toBe('eco');
    const bad = await api('POST', '/devices', {
      body: [{ id: uniqueId(), importMode: 'create', tags: { 'a.b': 1 } }],
    });
    expect(bad.status).toBe(400);
    expect(messageOf(bad)).toMatch(/'a\.b'/);
  });
});

describe('POST /devices/query', () => {
  const query = (q: string, headers: Record<string, string> = {}) =>
    api('POST', '/devices/query', { body: { query: q }, headers });

  it('refuses malformed queries with 400 BadRequest naming the position and the token', async () => {
    const cases: [string, RegExp][] = [
      ['SELECT * FROM devices WHERE', /position 28 at the end of the query: expected/],
      ['SELECT * FROM devices WHERE tags.site = ', /position 41/],
      ["SELECT * FROM devices WHERE tags.site == 'x'", /position 40 at '='/],
      ['SELECT * FROM jobs', /position 15 at 'jobs': expected 'devices'/],
      ["SELECT * FROM devices WHERE secrets.key = 'x'", /secrets\.key is not a twin property/],
      ["SELECT * FROM devices WHERE tags.site = 'open", /the string is not closed/],
      ['SELECT * FROM devices ORDER BY deviceId', /ORDER BY \(at position 23\) is not supported/],
      ['SELECT deviceId, COUNT() FROM devices', /needs GROUP BY/],
      ['SELECT deviceId FROM devices GROUP BY status', /only the properties it groups by/],
      ['SELECT * FROM devices WHERE deviceId IN [1, ', /position 45/],
      ['SELECT * FROM devices WHERE ; DROP', /position 29 .*no meaning/],
    ];
    for (const [q, message] of cases) {
      const reply = await query(q);
      expect(reply.status, q).toBe(400);
      expect(errorCode(reply), q).toBe('BadRequest');
      expect(messageOf(reply), q).toMatch(message);
    }
    expect(errorCode(await api('POST', '/devices/query', { body: {} }))).toBe('ArgumentInvalid');
    expect(errorCode(await query('SELECT * FROM devices', { 'x-ms-max-item-count': '1001' }))).toBe(
      'ArgumentInvalid',
    );
    expect(errorCode(await query('SELECT * FROM devices', { 'x-ms-continuation': 'forged' }))).toBe(
      'ArgumentInvalid',
    );
  });

  it('treats values as values: quotes and keywords in literals cannot change the query', async () => {
    const deviceId = await device();
    await api('PATCH', `/twins/${deviceId}`, { body: { tags: { note: 'it\'s " OR 1=1 --' } } });
    const hit = await query(
      `SELECT deviceId FROM devices WHERE tags.note = 'it''s " OR 1=1 --' AND deviceId = '${deviceId}'`,
    );
    expect(hit.status, hit.text).toBe(200);
    expect(hit.json).toEqual([{ deviceId }]);
    const none = await query("SELECT deviceId FROM devices WHERE tags.note = 'x'' OR ''1''=''1'");
    expect(none.json).toEqual([]);
  });

  it('projects fields with AS, filters with functions and IN/NIN, pages both ways', async () => {
    const tag = uniqueId('q');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const deviceId = await device(i === 4 ? { status: 'disabled' } : {});
      ids.push(deviceId);
      await api('PATCH', `/twins/${deviceId}`, {
        body: { tags: { batch: tag, n: i, name: i % 2 ? `Upper-${i}` : `lower-${i}` } },
      });
    }
    const projected = await query(
      `SELECT deviceId AS id, tags.n AS n FROM devices WHERE tags.batch = '${tag}' AND tags.n >= 1 AND tags.n NIN [3] AND NOT (status = 'disabled')`,
    );
    expect(projected.headers.get('x-ms-item-type')).toBe('raw');
    expect((projected.json as { n: number }[]).sort((a, b) => a.n - b.n)).toEqual([
      { id: ids[1], n: 1 },
      { id: ids[2], n: 2 },
    ]);
    const lower = await query(
      `SELECT deviceId FROM devices WHERE tags.batch = '${tag}' AND STARTSWITH(LOWER(tags.name), 'upper') AND IS_NUMBER(tags.n) AND IS_DEFINED(tags.name) AND NOT IS_DEFINED(tags.missing)`,
    );
    expect((lower.json as { deviceId: string }[]).map((r) => r.deviceId).sort()).toEqual(
      [ids[1], ids[3]].sort(),
    );
    const counted = await query(`SELECT COUNT() AS total FROM devices WHERE tags.batch = '${tag}'`);
    expect(counted.json).toEqual([{ total: 5 }]);

    const seen: string[] = [];
    let token: string | null = null;
    let pages = 0;
    do {
      const page = await query(`SELECT * FROM devices WHERE tags.batch = '${tag}'`, {
        'x-ms-max-item-count': '2',
        ...(token ? { 'x-ms-continuation': token } : {}),
      });
      expect(page.status, page.text).toBe(200);
      expect(page.headers.get('x-ms-item-type')).toBe('twin');
      seen.push(...(page.json as { deviceId: string }[]).map((t) => t.deviceId));
      token = page.headers.get('x-ms-continuation');
      pages++;
    } while (token);
    expect(pages).toBe(3);
    expect(seen.sort()).toEqual([...ids].sort());
    // A token belongs to its query.
    const first = await query(`SELECT * FROM devices WHERE tags.batch = '${tag}'`, {
      'x-ms-max-item-count': '2',
    });
    const other = await query(`SELECT * FROM devices WHERE tags.n = 1`, {
      'x-ms-continuation': first.headers.get('x-ms-continuation') ?? '',
    });
    expect(messageOf(other)).toMatch(/belongs to another query/);
  });
});
