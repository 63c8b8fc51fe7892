import { describe, expect, it } from 'vitest';
import { parseSettings } from '../../src/config/Settings';
import { consumerGroupsLine, standInHubs } from '../../local/standInHubs';

describe('consumer groups of the user’s own on the embedded Event Hubs', () => {
  it('adds EVENTHUB_CONSUMER_GROUPS to every hub, beside the ones the triggers hold', () => {
    const settings = parseSettings({ EVENTHUB_CONSUMER_GROUPS: ' mine, audit.v2 ,' });
    expect(standInHubs(settings)).toEqual([
      { name: 'telemetry', partitions: 4, consumerGroups: ['catalog', 'mqtt', 'mine', 'audit.v2'] },
      { name: 'alerts', partitions: 4, consumerGroups: ['mine', 'audit.v2'] },
    ]);
    expect(consumerGroupsLine(settings)).toBe(
      "'$Default', 'catalog' and 'mqtt' (this service's); yours, on every hub: 'mine', 'audit.v2'",
    );
    expect(consumerGroupsLine(parseSettings({}))).toContain(
      'add your own with EVENTHUB_CONSUMER_GROUPS',
    );
  });

  it('refuses a group the service holds, or a name Event Hubs would refuse, naming the setting', () => {
    for (const value of ['$Default', 'Catalog', 'MQTT', 'mine,-bad', 'x'.repeat(51)])
      expect(() => parseSettings({ EVENTHUB_CONSUMER_GROUPS: value })).toThrow(
        /EVENTHUB_CONSUMER_GROUPS/,
      );
    expect(() => parseSettings({ LIVENESS_DISCONNECT_GRACE_SECONDS: '-1' })).toThrow(
      /LIVENESS_DISCONNECT_GRACE_SECONDS/,
    );
    expect(
      parseSettings({ LIVENESS_DISCONNECT_GRACE_SECONDS: '45' }).LIVENESS_DISCONNECT_GRACE_SECONDS,
    ).toBe(45);
  });
});
