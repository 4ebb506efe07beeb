/** The active-server signal's ports: SSM in each region (no SDK retries), the HTTPS poster, keys from Secrets Manager. */
import type { ActiveSignalPorts } from '../active-signal.ts';
import { ownRegion } from '../aws/clients/defaults.ts';
import { secretsManagerClientFor } from '../aws/clients/secrets-manager.ts';
import { ssmWriteClientFor } from '../aws/clients/ssm.ts';
import { getSecretJson } from '../aws/secrets.ts';
import { SsmParameterStore } from '../aws/ssm-parameters.ts';
import type { Clock } from '../clock.ts';
import { httpsPoster } from '../https-post.ts';
import { secretPem } from '../readiness.ts';

/** The deployed signal ports. */
export function activeSignalPorts(clock: Clock): ActiveSignalPorts {
  const secretJson = (id: string) => getSecretJson(secretsManagerClientFor(ownRegion()), id);
  return {
    clock,
    parameters: new SsmParameterStore(ssmWriteClientFor),
    webhook: httpsPoster,
    webhookKey: async (secret) => {
      const s = await secretJson(secret);
      if (typeof s.key !== 'string' || s.key.length < 16)
        throw new Error(`secret ${secret}: "key" must be a string of at least 16 characters`);
      return s.key;
    },
    pem: secretPem(secretJson),
  };
}
