/**
 * Every port a step may use, for a sandbox topology: the sandbox's own adapters where AWS would
 * serve the port (DNS record, alarm states, health checks, last-seen clusters), and the product's
 * real Redis adapters (lock, `REPLICAOF` promotion), probes and metrics scraping on the local
 * processes. The local runner, the drill, the bench and the tests inject these into the real
 * handlers; production code builds its own per step and never sees this module.
 */
import { Resolver } from 'node:dns/promises';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { Route53RecoveryClusterClient } from '@aws-sdk/client-route53-recovery-cluster';
import type { ClusterEndpoint } from '#lib/aws/arc-routing-control.ts';
import { type Clock, systemClock } from '#lib/clock.ts';
import { dnsAnswersFor, dnsSwitchFor } from '#lib/dns/from-topology.ts';
import { httpsPoster } from '#lib/https-post.ts';
import { meshctlFromTopology, meshctlReadiness } from '#lib/lock/from-topology.ts';
import { agentMetricsBySource } from '#lib/metrics/agent-metrics.ts';
import { PrometheusAgentMetrics } from '#lib/metrics/prometheus.ts';
import { ScrapeAgentMetrics } from '#lib/metrics/scrape.ts';
import { netProbes } from '#lib/probes.ts';
import { inlinePem } from '#lib/readiness.ts';
import { nodeTlsCheck } from '#lib/tls-check.ts';
import type { Region, Topology } from '#lib/topology.ts';
import { leftoverLockPort, redisLockPort } from '#lib/wire/lock.ts';
import { redisPromoterPort } from '#lib/wire/promoter.ts';
import { redisReprotectorPort } from '#lib/wire/reprotector.ts';
import type { Ports, RunRegistry } from '#lib/wiring.ts';
import { SANDBOX_WEBHOOK_KEY, StandinParameterStore } from '../signal-standins.ts';
import {
  SandboxAlarmStates,
  SandboxClusterRegistry,
  SandboxDatastoreRegistry,
  SandboxDnsInventory,
  SandboxDnsPointer,
  SandboxHealthChecks,
} from './adapters.ts';

/** Options for {@link sandboxPorts}. */
export interface SandboxPortOptions {
  clock?: Clock;
  /** Other runs in progress (default: none). */
  runs?: RunRegistry;
}

const noOtherRuns: RunRegistry = { othersRunning: async () => [] };

/** The ports of a sandbox topology (`topology.sandbox.controlUrl` names the control API). */
export function sandboxPorts(t: Topology, opts: SandboxPortOptions = {}): Ports {
  const url = t.sandbox?.controlUrl;
  if (!url) throw new Error('sandboxPorts needs a sandbox topology (topology.sandbox.controlUrl)');
  const clock = opts.clock ?? systemClock;
  // The local redis-server processes run without AUTH: never ask Secrets Manager.
  const datastores = new SandboxDatastoreRegistry(url);
  const redis = { auth: async () => undefined, datastore: () => datastores.read() };
  const dns = new SandboxDnsPointer(url, t.dns.recordName, t.dns.recordType);
  return {
    clock,
    probes: netProbes,
    // The pods' pages (named DNS servers honoured), or the Prometheus stand-in (no auth).
    agentMetrics: agentMetricsBySource({
      scrape: new ScrapeAgentMetrics(),
      prometheus: new PrometheusAgentMetrics(),
    }),
    tls: nodeTlsCheck,
    pem: inlinePem,
    ...(t.sandbox?.parameterStoreUrl
      ? {
          signal: {
            clock,
            parameters: new StandinParameterStore(t.sandbox.parameterStoreUrl),
            webhook: httpsPoster,
            webhookKey: async () => SANDBOX_WEBHOOK_KEY,
            pem: inlinePem,
          },
        }
      : {}),
    promoter: redisPromoterPort(t, clock, redis),
    lock: redisLockPort(t, redis),
    dns,
    // The product's own switches and answers, on the sandbox's stand-ins: the record through the
    // control API, the ARC cluster's five endpoints and the per-region CloudWatch in the AWS JSON
    // protocol (real SDK clients), the failover pair over real UDP DNS.
    dnsSwitch: dnsSwitchFor(t, {
      pointer: () => dns,
      cloudWatchFor: sandboxCloudWatch(t),
      arcClientFor: sandboxArcClient,
    }),
    // Names (alias targets) resolve through the sandbox's DNS, as the VPC resolver would in AWS.
    dnsAnswers: dnsAnswersFor(t, { system: sandboxResolver(t) }),
    switchActive: meshctlFromTopology(t),
    lockReadiness: meshctlReadiness(t),
    leftoverLock: leftoverLockPort(t, redis),
    alarms: new SandboxAlarmStates(url),
    healthChecks: new SandboxHealthChecks(url),
    registry: new SandboxClusterRegistry(url),
    runs: opts.runs ?? noOtherRuns,
    dnsInventory: new SandboxDnsInventory(url),
    datastores,
    reprotector: redisReprotectorPort(t, redis),
  };
}

/** Static credentials for the sandbox's local AWS stand-ins (they do not check signatures). */
const SANDBOX_CREDENTIALS = { accessKeyId: 'SANDBOX', secretAccessKey: 'sandbox-secret' };

/** CloudWatch clients pointed at the sandbox's per-region CloudWatch stand-ins. */
function sandboxCloudWatch(t: Topology): (region: Region) => CloudWatchClient {
  const made = new Map<string, CloudWatchClient>();
  return (region) => {
    const endpoint = t.sandbox?.cloudWatchEndpoints?.[region];
    if (!endpoint) throw new Error(`the sandbox has no CloudWatch stand-in in ${region}`);
    let c = made.get(region);
    if (!c) {
      c = new CloudWatchClient({ region, endpoint, credentials: SANDBOX_CREDENTIALS, maxAttempts: 1 });
      made.set(region, c);
    }
    return c;
  };
}

/** ARC cluster clients pointed at the sandbox's routing-control stand-in endpoints (no SDK retries). */
function sandboxArcClient(e: ClusterEndpoint): Route53RecoveryClusterClient {
  return new Route53RecoveryClusterClient({
    region: e.region,
    endpoint: e.endpoint,
    credentials: SANDBOX_CREDENTIALS,
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 500, requestTimeout: 2_000 },
  });
}

/** A resolver asking the sandbox's DNS server (the topology's first authoritative server). */
function sandboxResolver(t: Topology): Resolver | undefined {
  const ns = t.dns.confirm.nameServers?.[0];
  if (!ns) return undefined;
  const r = new Resolver({ timeout: t.dns.confirm.timeoutMs, tries: 2 });
  r.setServers([ns]);
  return r;
}
