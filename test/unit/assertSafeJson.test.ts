import { describe, expect, it } from 'vitest';
import { assertSafeJson, MAX_JSON_DEPTH } from '../../src/domain/json/assertSafeJson';
import { parseLivenessEvent } from '../../src/domain/liveness/parseLivenessEvent';
import { errorOf } from '../support/errorOf';

const nested = (open: string, close: string, levels: number, inner = '1') =>
  `${open.repeat(levels)}${inner}${close.repeat(levels)}`;

describe('caller JSON', () => {
  it('refuses every prototype key, at the top and at any depth, naming it and where it is', () => {
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      const cases: [string, string][] = [
        [`{"${key}":{"polluted":"yes"}}`, `'${key}' (at ${key})`],
        [`{"tags":{"a":{"${key}":1}}}`, `(at tags.a.${key})`],
        [
          `[{"id":"d"},{"properties":{"desired":{"${key}":{}}}}]`,
          `(at [1].properties.desired.${key})`,
        ],
      ];
      for (const [text, names] of cases) {
        const error = errorOf(() => assertSafeJson(JSON.parse(text), 'twin'));
        expect(error.code).toBe('ArgumentInvalid');
        expect(error.message).toContain(names);
        expect(error.message).not.toContain(';');
      }
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('accepts ordinary JSON, and keys that only look alike', () => {
    for (const text of [
      '1',
      '"x"',
      'null',
      '[]',
      '{"Constructor":1,"__proto":2,"proto":[{"a":[1]}]}',
    ])
      expect(() => assertSafeJson(JSON.parse(text), 'body')).not.toThrow();
    expect(() =>
      assertSafeJson(JSON.parse(nested('[', ']', MAX_JSON_DEPTH)), 'body'),
    ).not.toThrow();
  });

  it(`refuses nesting beyond ${MAX_JSON_DEPTH} levels, arrays and objects alike, without recursion`, () => {
    for (const text of [
      nested('[', ']', MAX_JSON_DEPTH + 1),
      nested('{"a":', '}', MAX_JSON_DEPTH + 1),
      nested('[{"a":', '}]', MAX_JSON_DEPTH),
      nested('[', ']', 100_000),
    ]) {
      const error = errorOf(() => assertSafeJson(JSON.parse(text), 'body'));
      expect(error.code).toBe('ArgumentInvalid');
      expect(error.message).toContain(`nested more than ${MAX_JSON_DEPTH} levels`);
    }
  });
});

describe('liveness events name keys too', () => {
  it('never takes a lifecycle opType or a property name from Object.prototype', () => {
    for (const opType of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      const parsed = parseLivenessEvent({
        body: '{"__proto__":{"status":"disabled"}}',
        systemProperties: { 'iothub-message-source': 'deviceLifecycleEvents' },
        properties: { opType, deviceId: 'd1', operationTimestamp: '2026-01-01T00:00:00Z' },
        enqueuedTimeUtc: '2026-01-01T00:00:00Z',
      });
      expect(parsed).toMatchObject({
        ok: false,
        reason: expect.stringContaining('unknown lifecycle opType'),
      });
    }
    // A bag whose own keys are hostile reads as data, and nothing reaches a prototype.
    const parsed = parseLivenessEvent({
      body: JSON.parse('{"__proto__":{"status":"disabled"}}'),
      systemProperties: JSON.parse(
        '{"iothub-connection-device-id":"d1","iothub-enqueuedtime":"2026-01-01T00:00:00Z","__proto__":{"iothub-connection-module-id":"m"}}',
      ),
      properties: JSON.parse('{"messageType":"heartbeat","constructor":"x"}'),
      enqueuedTimeUtc: undefined,
    });
    expect(parsed).toMatchObject({
      ok: true,
      event: { deviceId: 'd1', moduleId: null, heartbeat: true },
    });
    expect(({} as Record<string, unknown>)['iothub-connection-module-id']).toBeUndefined();
  });
});
