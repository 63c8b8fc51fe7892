/** Matches a request path against an Azure Functions route template like `devices/{deviceId}`. */
export type RouteMatcher = (segments: readonly string[]) => Record<string, string> | null;

export function compileRoute(template: string): RouteMatcher {
  const parts = template.split('/').filter((p) => p !== '');
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
