import rhea from 'rhea';
import type { Reader, Writer } from 'rhea/typings/types';

// rhea has its codec classes at run time; its typings leave them off `types`.
const codec = rhea.types as unknown as { Reader: typeof Reader; Writer: typeof Writer };

const HEADER = 0x70;
const DELIVERY_ANNOTATIONS = 0x71;
const MESSAGE_ANNOTATIONS = 0x72;
const SYMBOLIC: Record<string, number> = {
  'amqp:header:list': HEADER,
  'amqp:delivery-annotations:map': DELIVERY_ANNOTATIONS,
  'amqp:message-annotations:map': MESSAGE_ANNOTATIONS,
};

function sectionCode(descriptor: unknown): number | undefined {
  const value = (descriptor as { value?: unknown } | undefined)?.value;
  if (typeof value === 'number') return value;
  return typeof value === 'string' ? SYMBOLIC[value] : undefined;
}

/**
 * The encoded AMQP message with `annotations` merged into its message annotations, every other
 * section kept byte for byte (header, properties, application properties, body as sent), so a
 * receiver gets back exactly what the sender encoded, plus what the broker stamps on it.
 */
export function withAnnotations(message: Buffer, annotations: Record<string, unknown>): Buffer {
  const reader = new codec.Reader(message);
  let before = 0;
  let after = 0;
  let existing: object = {};
  // Sections come in a fixed order: header, delivery annotations, message annotations, then the
  // rest; reading stops there, so the body is never decoded.
  while (reader.remaining() > 0) {
    const start = reader.position;
    const section = reader.read() as { descriptor?: unknown };
    const code = sectionCode(section.descriptor);
    if (code === HEADER || code === DELIVERY_ANNOTATIONS) {
      before = after = reader.position;
    } else if (code === MESSAGE_ANNOTATIONS) {
      existing = rhea.types.unwrap_map_simple(section);
      before = start;
      after = reader.position;
      break;
    } else {
      break;
    }
  }
  const writer = new codec.Writer();
  writer.write(
    rhea.types.described_nc(
      rhea.types.wrap_ulong(MESSAGE_ANNOTATIONS),
      rhea.types.wrap_symbolic_map({ ...existing, ...annotations }),
    ) as rhea.Typed,
  );
  return Buffer.concat([message.subarray(0, before), writer.toBuffer(), message.subarray(after)]);
}
