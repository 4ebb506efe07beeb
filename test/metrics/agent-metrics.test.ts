/**
 * The AgentMetrics adapters against real loopback HTTP servers and a real DNS server.
 * Sources: shared/REFERENCE.md "Corrections after the first release" (metrics port 9091 is on the
 * pod; each replica reports only its own agents; sum by `cluster` across pods, as the vendor alert
 * `GlooPlatformAgentsAreDisconnected` does); the Prometheus HTTP API response format
 * (`status`, `data.resultType: vector`, `result[].metric`, `result[].value`); AMP user guide "Use
 * awscurl to query with Prometheus-compatible APIs" (POST form-encoded, SigV4 service `aps`).
 */
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { authorizerFor } from '#lib/metrics/auth.ts';
import { PrometheusAgentMetrics, queriesFor } from '#lib/metrics/prometheus.ts';
import { evaluateReading } from '#lib/metrics/reading.ts';
import { ScrapeAgentMetrics } from '#lib/metrics/scrape.ts';
import { parseTopology, type Server as TopologyServer } from '#lib/topology.ts';
import { startPrometheusStandin } from '#local/prometheus-standin.ts';
import { startSandboxDns } from '#local/sandbox/dns.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A page with the fixture's shape: each cluster's push/pull/warmed gauges. */
function page(clusters: Record<string, { push?: number; pull?: number; warmed?: number }>): string {
  const lines: string[] = [];
  for (const [metric, key] of [
    ['relay_pull_clients_connected', 'pull'],
    ['relay_push_clients_connected', 'push'],
    ['relay_push_clients_warmed', 'warmed'],
  ] as const) {
    lines.push(`# TYPE ${metric} gauge`);
    for (const [c, v] of Object.entries(clusters))
      if (v[key] !== undefined) lines.push(`${metric}{cluster="${c}"} ${v[key]}`);
  }
  return `${lines.join('\n')}\n`;
}

/** An HTTP server on `host` answering `handler`; closed after the test. */
async function serve(
  host: string,
  handler: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void,
  port = 0,
): Promise<{ url: string; port: number; server: Server }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(port, host, r));
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  const p = (server.address() as { port: number }).port;
  return { url: `http://${host}:${p}/metrics`, port: p, server };
}

const textPage = (body: string) => (_: unknown, res: import('node:http').ServerResponse) => {
  res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
  res.end(body);
};

/** A one-server topology whose first server reads metrics as given. */
function serverWith(metrics: unknown): TopologyServer {
  const t = parseTopology({
    name: 't',
    homeServer: 'mgmt-east',
    servers: [
      {
        id: 'mgmt-east',
        region: 'us-east-1',
        relayAddress: '127.0.0.1:9900',
        metrics,
        health: { kind: 'tcp' },
      },
      {
        id: 'mgmt-west',
        region: 'us-west-2',
        relayAddress: '127.0.0.2:9900',
        metrics: { source: 'scrape', urls: ['http://127.0.0.2:9091/metrics'] },
        health: { kind: 'tcp' },
      },
    ],
    redis: {
      kind: 'replicaof',
      members: { 'us-east-1': { endpoint: '127.0.0.1:6379' }, 'us-west-2': { endpoint: '127.0.0.2:6379' } },
    },
    dns: {
      provider: { kind: 'route53', hostedZoneId: 'Z0123456789ABCDEFGHIJ' },
      recordName: 'mgmt.example.com',
      recordType: 'A',
      values: { 'mgmt-east': '10.0.0.1', 'mgmt-west': '10.0.0.2' },
    },
  });
  return t.servers[0]!;
}

// Two pods: workload-1 and -2 on pod 0, workload-3 on pod 1, workload-4 split (push on 0, pull on 1).
const pod0 = page({
  'workload-1': { push: 1, pull: 1, warmed: 1 },
  'workload-2': { push: 1, pull: 1, warmed: 1 },
  'workload-4': { push: 1, warmed: 1 },
});
const pod1 = page({ 'workload-3': { push: 1, pull: 1, warmed: 1 }, 'workload-4': { pull: 1, warmed: 0 } });
const expected = ['workload-1', 'workload-2', 'workload-3', 'workload-4'];

