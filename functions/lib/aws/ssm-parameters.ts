/**
 * The ParameterStore port on SSM (`GetParameter`, `PutParameter` with `Overwrite`, type String).
 * The clients make ONE attempt (no SDK retries): a repeated write after a lost response is
 * avoided by reading first, as every mutating adapter here does.
 */
import { GetParameterCommand, PutParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import type { ParameterStore } from '../active-signal.ts';
import type { Region } from '../topology.ts';
import { awsErrorName } from './errors.ts';

/** A parameter's value, or null when there is none (`ParameterNotFound`); other errors as the SDK threw them. */
export async function getParameterValue(client: SSMClient, name: string): Promise<string | null> {
  try {
    const out = await client.send(new GetParameterCommand({ Name: name }));
    return out.Parameter?.Value ?? null;
  } catch (e) {
    if (awsErrorName(e) === 'ParameterNotFound') return null;
    throw e;
  }
}

/** SSM parameters in any region, through `clientFor(region)`. */
export class SsmParameterStore implements ParameterStore {
  private readonly clientFor: (region: Region) => SSMClient;
  constructor(clientFor: (region: Region) => SSMClient) {
    this.clientFor = clientFor;
  }

  async get(region: Region, name: string): Promise<string | null> {
    return getParameterValue(this.clientFor(region), name).catch((e: unknown) => {
      throw new Error(`ssm:GetParameter in ${region}: ${awsErrorName(e)}`);
    });
  }

  async put(region: Region, name: string, value: string): Promise<void> {
    try {
      await this.clientFor(region).send(
        new PutParameterCommand({
          Name: name,
          Value: value,
          Type: 'String',
          Overwrite: true,
          Tier: 'Standard',
        }),
      );
    } catch (e) {
      throw new Error(`ssm:PutParameter in ${region}: ${awsErrorName(e)}`);
    }
  }
}
