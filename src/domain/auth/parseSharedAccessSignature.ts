export interface SharedAccessSignatureFields {
  /** The resource exactly as sent: the signature covers this raw form. */
  sr: string;
  /** The signature, URL-decoded (base64). */
  sig: string;
  /** Expiry, seconds since the epoch. */
  se: number;
  /** Policy name, URL-decoded; absent for device-scoped tokens. */
  skn?: string | undefined;
}

const PREFIX = 'SharedAccessSignature ';

/** Parses an Authorization header value; null when it is not a well-formed SAS token. */
export function parseSharedAccessSignature(
  header: string | null | undefined,
): SharedAccessSignatureFields | null {
  if (!header?.startsWith(PREFIX)) return null;
  const fields = new Map<string, string>();
  for (const part of header.slice(PREFIX.length).trim().split('&')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return null;
    fields.set(part.slice(0, eq), part.slice(eq + 1));
  }
  const sr = fields.get('sr');
  const sig = fields.get('sig');
  const se = fields.get('se');
  if (!sr || !sig || !se || !/^\d{1,12}$/.test(se)) return null;
  try {
    const skn = fields.get('skn');
    return {
      sr,
      sig: decodeURIComponent(sig),
      se: Number(se),
      skn: skn === undefined ? undefined : decodeURIComponent(skn),
    };
  } catch {
    return null;
  }
}
