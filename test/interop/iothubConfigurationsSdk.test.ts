import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { Configuration } from 'azure-iothub';
import { api, errorCode, uniqueId } from '../support/registryApi';
import { sdkRegistry } from '../support/sdkRegistry';

/** What the SDK throws; its error classes are internal copies, so compare names. */
const errorName = (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (e: Error) => e.name,
  );

/** Configuration IDs are lowercase (IoT Hub's rule). */
const configId = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

describe('configurations through the official azure-iothub Registry client', () => {
  const registry = sdkRegistry();
  const created: string[] = [];
  afterAll(async () => {
    for (const id of created) await registry.removeConfiguration(id).catch(() => undefined);
  });

  const configuration = (id: string, site: string, priority = 10): Configuration => ({
    id,
    schemaVersion: '1.0',
    labels: { team: 'ops' },
    content: { deviceContent: { 'properties.desired.telemetry': { interval: 30 } } },
    targetCondition: `tags.site = '${site}'`,
    priority,
    metrics: { queries: { reporting: `SELECT deviceId FROM devices WHERE tags.site = '${site}'` } },
  });

  it('creates, reads, lists, updates with its etag or by force, and removes', async () => {
    const id = configId('cfg');
    const site = uniqueId('site');
    created.push(id);
    const { responseBody: added } = await registry.addConfiguration(configuration(id, site));
    expect(added).toMatchObject({
      id,
      schemaVersion: '1.0',
      labels: { team: 'ops' },
      targetCondition: `tags.site = '${site}'`,
      priority: 10,
      content: { deviceContent: { 'properties.desired.telemetry': { interval: 30 } } },
    });
    expect(added.etag).toEqual(expect.any(String));
    expect(Date.parse(added.createdTimeUtc as string)).not.toBeNaN();

    // Two devices match the condition: the targeted count and the custom metric count them.
    for (const n of [1, 2]) {
      const deviceId = uniqueId(`cfgdev${n}`);
      await registry.create({ deviceId });
      await registry.updateTwin(deviceId, { tags: { site } }, '*');
    }
    const { responseBody: read } = await registry.getConfiguration(id);
    expect(read.systemMetrics?.results).toMatchObject({ targetedCount: 2 });
    expect(read.systemMetrics?.queries?.targetedCount).toContain(site);
    expect(read.metrics?.results).toEqual({ reporting: 2 });
    expect(read.metrics?.queries).toEqual(configuration(id, site).metrics?.queries);

    const { responseBody: all } = await registry.getConfigurations();
    expect(all.map((c) => c.id)).toContain(id);

    // An update with the etag read; then the old etag is stale.
    const { responseBody: updated } = await registry.updateConfiguration({
      ...read,
      priority: 20,
      labels: { team: 'field' },
    });
    expect(updated).toMatchObject({ priority: 20, labels: { team: 'field' } });
    expect(updated.createdTimeUtc).toBe(added.createdTimeUtc);
    expect(updated.etag).not.toBe(read.etag);
    expect(await errorName(registry.updateConfiguration({ ...read, priority: 30 }))).toBe(
      'InvalidEtagError',
    );
    // forceUpdate sends If-Match: *.
    const { responseBody: forced } = await registry.updateConfiguration(
      { ...read, priority: 30 },
      true,
    );
    expect(forced.priority).toBe(30);
    // Content is immutable, as in IoT Hub.
    expect(
      await errorName(
        registry.updateConfiguration(
          { ...forced, content: { deviceContent: { 'properties.desired.x': 1 } } },
          true,
        ),
      ),
    ).toBe('ArgumentError');

    await registry.removeConfiguration(id);
    // The SDK has no class for ConfigurationNotFound: a plain Error, the code on the wire.
    expect(await errorName(registry.getConfiguration(id))).toBe('Error');
    expect(errorCode(await api('GET', `/configurations/${id}`))).toBe('ConfigurationNotFound');
  });

  it('refuses a second create of one ID, bad IDs, conditions, priorities, content and metrics', async () => {
    const id = configId('dup');
    created.push(id);
    await registry.addConfiguration(configuration(id, 'x'));
    expect(await errorName(registry.addConfiguration(configuration(id, 'x')))).toBe(
      'DeviceAlreadyExistsError',
    );

    const put = (body: Record<string, unknown>, configurationId = String(body.id)) =>
      api('PUT', `/configurations/${encodeURIComponent(configurationId)}`, { body });
    const base = { ...configuration(configId('bad'), 'x') } as Record<string, unknown>;
    const upper = await put({ ...base, id: 'Upper-Case' });
    expect(upper.status).toBe(400);
    expect(upper.json.Message).toContain('lowercase');
    const condition = await put({ ...base, targetCondition: "tags.site = 'x' AND" });
    expect(condition.status).toBe(400);
    expect(condition.json.Message).toMatch(/targetCondition: Query syntax error at position 20/);
    expect((await put({ ...base, priority: -1 })).status).toBe(400);
    expect((await put({ ...base, priority: 1.5 })).status).toBe(400);
    const tags = await put({ ...base, content: { deviceContent: { 'tags.site': 'y' } } });
    expect(tags.status).toBe(400);
    expect(tags.json.Message).toContain('desired properties only');
    const two = await put({
      ...base,
      content: {
        deviceContent: { 'properties.desired.a': 1 },
        moduleContent: { 'properties.desired.a': 1 },
      },
    });
    expect(two.status).toBe(400);
    const big = await put({
      ...base,
      content: {
        deviceContent: {
          'properties.desired.a': 'x'.repeat(4000),
          'properties.desired.b': 'x'.repeat(4000),
          'properties.desired.c': 'x'.repeat(4000),
          'properties.desired.d': 'x'.repeat(4000),
          'properties.desired.e': 'x'.repeat(4000),
          'properties.desired.f': 'x'.repeat(4000),
          'properties.desired.g': 'x'.repeat(4000),
          'properties.desired.h': 'x'.repeat(4000),
          'properties.desired.i': 'x'.repeat(4000),
        },
      },
    });
    expect(big.status).toBe(400);
    expect(big.json.Message).toMatch(/content is \d+ bytes/);
    const metric = await put({
      ...base,
      metrics: { queries: { m: 'SELECT deviceId FROM devices WHERE' } },
    });
    expect(metric.status).toBe(400);
    expect(metric.json.Message).toContain('metrics.queries["m"]');
    const unknown = await put({ ...base, color: 'red' });
    expect(unknown.status).toBe(400);
    expect(errorCode(unknown)).toBe('ArgumentInvalid');
    // None of the refused ones was stored.
    expect((await api('GET', `/configurations/${String(base.id)}`)).status).toBe(404);
  });

  it('tests queries without storing them', async () => {
    const reply = await api('POST', '/configurations/testQueries', {
      body: {
        targetCondition: "tags.site = 'a'",
        customMetricQueries: { ok: 'SELECT deviceId FROM devices', bad: 'SELECT FROM' },
      },
    });
    expect(reply.status).toBe(200);
    expect(reply.json.targetConditionError).toBe('');
    expect(Object.keys(reply.json.customMetricQueryErrors)).toEqual(['bad']);
    expect(reply.json.customMetricQueryErrors.bad).toMatch(/position \d+/);
  });

  it('lists at most top configurations, and needs RegistryRead/RegistryWrite as other registry routes', async () => {
    const ids = [configId('top'), configId('top')];
    created.push(...ids);
    for (const id of ids) await registry.addConfiguration(configuration(id, 'y'));
    const listed = await api('GET', '/configurations?top=1');
    expect(listed.status).toBe(200);
    expect(listed.json).toHaveLength(1);
    const { serviceToken } = await import('../support/registryApi');
    const readOnly = serviceToken('registryRead');
    expect((await api('GET', `/configurations/${ids[0]}`, { auth: readOnly })).status).toBe(200);
    const refused = await api('DELETE', `/configurations/${ids[0]}`, { auth: readOnly });
    expect(refused.status).toBe(401);
    // Delete with a stale etag is refused; without If-Match it deletes.
    const stale = await api('DELETE', `/configurations/${ids[0]}`, {
      headers: { 'if-match': '"c3RhbGU="' },
    });
    expect(stale.status).toBe(412);
    expect((await api('DELETE', `/configurations/${ids[0]}`)).status).toBe(204);
    expect((await api('DELETE', `/configurations/${ids[0]}`)).status).toBe(404);
  });

  it('applies content to an edge device at once', async () => {
    const deviceId = uniqueId('edge');
    await registry.create({ deviceId, capabilities: { iotEdge: true } });
    await registry.addModule({ deviceId, moduleId: 'sensor' });
    await registry.applyConfigurationContentOnDevice(deviceId, {
      modulesContent: { sensor: { 'properties.desired': { rate: 5 } } },
    });
    const { responseBody: twin } = await registry.getModuleTwin(deviceId, 'sensor');
    expect(twin.properties.desired).toMatchObject({ rate: 5 });
    // A module that does not exist changes nothing.
    expect(
      await errorName(
        registry.applyConfigurationContentOnDevice(deviceId, {
          modulesContent: {
            sensor: { 'properties.desired': { rate: 9 } },
            missing: { 'properties.desired': { rate: 9 } },
          },
        }),
      ),
    ).toBe('Error');
    const again = await registry.getModuleTwin(deviceId, 'sensor');
    expect(again.responseBody.properties.desired).toMatchObject({ rate: 5 });
  });
});
