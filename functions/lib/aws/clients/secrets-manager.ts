/** Secrets Manager clients per region. */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CLIENT_DEFAULTS, perRegion } from './defaults.ts';

/** Secrets Manager in a region, built once per region. */
export const secretsManagerClientFor = perRegion(
  (region) => new SecretsManagerClient({ region, ...CLIENT_DEFAULTS }),
);