describe('scrape: every pod, summed by cluster', () => {
  it('sums the relay gauges by cluster across two pods, as the vendor alert does', async () => {
    // prepare
    const a = await serve('127.0.0.1', textPage(pod0));
    const b = await serve('127.0.0.1', textPage(pod1));
    const server = serverWith({ source: 'scrape', urls: [a.url, b.url] });
    // act
    const reading = await new ScrapeAgentMetrics().read(server, 1_000);
    // assess
    expect(reading.complete).toBe(true);
    expect(reading.clusters.get('workload-4')).toEqual({ pushConnected: 1, pullConnected: 1, warmed: 1 });
    expect(evaluateReading(reading, expected)).toMatchObject({
      connected: expected,
      missing: [],
      unknown: [],
    });
  });

  it("counts a silent pod's clusters as unknown, not disconnected, and names the pod", async () => {
    // prepare: pod 1's port is closed
    const a = await serve('127.0.0.1', textPage(pod0));
    const b = await serve('127.0.0.1', textPage(pod1));
    await new Promise<void>((r) => b.server.close(() => r()));
    const server = serverWith({ source: 'scrape', urls: [a.url, b.url] });
    // act
    const reading = await new ScrapeAgentMetrics().read(server, 1_000);
    const verdict = evaluateReading(reading, expected);
    // assess
    expect(reading.complete).toBe(false);
    expect(reading.replicas).toEqual([
      { name: `127.0.0.1:${a.port}`, ok: true, detail: 'scraped' },
      { name: `127.0.0.1:${b.port}`, ok: false, detail: 'ECONNREFUSED' },
    ]);
    expect(verdict.connected).toEqual(['workload-1', 'workload-2']);
    expect(verdict.unknown).toEqual(['workload-3', 'workload-4']);
    expect(verdict.missing.map((m) => m.reason)).toEqual([
      `unknown: replica 127.0.0.1:${b.port} did not answer`,
      `unknown: replica 127.0.0.1:${b.port} did not answer`,
    ]);
  });

  it('resolves a headless Service name to all its A records (real DNS) and scrapes each pod', async () => {
    // prepare: two pods on two loopback IPs, one port; the headless name resolves to both
    const a = await serve('127.0.0.61', textPage(pod0));
    await serve('127.0.0.62', textPage(pod1), a.port);
    const dns = await startSandboxDns({
      propagationMs: 0,
      records: [
        { name: 'mgmt-pods.gloo.test', type: 'A', record: { ttl: 1, values: ['127.0.0.61', '127.0.0.62'] } },
      ],
    });
    cleanups.push(() => dns.close());
    const server = serverWith({
      source: 'scrape',
      headlessServiceUrl: `http://mgmt-pods.gloo.test:${a.port}/metrics`,
      nameservers: [dns.server],
    });
    // act
    const reading = await new ScrapeAgentMetrics().read(server, 1_000);
    // assess
    expect(reading.replicas.map((r) => r.name)).toEqual([`127.0.0.61:${a.port}`, `127.0.0.62:${a.port}`]);
    expect(evaluateReading(reading, expected).connected).toEqual(expected);
  });

  it('stops reading a 50 MB metrics page at the limit and says so; no reading is returned', async () => {
    // prepare: a page streamed in 1 MB chunks without a content-length
    const chunk = `${'relay_push_clients_connected{cluster="workload-1"} 1\n'.repeat(20_000)}`;
    let sent = 0;
    const big = await serve('127.0.0.1', (_, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const push = () => {
        while (sent < 50 * 1024 * 1024) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', push);
        }
        res.end();
      };
      res.on('close', () => {
        sent = Number.POSITIVE_INFINITY;
      });
      push();
    });
    const server = serverWith({ source: 'scrape', urls: [big.url] });
    // act
    const err = await new ScrapeAgentMetrics().read(server, 5_000).catch((e: Error) => e);
    // assess
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/exceeds the 16777216-byte limit: read stopped/);
  });

  it('drops series whose cluster label is not a cluster name (label injection) and reports them', async () => {
    // prepare
    const hostile = `${pod0}relay_push_clients_warmed{cluster="x\\"} or vector(1) #"} 1\nrelay_push_clients_warmed{cluster="Workload 9"} 1\n`;
    const a = await serve('127.0.0.1', textPage(hostile));
    const server = serverWith({ source: 'scrape', urls: [a.url] });
    // act
    const reading = await new ScrapeAgentMetrics().read(server, 1_000);
    // assess
    expect([...reading.clusters.keys()].sort()).toEqual(['workload-1', 'workload-2', 'workload-4']);
    expect(reading.rejectedCount).toBe(2);
    expect(reading.rejected.join(' ')).toContain('or vector(1)');
  });

  it('refuses an HTML page where a metrics page should be', async () => {
    const a = await serve('127.0.0.1', (_, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>login</html>');
    });
    const err = await new ScrapeAgentMetrics()
      .read(serverWith({ source: 'scrape', urls: [a.url] }), 1_000)
      .catch((e: Error) => e);
    expect((err as Error).message).toMatch(/answered text\/html, not the Prometheus text format/);
  });
});

