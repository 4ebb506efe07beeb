/** SNS clients per region. */
import { SNSClient } from '@aws-sdk/client-sns';
import { CLIENT_DEFAULTS, perRegion } from './defaults.ts';

/** SNS in a region, built once per region. */
export const snsClientFor = perRegion((region) => new SNSClient({ region, ...CLIENT_DEFAULTS }));
