import { inject } from 'vitest';
import { sign } from '../../src/domain/auth/signatureMatches';
import type { SharedAccessPolicy } from '../../src/domain/auth/SharedAccessPolicy';

export function policy(name: string): SharedAccessPolicy {
  const found = inject('stack').policies.find((p) => p.keyName === name);
  if (!found) throw new Error(`no policy ${name}`);
  return found;
}

/** A service token as the SDK makes it: sr is the bare host name. */
export function serviceToken(
  policyName = 'iothubowner',
  {
    sr = 'localhost',
    expiresInSeconds = 3600,
    key,
  }: { sr?: string; expiresInSeconds?: number; key?: string } = {},
): string {
  const p = policy(policyName);
  const se = Math.floor(Date.now() / 1000) + expiresInSeconds;
  const sig = encodeURIComponent(sign(key ?? p.primaryKey, sr, se));
  return `SharedAccessSignature sr=${sr}&sig=${sig}&se=${se}&skn=${p.keyName}`;
}

export interface ApiReply {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

/** One request to the local host over HTTP. */
export async function api(
  method: string,
  path: string,
  {
    body,
    headers = {},
    auth = serviceToken(),
    apiVersion = '2021-04-12',
    baseUrl = inject('stack').httpUrl,
  }: {
    baseUrl?: string;
    body?: unknown;
    headers?: Record<string, string>;
    auth?: string | null;
    apiVersion?: string | null;
  } = {},
): Promise<ApiReply> {
  const url = new URL(path, baseUrl);
  if (apiVersion !== null) url.searchParams.set('api-version', apiVersion);
  const res = await fetch(url, {
    method,
    headers: {
      ...(auth === null ? {} : { authorization: auth }),
      ...(body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' }),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** The IoT Hub error name of a reply, from body and header (they must agree). */
export function errorCode(reply: ApiReply): string | undefined {
  const fromBody = /^ErrorCode:([A-Za-z]+);/.exec(reply.json?.Message ?? '')?.[1];
  const fromHeader = reply.headers.get('iothub-errorcode') ?? undefined;
  if (fromBody !== fromHeader) throw new Error(`body says ${fromBody}, header says ${fromHeader}`);
  return fromBody;
}

let counter = 0;
export const uniqueId = (prefix = 'dev') =>
  `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter++}`;
