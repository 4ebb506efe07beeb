/**
 * The DNS switch and the data-plane answers a topology selects (`dns.switch.mode`, `dns.confirm`).
 * The caller passes the clients: AWS SDK clients in a deployment; the sandbox passes the same SDK
 * clients pointed at its local stand-ins.
 */
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { Route53RecoveryClusterClient } from '@aws-sdk/client-route53-recovery-cluster';
import { ArcRoutingControlSwitch, type ClusterEndpoint } from '../aws/arc-routing-control.ts';
import { MetricHealthCheckSwitch } from '../aws/health-check-metric.ts';
import { InvalidTopology } from '../errors.ts';
import type { DnsAnswers, DnsPointer, DnsSwitch } from '../ports.ts';
import type { Region, Topology } from '../topology.ts';
import { answersOptionsFrom, ResolvedDnsAnswers, type ResolvedDnsAnswersOptions } from './answers.ts';
import { RecordDnsSwitch } from './record-switch.ts';

/** What building a switch needs besides the topology. */
export interface DnsSwitchDeps {
  /** The record pointer (`route53-record` mode). */
  pointer: () => DnsPointer;
  /** CloudWatch in a region (`health-check-metric` mode). */
  cloudWatchFor: (region: Region) => CloudWatchClient;
  /** A client for one ARC cluster endpoint (`arc-routing-control` mode). */
  arcClientFor?: (e: ClusterEndpoint) => Route53RecoveryClusterClient;
  /** The cluster's endpoints when the topology does not list them (discovered once at deploy: env). */
  arcEndpoints?: ClusterEndpoint[];
  /** Routing control ARN by server id, for those the topology leaves to the deployment (`dns.create`: env). */
  arcControls?: Record<string, string>;
}

/** The failover pair as server ids. */
function pairOf(t: Topology): { primary: string; secondary: string } {
  const f = t.dns.failover;
  if (!f) throw new InvalidTopology(`dns.failover is required by dns.switch.mode "${t.dns.switch.mode}"`);
  return { primary: f.primary.server, secondary: f.secondary.server };
}

/** The switch for `t.dns.switch.mode`. */
export function dnsSwitchFor(t: Topology, deps: DnsSwitchDeps): DnsSwitch {
  const sw = t.dns.switch;
  if (sw.mode === 'route53-record') return new RecordDnsSwitch(t, deps.pointer());
  if (sw.mode === 'arc-routing-control') {
    const endpoints = sw.endpoints ?? deps.arcEndpoints;
    if (!endpoints?.length)
      throw new InvalidTopology(
        'dns.switch.endpoints: the ARC cluster endpoints are neither in the topology nor discovered at deploy (ARC_CLUSTER_ENDPOINTS)',
      );
    return new ArcRoutingControlSwitch({
      endpoints,
      controls: Object.fromEntries(
        Object.entries(sw.routingControls).map(([k, v]) => {
          const arn = v.arn ?? deps.arcControls?.[k];
          if (!arn)
            throw new InvalidTopology(
              `dns.switch.routingControls.${k}.arn: neither in the topology nor created at deploy (${arcRoutingControlEnvName(k)})`,
            );
          return [k, arn];
        }),
      ),
      pair: pairOf(t),
      ...(deps.arcClientFor ? { clientFor: deps.arcClientFor } : {}),
    });
  }
  return new MetricHealthCheckSwitch({
    namespace: sw.namespace,
    metricName: sw.metricName,
    alarms: Object.fromEntries(
      Object.entries(sw.alarms).map(([k, v]) => [k, { alarmName: v.alarmName, region: v.region }]),
    ),
    pair: pairOf(t),
    cloudWatchFor: deps.cloudWatchFor,
  });
}

/** The data-plane answers for `t.dns` (authoritative servers, then `dns.confirm.resolvers`). */
export function dnsAnswersFor(t: Topology, opts: Pick<ResolvedDnsAnswersOptions, 'system'> = {}): DnsAnswers {
  return new ResolvedDnsAnswers({ ...answersOptionsFrom(t), ...opts });
}

/** ARC endpoints from `ARC_CLUSTER_ENDPOINTS` (JSON `[{region, endpoint}]`, written by CDK at deploy). */
export function arcEndpointsFromEnv(): ClusterEndpoint[] | undefined {
  const raw = process.env.ARC_CLUSTER_ENDPOINTS;
  if (!raw) return undefined;
  const parsed = JSON.parse(raw) as ClusterEndpoint[];
  return Array.isArray(parsed) ? parsed : undefined;
}

/**
 * The environment variable that carries the ARN of the routing control created at deploy for
 * `server` (`dns.create`): one variable per control, whose whole value the deployment resolves.
 */
export function arcRoutingControlEnvName(server: string): string {
  return `ARC_ROUTING_CONTROL_${server.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/** Routing control ARNs created at deploy, by server id, from {@link arcRoutingControlEnvName}. */
export function arcControlsFromEnv(t: Topology): Record<string, string> | undefined {
  const sw = t.dns.switch;
  if (sw.mode !== 'arc-routing-control') return undefined;
  const out: Record<string, string> = {};
  for (const server of Object.keys(sw.routingControls)) {
    const arn = process.env[arcRoutingControlEnvName(server)];
    if (arn) out[server] = arn;
  }
  return out;
}
