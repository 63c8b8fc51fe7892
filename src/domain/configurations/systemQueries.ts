import type { TwinQuery } from '../query/TwinQuery';
import type { ConfigurationDraft } from './Configuration';

/** The twins a configuration is applied to: `configurations.[[id]].status = 'Applied'`. */
export function appliedQuery(id: string, modules: boolean): TwinQuery {
  return {
    select: { kind: 'all' },
    from: modules ? 'devices.modules' : 'devices',
    where: {
      kind: 'compare',
      op: '=',
      left: { kind: 'path', segments: ['configurations', id, 'status'], position: 1 },
      right: { kind: 'literal', value: 'Applied' },
    },
    groupBy: [],
  };
}

/** The queries IoT Hub shows for the system metrics, as a caller can run them. */
export function systemQueryTexts(
  configuration: ConfigurationDraft,
  modules: boolean,
): Record<string, string> {
  const source = modules ? 'devices.modules' : 'devices';
  const select = modules ? 'SELECT deviceId, moduleId' : 'SELECT deviceId';
  const condition = modules
    ? configuration.targetCondition.replace(/^\s*from\s+devices\s*\.\s*modules\s+where\s+/i, '')
    : configuration.targetCondition;
  return {
    targetedCount: condition.trim() === '' ? '' : `${select} FROM ${source} WHERE ${condition}`,
    appliedCount: `${select} FROM ${source} WHERE configurations.[[${configuration.id}]].status = 'Applied'`,
  };
}
