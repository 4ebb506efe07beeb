/**
 * AgentMetrics by scraping every management-server pod's own metrics page (port 9091 is on the
 * pod, not on the Service: Helm values reference) and summing the relay gauges by cluster, as the
 * vendor alert does. The pods are listed in the topology, or found by resolving a headless Service
 * name to all its A records.
 */
import { Resolver } from 'node:dns/promises';
import { splitHostPort } from '../net.ts';
import { parseRelayMetrics } from '../relay-metrics.ts';
import type { Server } from '../topology.ts';
import { type AgentMetrics, type AgentMetricsReading, dropInvalidClusters, readCapped } from './reading.ts';

/** Resolves a name to its IPv4 addresses, optionally through given DNS servers (`ip:port`). */
export type Resolve4 = (
  name: string,
  nameservers: string[] | undefined,
  timeoutMs: number,
) => Promise<string[]>;

/** The system resolver, or the given DNS servers. */
export const systemResolve4: Resolve4 = async (name, nameservers, timeoutMs) => {
  const r = new Resolver({ timeout: Math.max(100, Math.floor(timeoutMs / 2)), tries: 2 });
  if (nameservers?.length)
    r.setServers(
      nameservers.map((ns) => {
        const { host, port } = splitHostPort(ns);
        return `${host}:${port}`;
      }),
    );
  return r.resolve4(name);
};

/** Fetches one page over HTTP, capped; throws with the reason when it cannot be read. */
async function fetchPage(url: string, timeoutMs: number, maxBytes: number): Promise<string> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    const err = e as Error & { cause?: { code?: string } };
    throw new Error(
      err.name === 'TimeoutError' ? `timeout after ${timeoutMs} ms` : (err.cause?.code ?? err.message),
    );
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new Error(`HTTP ${res.status}`);
  }
  const type = res.headers.get('content-type') ?? '';
  if (/html|json/i.test(type)) {
    await res.body?.cancel();
    throw new Error(`answered ${type.split(';')[0]}, not the Prometheus text format`);
  }
  return readCapped(res, maxBytes, `the metrics page ${url}`);
}

/** Scrapes every replica of a server whose `metrics.source` is `scrape`. */
export class ScrapeAgentMetrics implements AgentMetrics {
  private readonly resolve4: Resolve4;
  constructor(resolve4: Resolve4 = systemResolve4) {
    this.resolve4 = resolve4;
  }

  /** The URLs to scrape: the listed pods, or one per A record of the headless Service. */
  async targets(server: Server, timeoutMs: number): Promise<{ name: string; url: string }[]> {
    const m = server.metrics;
    if (m.source !== 'scrape')
      throw new Error(`server ${server.id}: metrics.source is ${m.source}, not scrape`);
    if (m.urls) return m.urls.map((url) => ({ name: new URL(url).host, url }));
    const base = new URL(m.headlessServiceUrl!);
    let ips: string[];
    try {
      ips = await this.resolve4(base.hostname, m.nameservers, timeoutMs);
    } catch (e) {
      throw new Error(
        `cannot resolve the headless Service ${base.hostname} of ${server.id}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
    if (ips.length === 0)
      throw new Error(`the headless Service ${base.hostname} of ${server.id} has no A records`);
    return [...new Set(ips)].sort().map((ip) => {
      const u = new URL(base);
      u.hostname = ip;
      return { name: `${ip}:${u.port || (u.protocol === 'https:' ? 443 : 80)}`, url: u.toString() };
    });
  }

  async read(server: Server, timeoutMs: number): Promise<AgentMetricsReading> {
    const m = server.metrics;
    if (m.source !== 'scrape')
      throw new Error(`server ${server.id}: metrics.source is ${m.source}, not scrape`);
    const targets = await this.targets(server, timeoutMs);
    const pages = await Promise.allSettled(targets.map((t) => fetchPage(t.url, timeoutMs, m.maxPageBytes)));
    const ok: string[] = [];
    const replicas = targets.map((t, i) => {
      const p = pages[i]!;
      if (p.status === 'fulfilled') {
        ok.push(p.value);
        return { name: t.name, ok: true, detail: 'scraped' };
      }
      return { name: t.name, ok: false, detail: (p.reason as Error).message };
    });
    if (ok.length === 0)
      throw new Error(
        `no replica of ${server.id} answered: ${replicas.map((r) => `${r.name} (${r.detail})`).join(', ')}`,
      );
    const { clusters } = parseRelayMetrics(ok);
    return {
      source: 'scrape',
      clusters,
      replicas,
      complete: ok.length === targets.length,
      ...dropInvalidClusters(clusters),
    };
  }
}
