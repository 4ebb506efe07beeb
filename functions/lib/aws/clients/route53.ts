/** The Route 53 control-plane client. */
import { Route53Client } from '@aws-sdk/client-route-53';
import type { Region } from '../../topology.ts';
import { CLIENT_DEFAULTS, MUTATING_CLIENT_DEFAULTS, perRegion } from './defaults.ts';

const route53For = perRegion((region) => new Route53Client({ region, ...CLIENT_DEFAULTS }));
const route53WriteFor = perRegion((region) => new Route53Client({ region, ...MUTATING_CLIENT_DEFAULTS }));
const route53Partition = (region: Region) => (region.startsWith('us-gov-') ? 'us-gov-west-1' : 'us-east-1');

/**
 * Route 53. Its control plane is global (served from us-east-1 in the commercial partition): the
 * region only picks the partition, so pass a GovCloud region there and leave the default elsewhere.
 */
export function route53Client(region: Region = 'us-east-1'): Route53Client {
  return route53For(route53Partition(region));
}

/** Route 53 for record changes: no SDK retries (see {@link MUTATING_CLIENT_DEFAULTS}). */
export function route53WriteClient(region: Region = 'us-east-1'): Route53Client {
  return route53WriteFor(route53Partition(region));
}
