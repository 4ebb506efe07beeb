/**
 * The DNS switch modes (topology `dns.switch.mode`), what Route 53 answers for a failover pair, and
 * the projected time until agents resolve the new server, per mode (bench/run.ts reads it).
 *
 * Sources:
 * - Route 53 Developer Guide, "How Amazon Route 53 chooses records when health checking is
 *   configured": a healthy PRIMARY is answered; when it is unhealthy the healthy SECONDARY; when no
 *   record of the group is healthy, Route 53 considers them all healthy (so the PRIMARY is answered).
 * - Route 53 API reference, `HealthCheckConfig.Type` CLOUDWATCH_METRIC: alarm OK = healthy, ALARM =
 *   unhealthy, insufficient data = `InsufficientDataHealthStatus` (Healthy | Unhealthy | LastKnownStatus).
 * - Route 53 API reference, `GetChange`: PENDING until every Route 53 name server has the change,
 *   then INSYNC (REFERENCE.md: normally within 60 s).
 * - ARC Developer Guide, "Getting and updating routing control states using the ARC API": the
 *   cluster has five regional endpoints; at least three are always accessible; try them in turn.
 * - Route 53 Developer Guide, "How Amazon Route 53 determines whether a health check is healthy":
 *   checkers request every 10 or 30 seconds and a status changes after the failure threshold of
 *   consecutive results; the time a data-plane switch takes to reach the answer is therefore the
 *   health check's interval x failure threshold.
 * - Route 53 FAQ, DNS failover: alias records to an ELB load balancer have a fixed TTL of 60 s; Route
 *   53 Developer Guide, "Choosing between alias and non-alias records": an alias record takes the TTL
 *   of the AWS resource it points to (its own TTL cannot be set).
 */
import type { Topology } from './topology.ts';

/** A switch mode. */
export type DnsMode = Topology['dns']['switch']['mode'];

/** What each mode does, one line each (README and the drill print these). */
export const DNS_MODE_SUMMARY: Record<DnsMode, string> = {
  'route53-record':
    'compare-and-swap of one simple record with ChangeResourceRecordSets (Route 53 control plane, served from us-east-1)',
  'arc-routing-control':
    'UpdateRoutingControlStates (target On, source Off) on any of the ARC cluster’s five regional endpoints; each failover record’s health check follows its routing control (data plane)',
  'health-check-metric':
    'PutMetricData in the surviving region: the alarm behind the source record’s CloudWatch-metric health check goes to ALARM (data plane)',
};

/** Which server Route 53 answers for a failover pair, given each record's health. */
export function failoverAnswer(
  pair: { primary: string; secondary: string },
  healthy: (server: string) => boolean,
): string {
  if (healthy(pair.primary)) return pair.primary;
  if (healthy(pair.secondary)) return pair.secondary;
  // No record healthy: Route 53 considers every record healthy and answers the PRIMARY.
  return pair.primary;
}

/** Route 53's documented ceiling for a change to reach every name server (GetChange INSYNC). */
export const ROUTE53_INSYNC_SECONDS = 60;

/** One term of a projected DNS switch time. */
export interface DnsRtoTerm {
  name: string;
  seconds: number;
  /** Where the figure comes from. */
  source: string;
}

/** The projected time from the switch call to agents resolving the new server, for one mode. */
export interface DnsRtoBasis {
  mode: DnsMode;
  /** The formula in words, e.g. `health-check interval x failure threshold + TTL`. */
  basis: string;
  terms: DnsRtoTerm[];
  seconds: number;
}

/**
 * The projected DNS part of the RTO for `mode` under topology `t` (its TTL and, for the data-plane
 * modes, the configured reaction of the health checks; defaults where the mode is not configured).
 * `route53-record`: INSYNC + TTL. `arc-routing-control` and `health-check-metric`: health-check
 * interval x failure threshold + TTL.
 */
export function dnsRtoBasis(t: Topology, mode: DnsMode = t.dns.switch.mode): DnsRtoBasis {
  const ttl = resolverTtl(t, mode);
  if (mode === 'route53-record') {
    const terms = [
      {
        name: 'change INSYNC on every Route 53 name server',
        seconds: ROUTE53_INSYNC_SECONDS,
        source: 'Route 53 API reference, GetChange (normally within 60 s)',
      },
      ttl,
    ];
    return { mode, basis: 'INSYNC + TTL', terms, seconds: sum(terms) };
  }
  const sw = t.dns.switch;
  const reaction =
    sw.mode === mode && 'reaction' in sw
      ? sw.reaction
      : mode === 'arc-routing-control'
        ? { intervalSeconds: 10, failureThreshold: 1 }
        : { intervalSeconds: 60, failureThreshold: 1 };
  const terms = [
    {
      name:
        mode === 'arc-routing-control'
          ? 'routing-control health check reacts (interval x threshold)'
          : 'alarm period x evaluation periods, then the health check follows the alarm',
      seconds: reaction.intervalSeconds * reaction.failureThreshold,
      source:
        mode === 'arc-routing-control'
          ? 'topology dns.switch.reaction (assumption, see README)'
          : 'topology dns.switch.reaction: a standard-resolution alarm period (Route 53 supports no high-resolution alarm)',
    },
    ttl,
  ];
  return { mode, basis: 'health-check interval x failure threshold + TTL', terms, seconds: sum(terms) };
}

/** TTL of an alias record to an ELB load balancer (Route 53 FAQ, DNS failover: fixed, 60 s). */
export const ELB_ALIAS_TTL_SECONDS = 60;

/** An ELB load balancer's DNS name (`*.elb.amazonaws.com`, `*.elb.<region>.amazonaws.com`). */
const ELB_NAME = /\.elb(\.[a-z0-9-]+)?\.amazonaws\.com\.?$/i;

/**
 * How long resolvers keep the old answer once Route 53 answers the new one. `route53-record`
 * changes one simple record: its TTL (`dns.ttl`). The data-plane modes answer from the failover
 * pair: alias records to ELB load balancers (the vendor demo's internal NLBs) have the ELB's fixed
 * 60 s; other alias records take their target's TTL, taken here as `dns.ttl` (stated).
 */
export function resolverTtl(t: Topology, mode: DnsMode): DnsRtoTerm {
  const pair = t.dns.failover;
  if (mode === 'route53-record' || !pair)
    return { name: 'record TTL at resolvers', seconds: t.dns.ttl, source: 'topology dns.ttl' };
  const aliases = [pair.primary.alias, pair.secondary.alias];
  if (aliases.every((a) => a && ELB_NAME.test(a.dnsName)))
    return {
      name: 'alias record TTL at resolvers',
      seconds: ELB_ALIAS_TTL_SECONDS,
      source: 'failover alias records to ELB load balancers: fixed 60 s TTL (Route 53 FAQ, DNS failover)',
    };
  if (aliases.some(Boolean))
    return {
      name: 'alias record TTL at resolvers',
      seconds: t.dns.ttl,
      source: "an alias record takes its target's TTL (Route 53 Developer Guide); assumed equal to dns.ttl",
    };
  return { name: 'record TTL at resolvers', seconds: t.dns.ttl, source: 'topology dns.ttl' };
}

/** {@link dnsRtoBasis} for every mode, side by side (bench/run.ts prints them). */
export function dnsRtoByMode(t: Topology): DnsRtoBasis[] {
  return (['route53-record', 'arc-routing-control', 'health-check-metric'] as const).map((m) =>
    dnsRtoBasis(t, m),
  );
}

function sum(terms: DnsRtoTerm[]): number {
  return terms.reduce((a, x) => a + x.seconds, 0);
}
