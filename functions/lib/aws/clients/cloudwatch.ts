/** CloudWatch clients per region (alarms live where they were created). */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CLIENT_DEFAULTS, perRegion } from './defaults.ts';

/** CloudWatch in a region, built once per region. */
export const cloudWatchClientFor = perRegion(
  (region) => new CloudWatchClient({ region, ...CLIENT_DEFAULTS }),
);
