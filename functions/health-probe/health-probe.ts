/**
 * Health probe: from this region, probes the management servers (the peer region's above all)
 * every few seconds: a TCP connect to the relay port and a scrape of the metrics page. Each sample
 * is published at once as high-resolution CloudWatch metrics (`RelayReachable` 0/1, `AgentsConnected`
 * = agent clusters with a push connection), which the failover alarms watch; the connected clusters
 * are recorded as the server's last-seen set (read by preflight/confirm-reconnect for `last-seen`).
 */
import { type Clock, iso } from '#lib/clock.ts';
import { type AgentMetrics, missingReplicas } from '#lib/metrics/reading.ts';
import type { ClusterRegistry, Probes } from '#lib/ports.ts';
import type { Region, Server, Topology } from '#lib/topology.ts';

/** The CloudWatch namespace of the probe metrics. */
export const PROBE_NAMESPACE = 'GlooFailover/Probes';

/** The metric names the probe publishes. */
export const PROBE_METRICS = {
  relayReachable: 'RelayReachable',
  agentsConnected: 'AgentsConnected',
  /**
   * Self-managed Redis: 1 when the server's regional member is a primary that refuses writes by
   * itself (data-layer fencing with no good replica: the server cannot write), else 0.
   */
  redisRefusesWrites: 'RedisRefusesWrites',
} as const;

/** One datapoint: a metric of one server, seen from `probeRegion` at `at` (epoch ms). */
export interface ProbeDatum {
  metric: (typeof PROBE_METRICS)[keyof typeof PROBE_METRICS];
  cluster: string;
  probeRegion: string;
  value: number;
  at: number;
}

/** Where datapoints go (CloudWatch in AWS, an array in tests). */
export interface MetricPublisher {
  publish(data: ProbeDatum[]): Promise<void>;
}

/** What the probe needs from the world. */
export interface HealthProbeDeps {
  probes: Probes;
  agentMetrics: AgentMetrics;
  registry: ClusterRegistry;
  publisher: MetricPublisher;
  clock: Clock;
  /** Milliseconds left before the invocation must end; the loop stops early to leave margin. */
  remainingMs?: () => number;
}

/** How often and what to probe. */
export interface HealthProbeSettings {
  /** The region the probe runs in (a metric dimension). */
  probeRegion: Region | string;
  /** Cluster names of the servers to probe (default: every server). */
  clusters?: string[];
  /** Samples per invocation (a 1-minute schedule with 6 samples gives a 10 s resolution). */
  samples: number;
  /** Time from the start of one sample to the start of the next. */
  intervalMs: number;
  /** Timeout of each probe (relay connect, metrics scrape). */
  timeoutMs: number;
}

/** What one sample saw of one server. */
export interface ServerSample {
  server: string;
  relay: { ok: boolean; detail: string; latencyMs: number };
  /** Agent clusters with a push connection, sorted; null when no replica's gauges could be read. */
  connectedClusters: string[] | null;
  /** Whether every replica answered (else the connected set is a lower bound: not published, not recorded). */
  complete: boolean;
  /** Replicas that did not answer. */
  missingReplicas: string[];
  metricsError?: string;
}

/** The result of one invocation. */
export interface HealthProbeReport {
  samples: { at: string; servers: ServerSample[] }[];
  recorded: { cluster: string; clusters: number }[];
  publishErrors: string[];
}

/** Probes one server once. */
export async function probeServer(
  server: Server,
  deps: HealthProbeDeps,
  timeoutMs: number,
): Promise<ServerSample> {
  const [relay, page] = await Promise.allSettled([
    deps.probes.tcpConnect(server.relayAddress, timeoutMs),
    deps.agentMetrics.read(server, timeoutMs),
  ]);
  const sample: ServerSample = {
    server: server.id,
    relay:
      relay.status === 'fulfilled'
        ? { ok: relay.value.ok, detail: relay.value.detail, latencyMs: relay.value.latencyMs }
        : { ok: false, detail: (relay.reason as Error).message, latencyMs: timeoutMs },
    connectedClusters: null,
    complete: false,
    missingReplicas: [],
  };
  if (page.status === 'fulfilled') {
    const { clusters } = page.value;
    sample.complete = page.value.complete;
    sample.missingReplicas = missingReplicas(page.value);
    sample.connectedClusters = [...clusters]
      .filter(([, c]) => c.pushConnected > 0)
      .map(([name]) => name)
      .sort();
  } else sample.metricsError = (page.reason as Error).message;
  return sample;
}

/** The datapoints of one sample. */
export function datapoints(servers: ServerSample[], probeRegion: string, at: number): ProbeDatum[] {
  const out: ProbeDatum[] = [];
  for (const s of servers) {
    out.push({ metric: 'RelayReachable', cluster: s.server, probeRegion, value: s.relay.ok ? 1 : 0, at });
    // No page, no datapoint: an unreadable page is not "zero agents" (the alarm treats it as
    // missing); nor is a sum with a replica missing (its agents are unknown, not gone).
    if (s.connectedClusters && s.complete)
      out.push({
        metric: 'AgentsConnected',
        cluster: s.server,
        probeRegion,
        value: s.connectedClusters.length,
        at,
      });
  }
  return out;
}

/**
 * Runs `samples` probes `intervalMs` apart, publishing each at once, then records each server's
 * last connected set (only a non-empty one: a restarting server must not erase the set a failover
 * will wait for).
 */
export async function runHealthProbe(
  t: Topology,
  settings: HealthProbeSettings,
  deps: HealthProbeDeps,
): Promise<HealthProbeReport> {
  const servers = settings.clusters?.length
    ? t.servers.filter((s) => settings.clusters!.includes(s.id))
    : t.servers;
  const report: HealthProbeReport = { samples: [], recorded: [], publishErrors: [] };
  const lastSeen = new Map<string, { clusters: string[]; at: string }>();
  for (let i = 0; i < settings.samples; i++) {
    const started = deps.clock.now();
    const results = await Promise.all(servers.map((s) => probeServer(s, deps, settings.timeoutMs)));
    report.samples.push({ at: new Date(started).toISOString(), servers: results });
    try {
      await deps.publisher.publish(datapoints(results, settings.probeRegion, started));
    } catch (e) {
      report.publishErrors.push((e as Error).message);
    }
    for (const r of results)
      if (r.connectedClusters?.length && r.complete)
        lastSeen.set(r.server, { clusters: r.connectedClusters, at: iso(deps.clock) });
    if (i === settings.samples - 1) break;
    const wait = started + settings.intervalMs - deps.clock.now();
    // Leave room for the next sample and the registry writes before the invocation's deadline.
    const left = deps.remainingMs?.() ?? Number.POSITIVE_INFINITY;
    if (left - Math.max(wait, 0) < settings.timeoutMs + 5_000) break;
    if (wait > 0) await deps.clock.sleep(wait);
  }
  for (const [cluster, seen] of lastSeen) {
    await deps.registry.record(cluster, seen.clusters, seen.at);
    report.recorded.push({ cluster, clusters: seen.clusters.length });
  }
  return report;
}
