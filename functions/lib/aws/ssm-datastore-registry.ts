/**
 * {@link DatastoreRegistry} in an SSM parameter per region (`/gloo-failover/<name>/redis-datastore`,
 * a JSON String parameter). Each region's steps read their own region's copy (no cross-region call
 * on the recovery path); re-protection writes every region's copy, since it runs only when both
 * regions answer. The parameter is NOT created by the stack: a redeploy must never reset it. No
 * parameter -> null -> the static topology.
 */
import { PutParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import type { DatastoreRecord, DatastoreRegistry } from '../ports.ts';
import { AWS_REGIONS, type Region } from '../topology.ts';
import * as z from '../z.ts';
import { callAws, classifyAwsError } from './errors.ts';
import { getParameterValue } from './ssm-parameters.ts';

/** The parameter name of a management plane's datastore record. */
export function datastoreParameterName(topologyName: string): string {
  return `/gloo-failover/${topologyName}/redis-datastore`;
}

/** A stored record (validated on read: a hand-edited parameter fails with the field named). */
export const DatastoreRecordSchema = z.strictObject({
  generation: z.number().check(z.int(), z.gte(1)),
  globalReplicationGroupId: z.optional(z.string().check(z.minLength(1), z.maxLength(255))),
  members: z.partialRecord(
    z.enum(AWS_REGIONS),
    z.strictObject({
      endpoint: z.string().check(z.minLength(3), z.maxLength(300)),
      replicationGroupId: z.optional(z.string().check(z.minLength(1), z.maxLength(40))),
    }),
  ),
  recordedAt: z.string(),
  recordedBy: z.string().check(z.maxLength(2048)),
});

/** Settings of {@link SsmDatastoreRegistry}. */
export interface SsmDatastoreRegistryOptions {
  parameterName: string;
  /** This region (read from here). */
  region: Region;
  /** Every region that keeps a copy (written on re-protection). */
  regions: Region[];
  /** SSM client of a region (reads). */
  clientFor: (region: Region) => SSMClient;
}

/** The datastore record in SSM Parameter Store. */
export class SsmDatastoreRegistry implements DatastoreRegistry {
  private readonly opts: SsmDatastoreRegistryOptions;
  constructor(opts: SsmDatastoreRegistryOptions) {
    this.opts = opts;
  }

  async read(): Promise<DatastoreRecord | null> {
    const value = await getParameterValue(
      this.opts.clientFor(this.opts.region),
      this.opts.parameterName,
    ).catch((e: unknown) => {
      throw classifyAwsError(e, 'ssm:GetParameter');
    });
    if (!value) return null;
    const parsed = DatastoreRecordSchema.safeParse(JSON.parse(value));
    if (!parsed.success)
      throw new Error(
        `SSM parameter ${this.opts.parameterName} is not a datastore record: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    return parsed.data;
  }

  async write(rec: DatastoreRecord): Promise<void> {
    const Value = JSON.stringify(DatastoreRecordSchema.parse(rec));
    // PutParameter with Overwrite is idempotent: a retry after a lost response writes the same value.
    for (const region of this.opts.regions)
      await callAws('ssm:PutParameter', () =>
        this.opts.clientFor(region).send(
          new PutParameterCommand({
            Name: this.opts.parameterName,
            Value,
            Type: 'String',
            Overwrite: true,
            Description:
              'gloo-failover: the Redis datastore after re-protection (written by the reprotect workflow)',
          }),
        ),
      );
  }
}
