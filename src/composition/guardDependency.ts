import {
  DependencyUnavailable,
  type Dependency,
  type DependencyHealth,
} from '../application/health/DependencyHealth';
import { isDefiniteOutage, outageOf } from '../adapters/outageOf';

/**
 * Wraps an adapter (a port): a call that fails because the dependency is unreachable becomes a
 * 503 `ServiceUnavailable` with Retry-After and marks it down; while it is down, calls fail at
 * once (but for one trial a second); any answer marks it up. Other failures pass unchanged.
 */
export function guardDependency<T extends object>(
  adapter: T,
  name: Dependency,
  health: DependencyHealth,
): T {
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(adapter, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function' || property === 'constructor') return value;
      const known = wrapped.get(property);
      if (known) return known;
      // Only async methods reach the dependency; the others (pure helpers) pass as they are.
      const reaches =
        (value as { constructor?: { name?: string } }).constructor?.name === 'AsyncFunction';
      const guarded = (...args: unknown[]) => {
        if (reaches && !health.shouldTry(name)) return Promise.reject(health.unavailable(name));
        const result: unknown = value.apply(target, args);
        if (!(result instanceof Promise)) return result;
        return result.then(
          (answer: unknown) => {
            health.succeeded(name);
            return answer;
          },
          (error: unknown) => {
            // Another dependency's outage, found by an adapter this one calls: not this one's.
            if (error instanceof DependencyUnavailable) throw error;
            const outage = outageOf(error);
            if (outage === null) {
              health.succeeded(name);
              throw error;
            }
            health.failed(name, outage, isDefiniteOutage(outage));
            throw health.unavailable(name);
          },
        );
      };
      wrapped.set(property, guarded);
      return guarded;
    },
  });
}
