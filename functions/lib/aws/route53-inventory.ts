/**
 * {@link DnsInventory} from the Route 53 control plane: `ListResourceRecordSets` (the relay name's
 * record sets, a failover pair included) and `GetHealthCheck` (`NoSuchHealthCheck` -> null). Both
 * are control-plane reads served from us-east-1: continuous readiness only, never a recovery step.
 */
import {
  GetHealthCheckCommand,
  type GetHealthCheckCommandOutput,
  ListResourceRecordSetsCommand,
  type ResourceRecordSet,
  type Route53Client,
} from '@aws-sdk/client-route-53';
import { bareHostedZoneId, isRecordSet } from '../dns-record.ts';
import type { DnsInventory, DnsInventoryHealthCheck, DnsInventoryRecord } from '../ports.ts';
import { awsErrorName, callAws, classifyAwsError } from './errors.ts';

/** Settings of {@link Route53Inventory}. */
export interface Route53InventoryOptions {
  client: Route53Client;
  hostedZoneId: string;
  recordName: string;
  recordType: 'A' | 'AAAA' | 'CNAME';
}

/** The relay name's record sets and health checks as Route 53 lists them. */
export class Route53Inventory implements DnsInventory {
  private readonly opts: Route53InventoryOptions;
  constructor(opts: Route53InventoryOptions) {
    this.opts = opts;
  }

  async recordSets(): Promise<DnsInventoryRecord[]> {
    const { recordName, recordType } = this.opts;
    const HostedZoneId = bareHostedZoneId(this.opts.hostedZoneId);
    const mine: ResourceRecordSet[] = [];
    // Sets are listed in (name, type, set identifier) order from the start point; follow the pages
    // while they are still this name and type (a failover pair is 2 sets, a weighted set more).
    let next: { name: string; type: string; id?: string } | undefined = {
      name: recordName,
      type: recordType,
    };
    while (next) {
      const page = await callAws('route53:ListResourceRecordSets', () =>
        this.opts.client.send(
          new ListResourceRecordSetsCommand({
            HostedZoneId,
            StartRecordName: next!.name,
            StartRecordType: next!.type as 'A',
            ...(next!.id ? { StartRecordIdentifier: next!.id } : {}),
            MaxItems: 10,
          }),
        ),
      );
      const sets = page.ResourceRecordSets ?? [];
      const same = sets.filter((r) => isRecordSet(r, recordName, recordType));
      mine.push(...same);
      next =
        page.IsTruncated && same.length === sets.length && page.NextRecordName
          ? {
              name: page.NextRecordName,
              type: page.NextRecordType ?? recordType,
              id: page.NextRecordIdentifier,
            }
          : undefined;
    }
    return mine.map((r) => ({
      ...(r.SetIdentifier ? { setIdentifier: r.SetIdentifier } : {}),
      ...(r.Failover ? { failover: r.Failover } : {}),
      ...(r.HealthCheckId ? { healthCheckId: r.HealthCheckId } : {}),
      values: (r.ResourceRecords ?? []).map((v) => v.Value ?? ''),
      ...(r.AliasTarget?.DNSName ? { aliasTarget: r.AliasTarget.DNSName } : {}),
    }));
  }

  async healthCheck(id: string): Promise<DnsInventoryHealthCheck | null> {
    let out: GetHealthCheckCommandOutput;
    try {
      out = await this.opts.client.send(new GetHealthCheckCommand({ HealthCheckId: id }));
    } catch (e) {
      if (awsErrorName(e) === 'NoSuchHealthCheck') return null;
      throw classifyAwsError(e, 'route53:GetHealthCheck');
    }
    const c = out.HealthCheck?.HealthCheckConfig;
    return {
      id,
      type: c?.Type ?? 'UNKNOWN',
      ...(c?.RoutingControlArn ? { routingControlArn: c.RoutingControlArn } : {}),
      ...(c?.AlarmIdentifier?.Name && c.AlarmIdentifier.Region
        ? { alarm: { name: c.AlarmIdentifier.Name, region: c.AlarmIdentifier.Region } }
        : {}),
      ...(c?.InsufficientDataHealthStatus
        ? { insufficientDataHealthStatus: c.InsufficientDataHealthStatus }
        : {}),
    };
  }
}
