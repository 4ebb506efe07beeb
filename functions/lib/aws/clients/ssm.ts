/** SSM Parameter Store clients per region (the datastore record re-protection writes). */
import { SSMClient } from '@aws-sdk/client-ssm';
import { CLIENT_DEFAULTS, perRegion } from './defaults.ts';

/** SSM in a region, built once and traced. */
export const ssmClientFor = perRegion((region) => new SSMClient({ region, ...CLIENT_DEFAULTS }));
