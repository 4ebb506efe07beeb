/**
 * {@link DnsPointer} over a Route 53 record. The switch is one `ChangeResourceRecordSets` batch,
 * `DELETE` (exactly the expected record: name, type, TTL, values) + `CREATE` (the new one): Route 53
 * applies a batch all or nothing and refuses a `DELETE` that does not match, so the batch is a
 * compare-and-swap. `GetChange` tells when every Route 53 name server has it (`INSYNC`).
 */
import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  ListResourceRecordSetsCommand,
  type ResourceRecordSet,
  type Route53Client,
} from '@aws-sdk/client-route-53';
import { bareHostedZoneId, isRecordSet, sameDnsRecord, showDnsRecord } from '../dns-record.ts';
import { DnsChangeConflict, DnsRecordUnexpected, InvalidInput } from '../errors.ts';
import type { DnsPointer, DnsRecord, DnsSwapResult } from '../ports.ts';
import { awsErrorDetails, awsErrorName, callAws, classifyAwsError, isUnansweredError } from './errors.ts';

/** Settings of {@link Route53DnsPointer}. */
export interface Route53DnsPointerOptions {
  /** For reads (`ListResourceRecordSets`, `GetChange`). */
  client: Route53Client;
  /** For `ChangeResourceRecordSets`: a client without SDK retries (clients.ts). Defaults to `client`. */
  writeClient?: Route53Client;
  /** e.g. `Z0123456789ABCDEFGHIJ` (a `/hostedzone/` prefix is accepted). */
  hostedZoneId: string;
  /** The relay name agents resolve, e.g. `mgmt.example.com` (trailing dot optional). */
  recordName: string;
  recordType: 'A' | 'AAAA' | 'CNAME';
  /** The change batch comment (at most 256 characters); default names the tool and the switch. */
  comment?: string;
}

export { normaliseDnsName, sameDnsRecord } from '../dns-record.ts';

/** Route 53 record compare-and-swap. */
export class Route53DnsPointer implements DnsPointer {
  private readonly opts: Route53DnsPointerOptions;
  private readonly zoneId: string;
  constructor(opts: Route53DnsPointerOptions) {
    this.opts = opts;
    this.zoneId = bareHostedZoneId(opts.hostedZoneId);
  }

  async read(): Promise<DnsRecord | null> {
    const { recordName, recordType } = this.opts;
    const out = await callAws('route53:ListResourceRecordSets', () =>
      this.opts.client.send(
        new ListResourceRecordSetsCommand({
          HostedZoneId: this.zoneId,
          StartRecordName: recordName,
          StartRecordType: recordType,
          MaxItems: 1,
        }),
      ),
    );
    // The list starts at the first record >= (name, type): it may be a different one.
    const rr: ResourceRecordSet | undefined = out.ResourceRecordSets?.[0];
    if (!rr || !isRecordSet(rr, recordName, recordType)) return null;
    const where = { hostedZoneId: this.zoneId, recordName, recordType };
    if (rr.AliasTarget)
      throw new DnsRecordUnexpected(
        `${recordName} ${recordType} is an alias record (to ${rr.AliasTarget.DNSName}); expected a plain record`,
        { ...where, aliasTarget: rr.AliasTarget.DNSName },
      );
    if (rr.SetIdentifier)
      throw new DnsRecordUnexpected(
        `${recordName} ${recordType} uses a routing policy (set identifier "${rr.SetIdentifier}"); expected one simple record`,
        { ...where, setIdentifier: rr.SetIdentifier, failover: rr.Failover, weight: rr.Weight },
      );
    if (rr.TTL === undefined || !rr.ResourceRecords?.length)
      throw new DnsRecordUnexpected(`${recordName} ${recordType} has no TTL or no values`, where);
    return { ttl: rr.TTL, values: rr.ResourceRecords.map((r) => r.Value ?? '') };
  }

