import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface HttpReply {
  status: number;
  headers: Headers;
  text: string;
}

/**
 * One request over node:http(s) rather than fetch: Node 20's fetch cannot be given a CA to
 * trust without the undici package, and the local host's certificate is self-signed.
 */
export function sendRequest(
  url: URL,
  init: { method: string; headers: Record<string, string>; body?: string; ca?: string[] },
): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const options = {
      method: init.method,
      headers: {
        ...init.headers,
        ...(init.body === undefined ? {} : { 'content-length': Buffer.byteLength(init.body) }),
      },
    };
    const req =
      url.protocol === 'https:'
        ? httpsRequest(url, init.ca ? { ...options, ca: init.ca } : options)
        : httpRequest(url, options);
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const headers = new Headers();
        for (const [name, value] of Object.entries(res.headers))
          if (value !== undefined)
            headers.set(name, Array.isArray(value) ? value.join(', ') : value);
        resolve({
          status: res.statusCode ?? 0,
          headers,
          text: Buffer.concat(chunks).toString('utf8'),
        });
      });
    });
    req.end(init.body);
  });
}
