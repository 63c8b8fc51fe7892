import { RegistryError } from '../errors/RegistryError';
import { checkTwinQuery } from '../query/checkTwinQuery';
import { parseTwinCondition, parseTwinQuery } from '../query/parseTwinQuery';
import type { TwinQuery } from '../query/TwinQuery';
import type { JsonObject } from '../twin/Twin';
import { isPlainObject } from '../twin/validateTwinValues';
import { CONFIGURATION_LIMITS, type ConfigurationDraft } from './Configuration';
import { desiredPatchOf } from './desiredPatchOf';

/** What a configuration means once checked: whom it targets and what it writes there. */
export interface CheckedConfiguration {
  kind: 'device' | 'module' | 'edge';
  /** The twins it targets; null: none (an empty targetCondition). */
  target: TwinQuery | null;
  /** The desired properties it sets (device and module content). */
  desired: JsonObject | null;
  metrics: Map<string, TwinQuery>;
}

const invalid = (message: string) => new RegistryError('ArgumentInvalid', message);

/** Parses a condition, saying in the error which field it came from. */
function targetOf(text: string, modules: boolean): TwinQuery | null {
  if (text.trim() === '') return null;
  try {
    const query = parseTwinCondition(text, modules);
    checkTwinQuery(query);
    return query;
  } catch (error) {
    if (error instanceof RegistryError)
      throw new RegistryError(error.code, `targetCondition: ${error.message}`);
    throw error;
  }
}

export function checkTargetCondition(text: string, modules: boolean): TwinQuery | null {
  return targetOf(text, modules);
}

export function checkMetricQuery(name: string, text: string): TwinQuery {
  try {
    const query = parseTwinQuery(text);
    checkTwinQuery(query);
    return query;
  } catch (error) {
    if (error instanceof RegistryError)
      throw new RegistryError(error.code, `metrics.queries["${name}"]: ${error.message}`);
    throw error;
  }
}

/**
 * Checks a configuration against IoT Hub's rules: exactly one kind of content within the size
 * limit, a target condition that parses (over module twins for module content), a priority
 * that is a whole number from 0, string labels and metric queries that parse. Throws a 400
 * that names the field.
 */
export function checkConfiguration(draft: ConfigurationDraft): CheckedConfiguration {
  const { content } = draft;
  const kinds = (['deviceContent', 'moduleContent', 'modulesContent'] as const).filter(
    (k) => content[k] !== undefined,
  );
  if (kinds.length !== 1)
    throw invalid(
      'content must hold exactly one of deviceContent, moduleContent (module twins) or modulesContent (an IoT Edge deployment)',
    );
  const field = kinds[0] as (typeof kinds)[number];
  const body = content[field] as JsonObject;
  if (!isPlainObject(body) || Object.keys(body).length === 0)
    throw invalid(`content.${field} must be an object with at least one key`);
  const bytes = Buffer.byteLength(JSON.stringify(content), 'utf8');
  if (bytes > CONFIGURATION_LIMITS.contentBytes)
    throw invalid(
      `content is ${bytes} bytes of JSON: at most ${CONFIGURATION_LIMITS.contentBytes} are allowed`,
    );
  const kind = field === 'deviceContent' ? 'device' : field === 'moduleContent' ? 'module' : 'edge';
  let desired: JsonObject | null = null;
  if (kind === 'edge') {
    for (const [moduleId, value] of Object.entries(body))
      if (!isPlainObject(value) || !isPlainObject(value['properties.desired']))
        throw invalid(
          `content.modulesContent["${moduleId.slice(0, 100)}"] must be { "properties.desired": {…} }`,
        );
  } else desired = desiredPatchOf(body, `content.${field}`);

  if (!Number.isInteger(draft.priority) || draft.priority < 0 || draft.priority > 2 ** 31 - 1)
    throw invalid('priority must be a whole number from 0 to 2147483647');
  const labels = Object.entries(draft.labels);
  if (labels.length > CONFIGURATION_LIMITS.labels)
    throw invalid(`labels has ${labels.length} entries: at most ${CONFIGURATION_LIMITS.labels}`);
  for (const [k, v] of labels)
    if (
      k === '' ||
      Buffer.byteLength(k) > CONFIGURATION_LIMITS.labelBytes ||
      Buffer.byteLength(v) > CONFIGURATION_LIMITS.labelBytes
    )
      throw invalid(
        `labels: keys and values are 1 to ${CONFIGURATION_LIMITS.labelBytes} bytes ('${k.slice(0, 40)}')`,
      );
  const queries = Object.entries(draft.metrics.queries);
  if (queries.length > CONFIGURATION_LIMITS.metrics)
    throw invalid(
      `metrics.queries has ${queries.length} queries: at most ${CONFIGURATION_LIMITS.metrics} are allowed`,
    );
  const metrics = new Map<string, TwinQuery>();
  for (const [name, text] of queries) {
    if (name === '' || name.length > CONFIGURATION_LIMITS.metricNameLength)
      throw invalid(
        `metrics.queries: a name is 1 to ${CONFIGURATION_LIMITS.metricNameLength} characters`,
      );
    metrics.set(name, checkMetricQuery(name, text));
  }
  return { kind, target: targetOf(draft.targetCondition, kind === 'module'), desired, metrics };
}
