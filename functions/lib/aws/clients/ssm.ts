/** SSM Parameter Store clients per region (the datastore record re-protection writes; the active-server signal). */
import { SSMClient } from '@aws-sdk/client-ssm';
import { CLIENT_DEFAULTS, MUTATING_CLIENT_DEFAULTS, perRegion } from './defaults.ts';

/** SSM in a region, built once per region. */
export const ssmClientFor = perRegion((region) => new SSMClient({ region, ...CLIENT_DEFAULTS }));

/** SSM in a region with ONE attempt (no SDK retries): for read-then-write parameter updates. */
export const ssmWriteClientFor = perRegion(
  (region) => new SSMClient({ region, ...MUTATING_CLIENT_DEFAULTS }),
);
