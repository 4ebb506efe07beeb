/** EventBridge clients per region. */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { CLIENT_DEFAULTS, perRegion } from './defaults.ts';

/** EventBridge in a region, built once per region. */
export const eventBridgeClientFor = perRegion(
  (region) => new EventBridgeClient({ region, ...CLIENT_DEFAULTS }),
);
