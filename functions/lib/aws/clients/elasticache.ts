/** ElastiCache clients per region (the Global Datastore adapter asks each member's region). */
import { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { CLIENT_DEFAULTS, MUTATING_CLIENT_DEFAULTS, perRegion } from './defaults.ts';

/** ElastiCache in a region, built once per region. */
export const elastiCacheClientFor = perRegion(
  (region) => new ElastiCacheClient({ region, ...CLIENT_DEFAULTS }),
);

/** ElastiCache in a region for mutating calls (no SDK retries; see {@link MUTATING_CLIENT_DEFAULTS}). */
export const elastiCacheWriteClientFor = perRegion(
  (region) => new ElastiCacheClient({ region, ...MUTATING_CLIENT_DEFAULTS }),
);
