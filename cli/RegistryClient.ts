import { sign } from '../src/domain/auth/signatureMatches';

/** What a failed call tells the caller, and the exit code scripts can rely on. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const EXIT = { ok: 0, usage: 2, notFound: 3, refused: 4, unavailable: 5 } as const;

export interface Connection {
  hostName: string;
  keyName: string;
  key: string;
  baseUrl: string;
}

/** `HostName=…;SharedAccessKeyName=…;SharedAccessKey=…`, as the portal and `npm start` print it. */
export function parseConnectionString(text: string | undefined, url?: string): Connection {
  if (!text)
    throw new CliError(
      'No connection string: set IOTHUB_CONNECTION_STRING or pass --login "HostName=…;SharedAccessKeyName=…;SharedAccessKey=…"',
      EXIT.usage,
    );
  const parts = new Map(
    text.split(';').flatMap((p) => {
      const i = p.indexOf('=');
      return i > 0 ? [[p.slice(0, i).trim().toLowerCase(), p.slice(i + 1).trim()] as const] : [];
    }),
  );
  const hostName = parts.get('hostname');
  const keyName = parts.get('sharedaccesskeyname');
  const key = parts.get('sharedaccesskey');
  if (!hostName || !keyName || !key)
    throw new CliError(
      'The connection string needs HostName, SharedAccessKeyName and SharedAccessKey',
      EXIT.usage,
    );
  return { hostName, keyName, key, baseUrl: (url ?? `https://${hostName}`).replace(/\/+$/, '') };
}

/** IoT Hub signs the URL-encoded resource and the expiry. */
function token(resource: string, key: string, seconds: number): string {
  const sr = encodeURIComponent(resource);
  const se = Math.floor(Date.now() / 1000) + seconds;
  return `SharedAccessSignature sr=${sr}&sig=${encodeURIComponent(sign(key, sr, se))}&se=${se}`;
}

export const policyToken = (c: Connection, seconds: number): string =>
  `${token(c.hostName, c.key, seconds)}&skn=${encodeURIComponent(c.keyName)}`;

export const deviceToken = (resource: string, key: string, seconds: number): string =>
  token(resource, key, seconds);

/** The registry's service API, as the SDKs call it. */
export class RegistryClient {
  constructor(private readonly c: Connection) {}

  async call<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<T> {
    return (await this.exchange<T>(method, path, body, headers)).body;
  }

  /** A call whose reply headers matter too (a query's continuation). */
  async exchange<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ body: T; headers: Headers }> {
    const url = `${this.c.baseUrl}${path}${path.includes('?') ? '&' : '?'}api-version=2021-04-12`;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: {
          authorization: policyToken(this.c, 3600),
          ...(body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' }),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new CliError(
        `Cannot reach ${this.c.baseUrl} (${(error as Error).cause ? String((error as { cause: unknown }).cause) : (error as Error).message}): check the host name, or pass --url`,
        EXIT.unavailable,
      );
    }
    const text = await res.text();
    if (res.ok) return { body: (text ? JSON.parse(text) : undefined) as T, headers: res.headers };
    const message =
      /^ErrorCode:[A-Za-z]+;(.*)$/s.exec(
        (JSON.parse(text || '{}') as { Message?: string }).Message ?? '',
      )?.[1] ?? `HTTP ${res.status}`;
    const code = res.headers.get('iothub-errorcode') ?? String(res.status);
    throw new CliError(
      `${code}: ${message}`,
      res.status === 404 ? EXIT.notFound : res.status >= 500 ? EXIT.unavailable : EXIT.refused,
    );
  }
}
