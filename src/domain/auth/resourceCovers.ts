/**
 * Whether a token's resource (`sr`, URL-decoded) grants the requested resource: it must be the
 * same resource or a segment-prefix of it, compared case-insensitively on the host part.
 */
export function resourceCovers(tokenResource: string, requested: string): boolean {
  let granted: string;
  try {
    granted = decodeURIComponent(tokenResource);
  } catch {
    return false;
  }
  const norm = (r: string) => r.replace(/^https?:\/\//i, '').replace(/\/+$/, '');
  const [gHost = '', ...gPath] = norm(granted).split('/');
  const [rHost = '', ...rPath] = norm(requested).split('/');
  if (gHost.toLowerCase() !== rHost.toLowerCase() || gPath.length > rPath.length) return false;
  return gPath.every((segment, i) => segment === rPath[i]);
}
