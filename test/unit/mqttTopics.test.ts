import { describe, expect, it } from 'vitest';
import { identityOfClientId, usernameMatches } from '../../src/domain/connection/mqttIdentity';
import { parseTelemetryTopic, subscriptionAllowed } from '../../src/domain/connection/mqttTopics';
import { parseDeviceRequestTopic } from '../../src/domain/connection/parseDeviceRequestTopic';
import { parsePropertyBag } from '../../src/domain/connection/parsePropertyBag';
import { PacketSizeGuard } from '../../src/mqtt/PacketSizeGuard';

describe('IoT Hub MQTT topics', () => {
  it('reads twin requests and method responses by their request id, and nothing else', () => {
    expect(parseDeviceRequestTopic('$iothub/twin/GET/?$rid=7')).toEqual({
      kind: 'getTwin',
      rid: '7',
    });
    expect(
      parseDeviceRequestTopic('$iothub/twin/PATCH/properties/reported/?$rid=a%20b&$version=3'),
    ).toEqual({ kind: 'patchReported', rid: 'a b' });
    expect(parseDeviceRequestTopic('$iothub/methods/res/200/?$rid=x1')).toEqual({
      kind: 'methodResponse',
      rid: 'x1',
      status: 200,
    });
    for (const topic of [
      '$iothub/twin/GET/',
      '$iothub/twin/GET/?$rid=',
      '$iothub/twin/GET/?rid=1',
      `$iothub/twin/GET/?$rid=${'r'.repeat(200)}`,
      '$iothub/twin/PATCH/properties/desired/?$rid=1',
      '$iothub/twin/res/200/?$rid=1',
      '$iothub/methods/POST/reboot/?$rid=1',
      '$iothub/methods/res/abc/?$rid=1',
      '$iothub/methods/res/2000/?$rid=1',
    ])
      expect(parseDeviceRequestTopic(topic), topic).toBeNull();
  });

  it('reads the device and module events topics and their property bags', () => {
    expect(parseTelemetryTopic('devices/d1/messages/events/')).toEqual({
      ref: { deviceId: 'd1', moduleId: null },
      propertyBag: '',
    });
    expect(parseTelemetryTopic('devices/d1/modules/m1/messages/events/a=1')).toEqual({
      ref: { deviceId: 'd1', moduleId: 'm1' },
      propertyBag: 'a=1',
    });
    expect(parseTelemetryTopic('devices/d1/messages/devicebound/x')).toBeNull();
    expect(parseTelemetryTopic('devices/d1/messages/events/a/b')).toBeNull();
  });

  it('parses system and application properties as the SDK encodes them', () => {
    const bag = parsePropertyBag(
      '%24.mid=m%201&%24.ct=application%2Fjson&%24.ce=utf-8&%24.cid=c&%24.to=x&messageType=heartbeat&k%20y=v%26w',
    );
    expect(bag).toEqual({
      messageId: 'm 1',
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      correlationId: 'c',
      properties: { messageType: 'heartbeat', 'k y': 'v&w' },
    });
    expect(() => parsePropertyBag('__proto__=1')).toThrow(/not allowed/);
    expect(() => parsePropertyBag('a=%E0%A4%A')).toThrow(/malformed/);
  });

  it('allows an identity its own subscriptions only', () => {
    const ref = { deviceId: 'd1', moduleId: null };
    expect(subscriptionAllowed('devices/d1/messages/devicebound/#', ref)).toBe(true);
    expect(subscriptionAllowed('$iothub/methods/POST/#', ref)).toBe(true);
    expect(subscriptionAllowed('devices/d2/messages/devicebound/#', ref)).toBe(false);
    expect(subscriptionAllowed('#', ref)).toBe(false);
  });

  it('reads client ids and user names', () => {
    expect(identityOfClientId('d1/m1')).toEqual({ deviceId: 'd1', moduleId: 'm1' });
    expect(identityOfClientId('bad#id')).toBeNull();
    expect(
      usernameMatches('localhost/d1/?api-version=2021-04-12&DeviceClientType=x', 'd1', [
        'localhost',
      ]),
    ).toBe(true);
    expect(usernameMatches('other/d1/?api-version=2021-04-12', 'd1', ['localhost'])).toBe(false);
    expect(usernameMatches('localhost/d2/?api-version=2021-04-12', 'd1', ['localhost'])).toBe(
      false,
    );
  });
});

describe('PacketSizeGuard', () => {
  it('follows packets across chunks and refuses one announcing too much', () => {
    const guard = new PacketSizeGuard(200);
    // PINGREQ (length 0), then a 130-byte packet (length 0x82 0x01) split over chunks.
    expect(guard.accept(Buffer.from([0xc0, 0x00, 0x30, 0x82]))).toBe(true);
    expect(guard.accept(Buffer.from([0x01, ...Buffer.alloc(100)]))).toBe(true);
    expect(guard.accept(Buffer.alloc(30))).toBe(true);
    expect(guard.accept(Buffer.from([0x30, 0xc9, 0x01]))).toBe(false); // 201 bytes
    expect(new PacketSizeGuard(1e9).accept(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff]))).toBe(
      false,
    );
  });
});
