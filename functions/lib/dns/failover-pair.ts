/**
 * The vendor's DNS shape: the relay name served by a PRIMARY/SECONDARY pair of Route 53 failover
 * records (alias records to each region's internal NLB, as external-dns publishes them in the
 * vendor's AWS HA demo, or plain records), each with a health check. Turns the records as
 * `ListResourceRecordSets` returns them into the topology's `dns.failover` and `dns.values`.
 */
import type { ResourceRecordSet } from '@aws-sdk/client-route-53';
import { normaliseDnsName } from '../dns-record.ts';
import { InvalidTopology } from '../errors.ts';

/** A server as the mapping needs it. */
export interface PairServer {
  id: string;
  region: string;
}

/** What {@link failoverPairFromRecordSets} returns: the topology's `dns.failover` and `dns.values`. */
export interface ImportedPair {
  failover: {
    primary: ImportedRecord;
    secondary: ImportedRecord;
  };
  values: Record<string, string>;
}

interface ImportedRecord {
  server: string;
  setIdentifier: string;
  healthCheckId: string;
  alias?: { hostedZoneId: string; dnsName: string; evaluateTargetHealth: boolean };
}

/** The region an AWS load balancer's DNS name belongs to (`….elb.us-east-1.amazonaws.com`). */
function regionOfTarget(dnsName: string): string | undefined {
  return /\.elb\.([a-z]{2}(-gov)?-[a-z]+-\d)\.amazonaws\.com\.?$/.exec(dnsName)?.[1];
}

/**
 * Maps the failover records of `recordName`/`recordType` to the servers: an alias record to its
 * server by the region in the target's name (or by `values`), a plain record by its value in
 * `values`. Refuses a set that is not exactly one PRIMARY and one SECONDARY with health checks.
 */
export function failoverPairFromRecordSets(
  recordSets: ResourceRecordSet[],
  recordName: string,
  recordType: string,
  servers: PairServer[],
  values: Record<string, string> = {},
): ImportedPair {
  const name = normaliseDnsName(recordName);
  const mine = recordSets.filter((r) => r.Name && normaliseDnsName(r.Name) === name && r.Type === recordType);
  const problems: string[] = [];
  const byRole = (role: 'PRIMARY' | 'SECONDARY') => {
    const rs = mine.filter((r) => r.Failover === role);
    if (rs.length !== 1) problems.push(`expected exactly one ${role} failover record, found ${rs.length}`);
    return rs[0];
  };
  const primary = byRole('PRIMARY');
  const secondary = byRole('SECONDARY');
  const out: Partial<ImportedPair['failover']> = {};
  const outValues: Record<string, string> = {};
  for (const [role, r] of [
    ['primary', primary],
    ['secondary', secondary],
  ] as const) {
    if (!r) continue;
    if (!r.SetIdentifier) problems.push(`the ${role} record has no SetIdentifier`);
    if (!r.HealthCheckId) problems.push(`the ${role} record (${r.SetIdentifier}) has no HealthCheckId`);
    const value = r.AliasTarget?.DNSName ?? r.ResourceRecords?.[0]?.Value;
    if (!value) {
      problems.push(`the ${role} record (${r.SetIdentifier}) has neither an alias target nor a value`);
      continue;
    }
    const byValue = Object.entries(values).find(
      ([, v]) => normaliseDnsName(v) === normaliseDnsName(value),
    )?.[0];
    const region = r.AliasTarget ? regionOfTarget(r.AliasTarget.DNSName ?? '') : undefined;
    const server = byValue ?? servers.find((s) => s.region === region)?.id;
    if (!server) {
      problems.push(`cannot tell which server the ${role} record (${value}) points at`);
      continue;
    }
    outValues[server] = normaliseDnsName(value);
    out[role] = {
      server,
      setIdentifier: r.SetIdentifier ?? '',
      healthCheckId: r.HealthCheckId ?? '',
      ...(r.AliasTarget
        ? {
            alias: {
              hostedZoneId: r.AliasTarget.HostedZoneId ?? '',
              dnsName: normaliseDnsName(r.AliasTarget.DNSName ?? ''),
              evaluateTargetHealth: r.AliasTarget.EvaluateTargetHealth ?? false,
            },
          }
        : {}),
    };
  }
  if (problems.length || !out.primary || !out.secondary)
    throw new InvalidTopology(
      `the failover pair of ${recordName} ${recordType} cannot be used: ${problems.join('; ')}`,
      {
        issues: problems.map((message) => ({ path: 'dns.failover', message })),
      },
    );
  return { failover: { primary: out.primary, secondary: out.secondary }, values: outValues };
}
