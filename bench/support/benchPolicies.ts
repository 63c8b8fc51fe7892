import { randomBytes } from 'node:crypto';
import {
  BUILT_IN_POLICY_RIGHTS,
  type SharedAccessPolicy,
} from '../../src/domain/auth/SharedAccessPolicy';

/** The built-in policies with fresh random keys, for a benchmark's runtime. */
export const benchPolicies = (): Map<string, SharedAccessPolicy> =>
  new Map(
    Object.entries(BUILT_IN_POLICY_RIGHTS).map(([keyName, rights]) => [
      keyName,
      {
        keyName,
        rights,
        primaryKey: randomBytes(32).toString('base64'),
        secondaryKey: randomBytes(32).toString('base64'),
      },
    ]),
  );
