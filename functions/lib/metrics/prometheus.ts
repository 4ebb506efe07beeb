/**
 * AgentMetrics from a Prometheus HTTP API (in-cluster Prometheus, Amazon Managed Prometheus with
 * SigV4, or any compatible endpoint). Four instant queries, each restricted to this server's scrape
 * targets by the topology's label matchers:
 *   sum by (cluster) (relay_push_clients_warmed{…})     (the vendor alert's aggregation)
 *   sum by (cluster) (relay_push_clients_connected{…})
 *   sum by (cluster) (relay_pull_clients_connected{…})
 *   up{…}                                               (which replicas were scraped)
 * Answers are checked against the API's documented shape (`status: success`, `resultType: vector`);
 * anything else (an HTML login page, a proxy error) is refused with a clear error.
 */
import type { AgentConnection } from '../relay-metrics.ts';
import type { Server } from '../topology.ts';
import { type AgentMetrics, type AgentMetricsReading, dropInvalidClusters, readCapped } from './reading.ts';

/** A POST to sign: returns the headers to add (SigV4, bearer, basic). */
export type RequestAuthorizer = (
  server: Server,
  req: { method: 'POST'; url: URL; headers: Record<string, string>; body: string },
) => Promise<Record<string, string>>;

/** No authorization headers (an in-cluster Prometheus without auth). */
export const noAuth: RequestAuthorizer = async () => ({});

/** Escapes a PromQL string literal (double-quoted): backslash, quote and newline. */
export function promqlString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/** `{a="x",b="y"}` from label matchers (names validated by the topology, values escaped). */
export function selectorText(selector: Record<string, string>): string {
  const parts = Object.entries(selector)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${promqlString(v)}`);
  return `{${parts.join(',')}}`;
}

const GAUGES = {
  warmed: 'relay_push_clients_warmed',
  pushConnected: 'relay_push_clients_connected',
  pullConnected: 'relay_pull_clients_connected',
} as const;

/** The queries sent for a selector (exported for the stand-in's tests and the docs). */
export function queriesFor(selector: Record<string, string>): Record<keyof typeof GAUGES | 'up', string> {
  const sel = selectorText(selector);
  return {
    warmed: `sum by (cluster) (${GAUGES.warmed}${sel})`,
    pushConnected: `sum by (cluster) (${GAUGES.pushConnected}${sel})`,
    pullConnected: `sum by (cluster) (${GAUGES.pullConnected}${sel})`,
    up: `up${sel}`,
  };
}

interface Sample {
  metric: Record<string, string>;
  value: number;
}

/** Reads a server's agent gauges from the Prometheus its `metrics.source: prometheus` names. */
export class PrometheusAgentMetrics implements AgentMetrics {
  private readonly authorize: RequestAuthorizer;
  constructor(authorize: RequestAuthorizer = noAuth) {
    this.authorize = authorize;
  }

  async read(server: Server, timeoutMs: number): Promise<AgentMetricsReading> {
    const m = server.metrics;
    if (m.source !== 'prometheus')
      throw new Error(`server ${server.id}: metrics.source is ${m.source}, not prometheus`);
    const q = queriesFor(m.selector);
    const [warmed, push, pull, up] = await Promise.all([
      this.query(server, q.warmed, timeoutMs),
      this.query(server, q.pushConnected, timeoutMs),
      this.query(server, q.pullConnected, timeoutMs),
      this.query(server, q.up, timeoutMs),
    ]);
    if (up.length === 0)
      throw new Error(
        `Prometheus ${m.url} has no scrape target matching ${selectorText(m.selector)} (up{…} is empty): check metrics.selector of ${server.id}`,
      );
    const clusters = new Map<string, AgentConnection>();
    const add = (samples: Sample[], field: keyof AgentConnection) => {
      for (const s of samples) {
        if (s.metric.cluster === undefined) continue;
        const name = String(s.metric.cluster);
        let c = clusters.get(name);
        if (!c) {
          c = { pushConnected: 0, pullConnected: 0, warmed: 0 };
          clusters.set(name, c);
        }
        c[field] += s.value;
      }
    };
    add(warmed, 'warmed');
    add(push, 'pushConnected');
    add(pull, 'pullConnected');
    const replicas = up
      .map((s) => ({
        name: s.metric[m.replicaLabel] ?? s.metric.instance ?? JSON.stringify(s.metric),
        ok: s.value === 1,
        detail: s.value === 1 ? 'up=1' : `up=${s.value} (Prometheus could not scrape it)`,
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
    if (replicas.every((r) => !r.ok))
      throw new Error(
        `no replica of ${server.id} is being scraped by Prometheus: ${replicas.map((r) => `${r.name} (${r.detail})`).join(', ')}`,
      );
    return {
      source: 'prometheus',
      clusters,
      replicas,
      complete: replicas.every((r) => r.ok),
      ...dropInvalidClusters(clusters),
    };
  }

  /** One instant query (POST, form-encoded, as the Prometheus and AMP query APIs accept). */
  private async query(server: Server, promql: string, timeoutMs: number): Promise<Sample[]> {
    const m = server.metrics;
    if (m.source !== 'prometheus') throw new Error('unreachable');
    const url = new URL(`${m.url.replace(/\/+$/, '')}/api/v1/query`);
    const body = new URLSearchParams({ query: promql }).toString();
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
      host: url.host,
    };
    Object.assign(
      headers,
      await this.authorize(server, { method: 'POST', url, headers: { ...headers }, body }),
    );
    let res: Response;
    try {
      res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(timeoutMs) });
    } catch (e) {
      const err = e as Error & { cause?: { code?: string } };
      throw new Error(
        `Prometheus ${url.origin} did not answer: ${err.name === 'TimeoutError' ? `timeout after ${timeoutMs} ms` : (err.cause?.code ?? err.message)}`,
      );
    }
    const type = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
    if (!/json/i.test(type)) {
      await res.body?.cancel();
      throw new Error(
        `Prometheus ${url.origin} answered HTTP ${res.status} with ${type || 'no content type'}, not the JSON of the HTTP API: check metrics.url of ${server.id} (the base before /api/v1/query)`,
      );
    }
    const text = await readCapped(res, m.maxResponseBytes, `the Prometheus answer from ${url.origin}`);
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      throw new Error(`Prometheus ${url.origin} answered HTTP ${res.status} with invalid JSON`);
    }
    const d = doc as {
      status?: unknown;
      error?: unknown;
      errorType?: unknown;
      data?: { resultType?: unknown; result?: unknown };
    };
    if (d.status !== 'success')
      throw new Error(
        `Prometheus ${url.origin} refused the query (HTTP ${res.status}, ${String(d.errorType ?? 'error')}): ${String(d.error ?? 'no message').slice(0, 200)}`,
      );
    if (d.data?.resultType !== 'vector' || !Array.isArray(d.data.result))
      throw new Error(
        `Prometheus ${url.origin} answered a ${String(d.data?.resultType)} result, expected a vector`,
      );
    const out: Sample[] = [];
    for (const r of d.data.result as unknown[]) {
      const s = r as { metric?: unknown; value?: unknown };
      const value = Array.isArray(s.value) ? Number(s.value[1]) : Number.NaN;
      if (!s.metric || typeof s.metric !== 'object' || Number.isNaN(value))
        throw new Error(
          `Prometheus ${url.origin} answered a sample without metric labels or a numeric value`,
        );
      out.push({ metric: s.metric as Record<string, string>, value });
    }
    return out;
  }
}
