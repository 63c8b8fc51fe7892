import { describe, expect, it } from 'vitest';
import { bindingValue } from '../../local/bindingValue';
import { parseSettings } from '../../src/config/Settings';
import { TRIGGERS, triggerTable } from '../../src/triggers/triggerTable';

describe('the trigger table', () => {
  it('names each function once', () => {
    const names = triggerTable.map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names.sort()).toEqual(
      [
        'deviceCatalog',
        'lifecycleRelay',
        'livenessEventGrid',
        'livenessIngest',
        'livenessSweep',
        'registryJobs',
      ].sort(),
    );
  });

  it('binds to settings the local host resolves as the Functions runtime does', () => {
    const settings = parseSettings({ CATALOG_CONSUMER_GROUP: 'catalog' });
    expect(bindingValue(TRIGGERS.deviceCatalog.options.consumerGroup, settings)).toBe('catalog');
    expect(bindingValue(TRIGGERS.livenessIngest.options.consumerGroup, settings)).toBe('$Default');
    expect(bindingValue(TRIGGERS.livenessSweep.options.schedule, settings)).toBe(
      settings.LIVENESS_SWEEP_SCHEDULE,
    );
    for (const entry of triggerTable)
      for (const value of Object.values(entry.options))
        if (typeof value === 'string') expect(() => bindingValue(value, settings)).not.toThrow();
  });

  it('says which setting to set when a binding names one that is empty', () => {
    expect(() => bindingValue('%CATALOG_CONSUMER_GROUP%', { CATALOG_CONSUMER_GROUP: '' })).toThrow(
      /set CATALOG_CONSUMER_GROUP/,
    );
  });
});