describe('prometheus: the HTTP API', () => {
  /** The stand-in scraping two pods of one server. */
  async function standin(pods: string[]) {
    const p = await startPrometheusStandin({
      host: '127.0.0.1',
      intervalMs: 100,
      targets: pods.map((url, i) => ({
        url,
        labels: {
          job: 'gloo-mesh-mgmt-server',
          mgmt_server: 'mgmt-east',
          pod: `mgmt-${i}`,
          instance: new URL(url).host,
        },
      })),
    });
    cleanups.push(() => p.close());
    return p;
  }

  it('sends the vendor alert aggregation and reads the same sums as the scrape', async () => {
    // prepare
    const a = await serve('127.0.0.1', textPage(pod0));
    const b = await serve('127.0.0.1', textPage(pod1));
    const p = await standin([a.url, b.url]);
    const selector = { job: 'gloo-mesh-mgmt-server', mgmt_server: 'mgmt-east' };
    const server = serverWith({ source: 'prometheus', url: p.url, selector });
    // act
    const reading = await new PrometheusAgentMetrics().read(server, 1_000);
    // assess
    expect(queriesFor(selector).warmed).toBe(
      'sum by (cluster) (relay_push_clients_warmed{job="gloo-mesh-mgmt-server",mgmt_server="mgmt-east"})',
    );
    expect(reading.replicas.map((r) => [r.name, r.ok])).toEqual([
      ['mgmt-0', true],
      ['mgmt-1', true],
    ]);
    expect(evaluateReading(reading, expected)).toMatchObject({ connected: expected, unknown: [] });
    expect(p.queries).toBe(4);
  });

  it('reports a pod Prometheus cannot scrape (up=0) by name and its clusters as unknown', async () => {
    const a = await serve('127.0.0.1', textPage(pod0));
    const b = await serve('127.0.0.1', textPage(pod1));
    const p = await standin([a.url, b.url]);
    await new Promise<void>((r) => b.server.close(() => r()));
    await p.scrapeNow();
    const server = serverWith({
      source: 'prometheus',
      url: p.url,
      selector: { job: 'gloo-mesh-mgmt-server' },
    });
    const reading = await new PrometheusAgentMetrics().read(server, 1_000);
    expect(reading.replicas.find((r) => !r.ok)).toMatchObject({
      name: 'mgmt-1',
      detail: expect.stringMatching(/up=0/),
    });
    expect(evaluateReading(reading, expected).unknown).toEqual(['workload-3', 'workload-4']);
  });

  it('refuses a Prometheus URL that answers HTML, naming the field to check', async () => {
    const html = await serve('127.0.0.1', (_, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><title>Sign in</title>');
    });
    const server = serverWith({
      source: 'prometheus',
      url: html.url.replace('/metrics', ''),
      selector: { job: 'gloo-mesh-mgmt-server' },
    });
    const err = await new PrometheusAgentMetrics().read(server, 1_000).catch((e: Error) => e);
    expect((err as Error).message).toMatch(
      /answered HTTP 200 with text\/html, not the JSON of the HTTP API: check metrics.url of mgmt-east/,
    );
  });

  it('drops injected cluster labels in a Prometheus answer and reports them', async () => {
    const fake = await serve('127.0.0.1', (req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        const q = new URLSearchParams(body).get('query') ?? '';
        const result = q.startsWith('up')
          ? [{ metric: { __name__: 'up', pod: 'mgmt-0' }, value: [1, '1'] }]
          : [
              { metric: { cluster: 'workload-1' }, value: [1, '1'] },
              { metric: { cluster: 'a"}) or vector(1) #' }, value: [1, '1'] },
            ];
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result } }));
      });
    });
    const server = serverWith({
      source: 'prometheus',
      url: fake.url.replace('/metrics', ''),
      selector: { job: 'gloo-mesh-mgmt-server' },
    });
    const reading = await new PrometheusAgentMetrics().read(server, 1_000);
    expect([...reading.clusters.keys()]).toEqual(['workload-1']);
    expect(reading.rejectedCount).toBe(1);
  });

  it('signs the query with SigV4 for Amazon Managed Prometheus (service aps) with the function credentials', async () => {
    let seen: Record<string, string | string[] | undefined> = {};
    const amp = await serve('127.0.0.1', (req, res) => {
      seen = req.headers;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [] } }));
    });
    const server = serverWith({
      source: 'prometheus',
      url: amp.url.replace('/metrics', '/workspaces/ws-1'),
      selector: { job: 'gloo-mesh-mgmt-server' },
      auth: { kind: 'sigv4', region: 'us-east-1' },
    });
    const authorize = authorizerFor({
      secretJson: async () => ({}),
      credentials: async () => ({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG' }),
    });
    // act: up{…} is empty, so the read fails after the (signed) queries
    const err = await new PrometheusAgentMetrics(authorize).read(server, 1_000).catch((e: Error) => e);
    // assess
    expect((err as Error).message).toMatch(/no scrape target matching/);
    expect(String(seen.authorization)).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-east-1\/aps\/aws4_request, SignedHeaders=.*host.*, Signature=[0-9a-f]{64}$/,
    );
    expect(seen['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
  });

  it('sends a bearer token from the secret and never shows it in an error', async () => {
    const authorize = authorizerFor({
      secretJson: async () => ({ token: 's3cr3t-token' }),
      credentials: async () => {
        throw new Error('unused');
      },
    });
    const server = serverWith({
      source: 'prometheus',
      url: 'http://127.0.0.1:9/prom',
      selector: { job: 'x' },
      auth: { kind: 'bearer', secret: 'gloo-failover/prometheus' },
    });
    const headers = await authorize(server, {
      method: 'POST',
      url: new URL('http://127.0.0.1:9/prom/api/v1/query'),
      headers: {},
      body: 'query=up',
    });
    expect(headers).toEqual({ authorization: 'Bearer s3cr3t-token' });
    const bad = authorizerFor({
      secretJson: async () => ({ tok: 'x' }),
      credentials: async () => ({ accessKeyId: '', secretAccessKey: '' }),
    });
    const err = await bad(server, { method: 'POST', url: new URL('http://x/'), headers: {}, body: '' }).catch(
      (e: Error) => e,
    );
    expect((err as Error).message).toBe(
      'secret gloo-failover/prometheus (metrics.auth of mgmt-east): "token" must be a non-empty string',
    );
  });
});