  async compareAndSwap(req: {
    expected: DnsRecord;
    next: DnsRecord;
    dryRun: boolean;
  }): Promise<DnsSwapResult> {
    const { expected, next, dryRun } = req;
    const { recordName, recordType } = this.opts;
    const current = await this.read();
    if (current && sameDnsRecord(recordType, current, next)) return { outcome: 'already', changeId: null };
    if (!current || !sameDnsRecord(recordType, current, expected))
      throw new DnsChangeConflict(
        `${recordName} ${recordType} is ${showDnsRecord(current)}, not the expected ${showDnsRecord(expected)}; nothing was changed`,
        { recordName, recordType, expected, next, current },
      );
    if (dryRun) return { outcome: 'would-change', changeId: null };

    const set = (r: DnsRecord): ResourceRecordSet => ({
      Name: recordName,
      Type: recordType,
      TTL: r.ttl,
      ResourceRecords: r.values.map((Value) => ({ Value })),
    });
    const comment = (
      this.opts.comment ??
      `gloo-mgmt-failover: ${recordName} ${showDnsRecord(expected)} -> ${showDnsRecord(next)}`
    ).slice(0, 256);
    try {
      const out = await (this.opts.writeClient ?? this.opts.client).send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: this.zoneId,
          ChangeBatch: {
            Comment: comment,
            Changes: [
              { Action: 'DELETE', ResourceRecordSet: set(expected) },
              { Action: 'CREATE', ResourceRecordSet: set(next) },
            ],
          },
        }),
      );
      const id = out.ChangeInfo?.Id;
      if (!id) throw new Error('ChangeResourceRecordSets returned no ChangeInfo.Id');
      return { outcome: 'changed', changeId: id };
    } catch (e) {
      if (awsErrorName(e) === 'InvalidChangeBatch') return this.rejected(e, expected, next);
      if (isUnansweredError(e)) return this.unanswered(e, next);
      throw classifyAwsError(e, 'route53:ChangeResourceRecordSets');
    }
  }

  /**
   * The change got no answer: it may have been applied (a lost response). Read the record: already
   * `next` -> done ("already"; the change id is lost with the response, so there is nothing to poll);
   * otherwise a TransientError, and the ASL retry reads first again.
   */
  private async unanswered(e: unknown, next: DnsRecord): Promise<DnsSwapResult> {
    const after = await this.read().catch(() => undefined);
    if (after && sameDnsRecord(this.opts.recordType, after, next))
      return { outcome: 'already', changeId: null };
    throw classifyAwsError(e, 'route53:ChangeResourceRecordSets');
  }

  /**
   * Route 53 refused the batch: find out whether the record already is `next` (our own earlier,
   * applied change whose response was lost: success), moved elsewhere (a conflict) or the batch was bad.
   */
  private async rejected(e: unknown, expected: DnsRecord, next: DnsRecord): Promise<DnsSwapResult> {
    const { recordName, recordType } = this.opts;
    const messages = (e as { messages?: string[] }).messages ?? [(e as Error).message];
    let after: DnsRecord | null | undefined;
    let readError: string | undefined;
    try {
      after = await this.read();
    } catch (re) {
      readError = `${awsErrorName(re)}: ${(re as Error).message}`;
    }
    const details = {
      recordName,
      recordType,
      expected,
      next,
      current: after ?? null,
      messages,
      ...awsErrorDetails(e),
    };
    if (after && sameDnsRecord(recordType, after, next)) return { outcome: 'already', changeId: null };
    if (after && sameDnsRecord(recordType, after, expected))
      // Still exactly what we meant to delete: the batch itself was invalid (e.g. a bad address).
      throw new InvalidInput(
        `Route 53 rejected the change of ${recordName} ${recordType} to ${showDnsRecord(next)}: ${messages.join('; ')}; the record is unchanged`,
        details,
      );
    throw new DnsChangeConflict(
      `${recordName} ${recordType} changed meanwhile (now ${readError ? `unreadable: ${readError}` : showDnsRecord(after ?? null)}); Route 53 refused the swap and nothing was overwritten: ${messages.join('; ')}`,
      readError ? { ...details, readError } : details,
    );
  }

  async changeStatus(changeId: string): Promise<'PENDING' | 'INSYNC'> {
    const out = await callAws('route53:GetChange', () =>
      this.opts.client.send(new GetChangeCommand({ Id: changeId.replace(/^\/change\//, '') })),
    );
    const status = out.ChangeInfo?.Status;
    if (status !== 'PENDING' && status !== 'INSYNC')
      throw new Error(`GetChange ${changeId} returned an unknown status ${String(status)}`);
    return status;
  }
}
