/**
 * Matches a request path against an Azure Functions route template like `devices/{deviceId}`;
 * a last part `{*rest}` takes the remaining segments (none included), as the host's catch-all.
 */
export type RouteMatcher = (segments: readonly string[]) => Record<string, string> | null;

export function compileRoute(template: string): RouteMatcher {
  const all = template.split('/').filter((p) => p !== '');
  const last = all[all.length - 1] ?? '';
  const catchAll = /^\{\*(\w+)\}$/.exec(last)?.[1];
  const parts = catchAll === undefined ? all : all.slice(0, -1);
  return (segments) => {
    if (catchAll !== undefined) {
      if (segments.length < parts.length) return null;
      const rest = segments.slice(parts.length).filter((s) => s !== '');
      const params = compileFixed(parts)(segments.slice(0, parts.length));
      return params && { ...params, [catchAll]: rest.map((s) => decodeURIComponent(s)).join('/') };
    }
    return compileFixed(parts)(segments);
  };
}

function compileFixed(parts: readonly string[]): RouteMatcher {
  return (segments) => {
    if (segments.length !== parts.length) return null;
    const params: Record<string, string> = {};
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i] as string;
      const segment = segments[i] as string;
      if (part.startsWith('{') && part.endsWith('}')) {
        if (segment === '') return null;
        // Like the Functions host, hand the handler decoded route values.
        params[part.slice(1, -1)] = decodeURIComponent(segment);
      } else if (part.toLowerCase() !== segment.toLowerCase()) {
        return null;
      }
    }
    return params;
  };
}
