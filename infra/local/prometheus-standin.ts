/**
 * A small stand-in for the Prometheus HTTP API (`POST|GET /api/v1/query`), scraping the sandbox's
 * management-server pods every `intervalMs` as a Prometheus would, and answering the instant
 * queries the orchestrator sends (see `queriesFor` in functions/lib/metrics/prometheus.ts):
 *   sum by (<label>) (<metric>{<matchers>})      and      <metric>{<matchers>}
 * with equality matchers only. Target labels (`job`, `instance`, `pod`, ...) are attached to every
 * series of a target; `up` is 1 when the last scrape succeeded, else 0, and a failed target's
 * series go stale at once (Prometheus writes staleness markers when a scrape fails). The answers
 * have the documented shape (`{"status":"success","data":{"resultType":"vector","result":[...]}}`);
 * anything else gets `{"status":"error","errorType":"bad_data"}` with HTTP 400.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';

/** One scrape target and the labels Prometheus attaches to its series. */
export interface StandinTarget {
  url: string;
  labels: Record<string, string>;
}

/** Options of {@link startPrometheusStandin}. */
export interface PrometheusStandinOptions {
  host: string;
  targets: StandinTarget[];
  /** Scrape interval (default 200 ms); each scrape times out after 80% of it. */
  intervalMs?: number;
}

/** A running stand-in. */
export interface PrometheusStandin {
  /** The API base URL (what `metrics.url` names). */
  url: string;
  /** Queries answered so far. */
  readonly queries: number;
  /** Scrapes every target now (tests call it to skip the interval). */
  scrapeNow(): Promise<void>;
  close(): Promise<void>;
}

interface Series {
  labels: Record<string, string>;
  value: number;
}

/** Parses the lines of a text-format page into series (name in `__name__`); comments skipped. */
function parseText(page: string): Series[] {
  const out: Series[] = [];
  for (const raw of page.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = { __name__: m[1]! };
    for (const [, k, v] of (m[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[k!] = v!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    out.push({ labels, value: Number(m[4]) });
  }
  return out;
}

/** `a="x",b="y"` -> matchers; null when the text is not a list of equality matchers. */
function parseMatchers(text: string): Record<string, string> | null {
  const out: Record<string, string> = {};
  let rest = text.trim();
  while (rest) {
    const m = /^([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(,\s*)?/.exec(rest);
    if (!m) return null;
    out[m[1]!] = m[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    rest = rest.slice(m[0].length);
  }
  return out;
}

/** Starts the stand-in on `host` (a free port). */
export async function startPrometheusStandin(o: PrometheusStandinOptions): Promise<PrometheusStandin> {
  const interval = o.intervalMs ?? 200;
  const state = o.targets.map(() => ({ up: 0, series: [] as Series[] }));
  let queries = 0;

  const scrapeNow = async () => {
    await Promise.all(
      o.targets.map(async (t, i) => {
        try {
          const res = await fetch(t.url, { signal: AbortSignal.timeout(Math.floor(interval * 0.8)) });
          if (!res.ok) throw new Error(`HTTP ${res.status}`);
          const page = await res.text();
          state[i] = {
            up: 1,
            series: parseText(page).map((s) => ({ ...s, labels: { ...s.labels, ...t.labels } })),
          };
        } catch {
          state[i] = { up: 0, series: [] };
        }
      }),
    );
  };
  await scrapeNow();
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void scrapeNow().finally(() => {
      busy = false;
    });
  }, interval);

  const select = (name: string, matchers: Record<string, string>): Series[] => {
    const all: Series[] =
      name === 'up'
        ? o.targets.map((t, i) => ({ labels: { __name__: 'up', ...t.labels }, value: state[i]!.up }))
        : state.flatMap((s) => s.series.filter((x) => x.labels.__name__ === name));
    return all.filter((s) => Object.entries(matchers).every(([k, v]) => (s.labels[k] ?? '') === v));
  };

  const evaluate = (query: string): Series[] | string => {
    const q = query.trim();
    const sum =
      /^sum\s+by\s*\(\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{(.*)\}\s*\)$/s.exec(
        q,
      );
    if (sum) {
      const matchers = parseMatchers(sum[3]!);
      if (!matchers) return `cannot parse the label matchers of ${JSON.stringify(q)}`;
      const groups = new Map<string, number>();
      for (const s of select(sum[2]!, matchers)) {
        const key = s.labels[sum[1]!] ?? '';
        groups.set(key, (groups.get(key) ?? 0) + s.value);
      }
      return [...groups].map(([k, v]) => ({ labels: k ? { [sum[1]!]: k } : {}, value: v }));
    }
    const plain = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{(.*)\}$/s.exec(q);
    if (plain) {
      const matchers = parseMatchers(plain[2]!);
      if (!matchers) return `cannot parse the label matchers of ${JSON.stringify(q)}`;
      return select(plain[1]!, matchers);
    }
    return `the stand-in answers only "sum by (l) (m{...})" and "m{...}", not ${JSON.stringify(q)}`;
  };

  const readBody = (req: IncomingMessage) =>
    new Promise<string>((resolve) => {
      let b = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => {
        if (b.length < 65_536) b += c;
      });
      req.on('end', () => resolve(b));
    });

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://standin');
    const json = (status: number, doc: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(doc));
    };
    if (url.pathname !== '/api/v1/query')
      return json(404, { status: 'error', errorType: 'not_found', error: 'not found' });
    const params = req.method === 'POST' ? new URLSearchParams(await readBody(req)) : url.searchParams;
    const query = params.get('query');
    if (!query) return json(400, { status: 'error', errorType: 'bad_data', error: 'query is required' });
    queries++;
    const result = evaluate(query);
    if (typeof result === 'string')
      return json(400, { status: 'error', errorType: 'bad_data', error: result });
    const now = Date.now() / 1000;
    json(200, {
      status: 'success',
      data: {
        resultType: 'vector',
        result: result.map((s) => ({ metric: s.labels, value: [now, String(s.value)] })),
      },
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, o.host, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://${o.host}:${port}`,
    get queries() {
      return queries;
    },
    scrapeNow,
    close: async () => {
      clearInterval(timer);
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
