import type { Settings } from './Settings';

/**
 * The host name SAS tokens must name in `sr`, whatever host a request says it is for (the Host
 * header is the caller's to choose: binding to it would let a token for another hub that shares
 * keys read this one). IOTHUB_HOST_NAME when set; else, in Azure, the app's default host name
 * (WEBSITE_HOSTNAME, which App Service sets; the SDKs put no port in HostName, so none here);
 * else `localhost`, the host name `npm start` prints in its connection string.
 */
export function hubHostName(
  settings: Pick<Settings, 'IOTHUB_HOST_NAME' | 'WEBSITE_HOSTNAME'>,
): string {
  const website = settings.WEBSITE_HOSTNAME?.replace(/:\d+$/, '');
  return (settings.IOTHUB_HOST_NAME ?? (website || undefined) ?? 'localhost').toLowerCase();
}
