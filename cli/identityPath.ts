const enc = encodeURIComponent;

/** `/devices/{id}[/modules/{mid}]` (or under `/twins`), IDs percent-encoded as the API wants. */
export const identityPath = (
  root: '/devices' | '/twins',
  deviceId: string,
  moduleId?: string,
): string => `${root}/${enc(deviceId)}${moduleId ? `/modules/${enc(moduleId)}` : ''}`;
