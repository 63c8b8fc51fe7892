import { CliError, EXIT } from './CliError';
import type { Connection } from './parseConnectionString';
import type { RegistryTrust } from './registryTrust';
import { policyToken } from './sasTokens';
import { sendRequest, type HttpReply } from './sendRequest';

const NO_ADVICE: RegistryTrust = { advice: () => undefined };

/** The registry's service API, as the SDKs call it. */
export class RegistryClient {
  constructor(
    private readonly c: Connection,
    private readonly trust: RegistryTrust = NO_ADVICE,
  ) {}

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
    const url = new URL(
      `${this.c.baseUrl}${path}${path.includes('?') ? '&' : '?'}api-version=2021-04-12`,
    );
    let res: HttpReply;
    try {
      res = await sendRequest(url, {
        method,
        headers: {
          authorization: policyToken(this.c, 3600),
          ...(body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' }),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        ca: this.trust.ca,
      });
    } catch (error) {
      const reason = (error as Error).message;
      throw new CliError(
        `Cannot reach ${this.c.baseUrl} (${reason}): ${this.trust.advice(error) ?? 'check the host name, or pass --url'}`,
        EXIT.unavailable,
      );
    }
    const json = parseJson(res.text);
    if (res.status >= 200 && res.status < 300) {
      if (json === NOT_JSON)
        throw new CliError(
          `${this.c.baseUrl} answered ${res.status} with something that is not JSON: is it the registry?`,
          EXIT.unavailable,
        );
      return { body: json as T, headers: res.headers };
    }
    const reported = (json as { Message?: unknown } | null | undefined)?.Message;
    const message =
      /^ErrorCode:[A-Za-z]+;(.*)$/s.exec(typeof reported === 'string' ? reported : '')?.[1] ??
      `HTTP ${res.status}`;
    const code = res.headers.get('iothub-errorcode') ?? String(res.status);
    throw new CliError(
      `${code}: ${message}`,
      res.status === 404 ? EXIT.notFound : res.status >= 500 ? EXIT.unavailable : EXIT.refused,
    );
  }
}

const NOT_JSON = Symbol('not JSON');
function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return NOT_JSON;
  }
}
