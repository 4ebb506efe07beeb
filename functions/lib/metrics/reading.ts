/**
 * The AgentMetrics port: the relay gauges of one management server, summed by agent cluster across
 * its replicas (as the vendor alert does: `sum by(cluster)(relay_push_clients_warmed)`), plus which
 * replicas answered. A replica that did not answer makes the clusters it may hold UNKNOWN, never
 * "disconnected": each replica reports only its own agents.
 */
import type { AgentConnection } from '../relay-metrics.ts';
import type { Server } from '../topology.ts';

/** One replica (pod) of a management server and whether its gauges were read. */
export interface ReplicaStatus {
  /** The pod name, address or Prometheus `instance`. */
  name: string;
  ok: boolean;
  /** e.g. "200 OK, 20 clusters", "timeout after 2000 ms", "up=0". */
  detail: string;
}

/** What one read of a server's agent gauges saw. */
export interface AgentMetricsReading {
  source: 'scrape' | 'prometheus';
  /** Gauges summed by agent cluster over the replicas that answered. */
  clusters: Map<string, AgentConnection>;
  replicas: ReplicaStatus[];
  /** Every replica answered: a cluster absent from `clusters` is really not connected. */
  complete: boolean;
  /** Series dropped because their `cluster` label is not a cluster name (JSON-quoted, at most 5). */
  rejected: string[];
  /** How many series were dropped for that reason. */
  rejectedCount: number;
}

/** Reads a server's agent gauges; throws when no replica (or the Prometheus) answered. */
export interface AgentMetrics {
  read(server: Server, timeoutMs: number): Promise<AgentMetricsReading>;
}

/** Gloo cluster names are Kubernetes object names (DNS-1123 subdomains): nothing else is trusted. */
const CLUSTER_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** Whether a `cluster` label value is a cluster name we accept (no quotes, braces, spaces, escapes). */
export function isClusterName(value: string): boolean {
  return CLUSTER_NAME.test(value);
}

/** Moves series with an unacceptable `cluster` label out of `clusters`; returns what was dropped. */
export function dropInvalidClusters(clusters: Map<string, AgentConnection>): {
  rejected: string[];
  rejectedCount: number;
} {
  const bad = [...clusters.keys()].filter((c) => !isClusterName(c));
  for (const c of bad) clusters.delete(c);
  return { rejected: bad.slice(0, 5).map((c) => JSON.stringify(c.slice(0, 80))), rejectedCount: bad.length };
}

/** Names of the replicas that did not answer. */
export function missingReplicas(r: AgentMetricsReading): string[] {
  return r.replicas.filter((x) => !x.ok).map((x) => x.name);
}

/** One line about a reading's replicas and dropped series, for plans and reports. */
export function describeReading(r: AgentMetricsReading): string {
  const missing = missingReplicas(r);
  const parts = [
    `${r.replicas.length - missing.length}/${r.replicas.length} replicas answered (${r.source})`,
  ];
  if (missing.length)
    parts.push(
      `not answering: ${r.replicas
        .filter((x) => !x.ok)
        .map((x) => `${x.name} (${x.detail})`)
        .join(', ')}`,
    );
  if (r.rejectedCount)
    parts.push(
      `ignored ${r.rejectedCount} series whose cluster label is not a cluster name: ${r.rejected.join(', ')}`,
    );
  return parts.join('; ');
}

/**
 * Which expected clusters are connected (push and pull) and warmed. When a replica did not answer,
 * an expected cluster not seen fully connected is `unknown` (its agent may be on that replica), not
 * missing.
 */
export function evaluateReading(
  r: AgentMetricsReading,
  expected: string[],
): { connected: string[]; missing: { cluster: string; reason: string }[]; unknown: string[] } {
  const connected: string[] = [];
  const missing: { cluster: string; reason: string }[] = [];
  const unknown: string[] = [];
  const absent = missingReplicas(r);
  for (const name of expected) {
    const c = r.clusters.get(name);
    if (c && c.pushConnected >= 1 && c.pullConnected >= 1 && c.warmed >= 1) connected.push(name);
    else if (absent.length) {
      unknown.push(name);
      missing.push({ cluster: name, reason: `unknown: replica ${absent.join(', ')} did not answer` });
    } else if (!c) missing.push({ cluster: name, reason: 'not connected' });
    else if (c.pushConnected < 1 || c.pullConnected < 1)
      missing.push({ cluster: name, reason: `push=${c.pushConnected} pull=${c.pullConnected}` });
    else missing.push({ cluster: name, reason: 'connected, not warmed' });
  }
  return { connected, missing, unknown };
}

/**
 * Reads a response body up to `maxBytes`; beyond that the read is cancelled and an error names the
 * limit (a 50 MB page never lands in memory whole).
 */
export async function readCapped(res: Response, maxBytes: number, what: string): Promise<string> {
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel();
    throw new Error(`${what} is ${declared} bytes, over the ${maxBytes}-byte limit: not read`);
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw new Error(`${what} exceeds the ${maxBytes}-byte limit: read stopped`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
