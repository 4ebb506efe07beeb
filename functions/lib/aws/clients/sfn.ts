/** Step Functions clients per region. */
import { SFNClient } from '@aws-sdk/client-sfn';
import { CLIENT_DEFAULTS, perRegion } from './defaults.ts';

/** Step Functions in a region, built once per region. */
export const sfnClientFor = perRegion((region) => new SFNClient({ region, ...CLIENT_DEFAULTS }));
