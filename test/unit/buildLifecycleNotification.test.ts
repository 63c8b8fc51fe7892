import { describe, expect, it } from 'vitest';
import type { DeviceIdentity } from '../../src/domain/identity/DeviceIdentity';
import type { ModuleIdentity } from '../../src/domain/identity/ModuleIdentity';
import { buildLifecycleNotification } from '../../src/domain/lifecycle/buildLifecycleNotification';

const now = new Date('2026-01-02T03:04:05.678Z');
const context = { hubName: 'testhub', now };
const primaryKey = Buffer.alloc(32, 1).toString('base64');
const secondaryKey = Buffer.alloc(32, 2).toString('base64');

const device: DeviceIdentity = {
  deviceId: 'dev-1',
  generationId: '639029270456780001',
  etag: 'etag-1',
  status: 'enabled',
  statusReason: 'provisioned',
  statusUpdatedTime: '2026-01-01T00:00:00Z',
  authentication: {
    type: 'sas',
    symmetricKey: { primaryKey, secondaryKey },
    x509Thumbprint: { primaryThumbprint: null, secondaryThumbprint: null },
  },
  capabilities: { iotEdge: true },
  deviceScope: 'ms-azure-iot-edge://dev-1-639029270456780002',
  parentScopes: [],
};

const module: ModuleIdentity = {
  deviceId: 'dev-1',
  moduleId: 'mod-1',
  generationId: '639029270456780003',
  etag: 'etag-2',
  managedBy: null,
  authentication: {
    type: 'sas',
    symmetricKey: { primaryKey, secondaryKey },
    x509Thumbprint: { primaryThumbprint: null, secondaryThumbprint: null },
  },
  deviceGenerationId: '639029270456780001',
};

const twinSection = { $metadata: { $lastUpdated: now.toISOString() }, $version: 1 };

describe('buildLifecycleNotification for a device', () => {
  const n = buildLifecycleNotification('createDeviceIdentity', device, context);

  it('carries the application properties of an IoT Hub lifecycle event', () => {
    expect(n.properties).toEqual({
      opType: 'createDeviceIdentity',
      hubName: 'testhub',
      deviceId: 'dev-1',
      operationTimestamp: '2026-01-02T03:04:05.678Z',
      'iothub-message-schema': 'deviceLifecycleNotification',
    });
    expect(n.properties).not.toHaveProperty('moduleId');
  });

  it('writes operationTimestamp as ISO 8601 of the injected now', () => {
    expect(new Date(n.properties.operationTimestamp as string).getTime()).toBe(now.getTime());
  });

  it('comes from deviceLifecycleEvents', () => {
    expect(n.systemProperties['iothub-message-source']).toBe('deviceLifecycleEvents');
    expect(n.systemProperties['iothub-connection-device-id']).toBe('dev-1');
    expect(n.systemProperties).not.toHaveProperty('iothub-connection-module-id');
  });

  it('is partitioned by device ID', () => {
    expect(n.partitionKey).toBe('dev-1');
  });

  it('has a twin-like body', () => {
    expect(n.body).toMatchObject({
      deviceId: 'dev-1',
      generationId: '639029270456780001',
      etag: 'AAAAAAAAAAE=',
      properties: { desired: twinSection, reported: twinSection },
    });
    expect(n.body).not.toHaveProperty('moduleId');
  });

  it('passes the operation through', () => {
    const deleted = buildLifecycleNotification('deleteDeviceIdentity', device, context);
    expect(deleted.properties.opType).toBe('deleteDeviceIdentity');
    const status = buildLifecycleNotification('updateDeviceIdentityStatus', device, context);
    expect(status.properties.opType).toBe('updateDeviceIdentityStatus');
  });
});

describe('buildLifecycleNotification for a module', () => {
  const n = buildLifecycleNotification('createDeviceIdentity', module, context);

  it('carries moduleId next to deviceId', () => {
    expect(n.properties).toMatchObject({
      opType: 'createDeviceIdentity',
      hubName: 'testhub',
      deviceId: 'dev-1',
      moduleId: 'mod-1',
      operationTimestamp: now.toISOString(),
    });
    expect(n.properties['iothub-message-schema']).toBe('moduleLifecycleNotification');
    expect(n.systemProperties['iothub-message-source']).toBe('deviceLifecycleEvents');
    expect(n.systemProperties['iothub-connection-module-id']).toBe('mod-1');
  });

  it("is partitioned by its device's ID", () => {
    expect(n.partitionKey).toBe('dev-1');
  });

  it('has a twin-like body naming the module', () => {
    expect(n.body).toMatchObject({
      deviceId: 'dev-1',
      moduleId: 'mod-1',
      generationId: '639029270456780003',
      etag: 'AAAAAAAAAAE=',
      properties: { desired: twinSection, reported: twinSection },
    });
  });
});

describe('buildLifecycleNotification secrecy', () => {
  it.each([
    ['device', device],
    ['module', module],
  ] as const)('never puts the symmetric keys of a %s anywhere in the event', (_kind, identity) => {
    const n = buildLifecycleNotification('createDeviceIdentity', identity, context);
    const everything = JSON.stringify(n);
    expect(everything).not.toContain(primaryKey);
    expect(everything).not.toContain(secondaryKey);
    expect(JSON.stringify(n.body)).not.toContain('symmetricKey');
  });

  it('is plain JSON that survives a round trip', () => {
    const n = buildLifecycleNotification('createDeviceIdentity', device, context);
    expect(JSON.parse(JSON.stringify(n))).toEqual(n);
  });
});
