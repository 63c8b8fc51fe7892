import { CliError, EXIT } from './CliError';

export interface Connection {
  hostName: string;
  keyName: string;
  key: string;
  baseUrl: string;
}

/** `HostName=…;SharedAccessKeyName=…;SharedAccessKey=…`, as the portal and `npm start` print it. */
export function parseConnectionString(text: string | undefined, url?: string): Connection {
  if (!text?.trim())
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
  if (!URL.canParse(`https://${hostName}`))
    throw new CliError(
      `The connection string's HostName is not a host name: '${hostName}'`,
      EXIT.usage,
    );
  return { hostName, keyName, key, baseUrl: (url ?? `https://${hostName}`).replace(/\/+$/, '') };
}
