/**
 * Local stand-ins for the active-server signal's endpoints: a parameter store (SSM's
 * GetParameter/PutParameter by region, over a small HTTP API, with regions that can be made
 * unreachable) and an HTTPS webhook receiver that records each request and verifies its signature
 * with the shared key. The drill prints what they received.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import {
  type ParameterStore,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  verifyWebhook,
} from '#lib/active-signal.ts';
import type { Region } from '#lib/topology.ts';

/** The HMAC key the sandbox webhook uses (sandbox only; a deployment reads it from Secrets Manager). */
export const SANDBOX_WEBHOOK_KEY = 'sandbox-webhook-hmac-key-0123456789';

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let b = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      if (b.length < 65_536) b += c;
    });
    req.on('end', () => resolve(b));
  });
}

function listen(s: Server, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    s.once('error', reject);
    s.listen(0, host, () => resolve((s.address() as { port: number }).port));
  });
}

/** A running parameter-store stand-in. */
export interface ParameterStoreStandin {
  url: string;
  /** Values by region and name. */
  values(region: Region): Record<string, string>;
  /** Every accepted write, in order. */
  readonly writes: { region: Region; name: string; value: string; at: number }[];
  /** Makes a region's parameter store refuse (503) or answer again. */
  setUnreachable(region: Region, unreachable: boolean): void;
  close(): Promise<void>;
}

/** Starts the parameter store stand-in on 127.0.0.1. */
export async function startParameterStore(): Promise<ParameterStoreStandin> {
  const store = new Map<string, Map<string, string>>();
  const down = new Set<string>();
  const writes: ParameterStoreStandin['writes'] = [];
  const server = createHttpServer(async (req, res) => {
    const u = new URL(req.url ?? '/', 'http://standin');
    const m = /^\/regions\/([a-z0-9-]+)\/parameter$/.exec(u.pathname);
    const name = u.searchParams.get('name') ?? '';
    const reply = (status: number, doc: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(doc));
    };
    if (!m || !name) return reply(404, { error: 'not found' });
    const region = m[1]!;
    if (down.has(region)) return reply(503, { error: `region ${region} unreachable` });
    const values = store.get(region) ?? new Map<string, string>();
    store.set(region, values);
    if (req.method === 'GET')
      return values.has(name)
        ? reply(200, { value: values.get(name) })
        : reply(404, { error: 'ParameterNotFound' });
    if (req.method === 'PUT') {
      const value = (JSON.parse(await body(req)) as { value: string }).value;
      values.set(name, value);
      writes.push({ region: region as Region, name, value, at: Date.now() });
      return reply(200, { version: writes.length });
    }
    reply(405, { error: 'method not allowed' });
  });
  const port = await listen(server, '127.0.0.1');
  return {
    url: `http://127.0.0.1:${port}`,
    values: (region) => Object.fromEntries(store.get(region) ?? []),
    writes,
    setUnreachable: (region, u) => (u ? down.add(region) : down.delete(region)),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** The ParameterStore port over the stand-in's HTTP API (what the sandbox injects for SSM). */
export class StandinParameterStore implements ParameterStore {
  private readonly url: string;
  constructor(url: string) {
    this.url = url;
  }
  async get(region: Region, name: string): Promise<string | null> {
    const res = await fetch(`${this.url}/regions/${region}/parameter?name=${encodeURIComponent(name)}`, {
      signal: AbortSignal.timeout(2_000),
    });
    if (res.status === 404) return null;
    if (!res.ok) throw new Error(`GetParameter in ${region}: HTTP ${res.status}`);
    return ((await res.json()) as { value: string }).value;
  }
  async put(region: Region, name: string, value: string): Promise<void> {
    const res = await fetch(`${this.url}/regions/${region}/parameter?name=${encodeURIComponent(name)}`, {
      method: 'PUT',
      body: JSON.stringify({ value }),
      signal: AbortSignal.timeout(2_000),
    });
    if (!res.ok) throw new Error(`PutParameter in ${region}: HTTP ${res.status}`);
  }
}

/** One request the webhook receiver got. */
export interface ReceivedWebhook {
  at: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** The signature verified with {@link SANDBOX_WEBHOOK_KEY}. */
  signatureValid: boolean;
  status: number;
}

/** A running webhook receiver. */
export interface WebhookReceiver {
  url: string;
  readonly received: ReceivedWebhook[];
  /** Answer the next `n` requests with 503 (to exercise retries). */
  failNext(n: number): void;
  close(): Promise<void>;
}

/** Starts the HTTPS receiver on 127.0.0.1 with the given certificate. */
export async function startWebhookReceiver(tls: { key: string; cert: string }): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  let failing = 0;
  const server = createHttpsServer(tls, async (req, res) => {
    const text = await body(req);
    const sig = String(req.headers[SIGNATURE_HEADER] ?? '');
    const ts = String(req.headers[TIMESTAMP_HEADER] ?? '');
    const status = failing > 0 ? 503 : 204;
    if (failing > 0) failing--;
    received.push({
      at: Date.now(),
      headers: req.headers,
      body: text,
      signatureValid: verifyWebhook(SANDBOX_WEBHOOK_KEY, ts, text, sig),
      status,
    });
    res.writeHead(status);
    res.end();
  });
  server.on('tlsClientError', () => {});
  const port = await listen(server as unknown as Server, '127.0.0.1');
  return {
    url: `https://127.0.0.1:${port}/gloo-failover/active`,
    received,
    failNext: (n) => {
      failing = n;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
