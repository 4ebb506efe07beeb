/**
 * Builds the ports a topology selects: AWS adapters for a real deployment, sandbox adapters (over
 * the sandbox control API) when `topology.sandbox` is set. Redis (lock, `replicaof` promotion),
 * probes and metrics scraping are the same everywhere.
 */

import {
  SandboxAlarmStates,
  SandboxClusterRegistry,
  SandboxDnsPointer,
  SandboxHealthChecks,
} from './adapters/sandbox.ts';
import {
  cloudWatchClientFor,
  dynamoDocumentClientFor,
  elastiCacheClientFor,
  elastiCacheWriteClientFor,
  ownRegion,
  route53Client,
  route53WriteClient,
  secretsManagerClientFor,
  sfnClientFor,
} from './aws/clients.ts';
import { CloudWatchAlarmStates } from './aws/cloudwatch-alarms.ts';
import { DynamoClusterRegistry } from './aws/dynamo-cluster-registry.ts';
import { ElastiCacheGlobalPromoter } from './aws/elasticache-promoter.ts';
import { Route53DnsPointer } from './aws/route53-dns.ts';
import { Route53HealthCheckStatuses } from './aws/route53-health.ts';
import { getRedisAuth } from './aws/secrets.ts';
import { SfnRunRegistry } from './aws/sfn-runs.ts';
import { type Clock, systemClock } from './clock.ts';
import { httpMetrics, netProbes } from './probes.ts';
import { connectRedis, type RedisAuth, type RedisEndpointOptions, withRedis } from './redis/connect.ts';
import { RedisGlobalLock } from './redis/lock.ts';
import { ReplicaOfPromoter } from './redis/replicaof-promoter.ts';
import { lockSettings, type Region, type Topology } from './topology.ts';
import type { Ports, RunRegistry } from './wiring.ts';

/** Options for {@link portsFromTopology}. */
export interface PortOptions {
  clock?: Clock;
  /** Other runs in progress; defaults to Step Functions (AWS) or "none" (sandbox). */
  runs?: RunRegistry;
}

const noOtherRuns: RunRegistry = { othersRunning: async () => [] };

/** The ports for a topology. */
export function portsFromTopology(t: Topology, opts: PortOptions = {}): Ports {
  const clock = opts.clock ?? systemClock;
  const r = t.redis;
  const sandboxUrl = t.sandbox?.controlUrl;

  // Redis AUTH from Secrets Manager (AWS only), read lazily and cached by getRedisAuth.
  const authFor = async (): Promise<RedisAuth | undefined> =>
    r.authSecret && !sandboxUrl
      ? getRedisAuth(secretsManagerClientFor(ownRegion()), r.authSecret)
      : undefined;
  const endpointOpts = async (): Promise<RedisEndpointOptions> => ({
    tls: r.tls,
    auth: await authFor(),
    connectTimeoutMs: r.connectTimeoutMs,
    commandTimeoutMs: r.commandTimeoutMs,
  });
  const endpointOf = (region: Region) => {
    const m = r.members[region];
    if (!m) throw new Error(`no Redis member for region ${region}`);
    return m.endpoint;
  };

  const lock: Ports['lock'] = async (region) => {
    const client = connectRedis(endpointOf(region), await endpointOpts());
    client.on('error', () => {});
    await client.connect();
    return {
      lock: new RedisGlobalLock(client, lockSettings(t)),
      close: async () => void client.disconnect(),
    };
  };

  const members = Object.fromEntries(
    Object.entries(r.members).map(([region, m]) => [region, m.endpoint]),
  ) as Partial<Record<Region, string>>;
  const promoter =
    r.kind === 'replicaof'
      ? lazyPromoter(
          async () =>
            new ReplicaOfPromoter({ members, maxLagBytes: r.maxLagBytes, ...(await endpointOpts()) }, clock),
        )
      : new ElastiCacheGlobalPromoter({
          globalReplicationGroupId: r.globalReplicationGroupId,
          members: r.members,
          clientFor: elastiCacheClientFor,
          writeClientFor: elastiCacheWriteClientFor,
          writeProbe: async (region) => {
            await withRedis(endpointOf(region), await endpointOpts(), (c) =>
              c.set('{gloo-mesh}:failover:write-probe', String(clock.now()), 'PX', 60_000),
            );
          },
        });

  if (sandboxUrl) {
    return {
      clock,
      probes: netProbes,
      metrics: httpMetrics,
      promoter,
      lock,
      dns: new SandboxDnsPointer(sandboxUrl, t.dns.recordName, t.dns.recordType),
      alarms: new SandboxAlarmStates(sandboxUrl),
      healthChecks: new SandboxHealthChecks(sandboxUrl),
      registry: new SandboxClusterRegistry(sandboxUrl),
      runs: opts.runs ?? noOtherRuns,
    };
  }
  if (t.dns.provider.kind !== 'route53')
    throw new Error('dns.provider.kind "sandbox" needs topology.sandbox.controlUrl');
  return {
    clock,
    probes: netProbes,
    metrics: httpMetrics,
    promoter,
    lock,
    dns: new Route53DnsPointer({
      client: route53Client(ownRegion()),
      writeClient: route53WriteClient(ownRegion()),
      hostedZoneId: t.dns.provider.hostedZoneId,
      recordName: t.dns.recordName,
      recordType: t.dns.recordType,
    }),
    alarms: new CloudWatchAlarmStates(cloudWatchClientFor(ownRegion())),
    healthChecks: new Route53HealthCheckStatuses(route53Client(ownRegion())),
    registry: new DynamoClusterRegistry({
      client: dynamoDocumentClientFor(ownRegion()),
      tableName: process.env.CLUSTER_TABLE_NAME ?? 'gloo-failover-clusters',
    }),
    runs:
      opts.runs ??
      new SfnRunRegistry(
        sfnClientFor(ownRegion()),
        (process.env.STATE_MACHINE_ARNS ?? '').split(',').filter(Boolean),
      ),
  };
}

/** A promoter whose construction waits for async settings (Redis AUTH). */
function lazyPromoter(make: () => Promise<ReplicaOfPromoter>): Ports['promoter'] {
  let p: Promise<ReplicaOfPromoter> | undefined;
  const get = () => {
    p ??= make();
    return p;
  };
  return {
    describe: async () => (await get()).describe(),
    promote: async (req) => (await get()).promote(req),
    status: async (req) => (await get()).status(req),
  };
}
