import { isForbiddenKey } from '../json/forbiddenKeys';

/** What a property bag carries: the message's system properties and its application ones. */
export interface PropertyBag {
  properties: Record<string, string>;
  messageId?: string;
  correlationId?: string;
  contentType?: string;
  contentEncoding?: string;
}

/** The bag's system keys the service keeps (IoT Hub's `$.`-prefixed names). */
// A Map: an object's lookup of `__proto__` would find its prototype.
const SYSTEM = new Map<string, keyof Omit<PropertyBag, 'properties'>>([
  ['$.mid', 'messageId'],
  ['$.cid', 'correlationId'],
  ['$.ct', 'contentType'],
  ['$.ce', 'contentEncoding'],
]);

export class PropertyBagError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PropertyBagError';
  }
}

/**
 * Parses `k=v&k2=v2` (keys and values URL-encoded, as the SDKs write them). Unknown `$.` system
 * keys are dropped, as IoT Hub drops them; a key that could reach an object's prototype, or a
 * malformed escape, is refused.
 */
export function parsePropertyBag(bag: string): PropertyBag {
  const out: PropertyBag = { properties: {} };
  if (bag === '') return out;
  for (const pair of bag.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = decode(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? '' : decode(pair.slice(eq + 1));
    if (key === '') throw new PropertyBagError('A property in the topic has no name');
    const system = SYSTEM.get(key);
    if (system) out[system] = value;
    else if (key.startsWith('$.')) continue;
    else if (isForbiddenKey(key))
      throw new PropertyBagError(`The application property '${key}' is not allowed`);
    else out.properties[key] = value;
  }
  return out;
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, '%20'));
  } catch {
    throw new PropertyBagError('The topic holds a malformed URL escape');
  }
}
