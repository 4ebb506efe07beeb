/**
 * The active-server signal for CI/CD pipelines (runbook: in the write-to-one mode "point the CI/CD
 * pipeline at the new cluster"): after a switch, the active server is written to an SSM parameter
 * in every reachable region (read first; written only when it differs; no SDK retries on the write)
 * and, optionally, POSTed as JSON to a webhook signed with HMAC-SHA256 and retried with backoff on
 * the injected clock. Nothing here ever fails the run: every outcome is reported.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Clock } from './clock.ts';
import type { PemSource } from './readiness.ts';
import type { Region, Topology } from './topology.ts';

/** What pipelines read: the server that is active now. */
export interface ActiveServerRecord {
  server: string;
  glooClusterName: string;
  region: Region;
  /** The lock's fencing epoch after the switch (rises on every switch). */
  epoch: number;
  /** ISO-8601 time of the signal. */
  at: string;
  /** The execution that switched. */
  execution: string;
}

/** SSM Parameter Store, by region. */
export interface ParameterStore {
  /** The parameter's value, or null when it does not exist. */
  get(region: Region, name: string): Promise<string | null>;
  put(region: Region, name: string, value: string): Promise<void>;
}

/** An HTTPS POST (the endpoint's CA, when given, is trusted on top of nothing else). */
export interface WebhookPoster {
  post(req: {
    url: string;
    body: string;
    headers: Record<string, string>;
    timeoutMs: number;
    ca?: string;
  }): Promise<{
    status: number;
  }>;
}

/** The ports of the signal. */
export interface ActiveSignalPorts {
  clock: Clock;
  parameters: ParameterStore;
  webhook: WebhookPoster;
  /** The HMAC key named by `activeSignal.webhook.secret`. */
  webhookKey(secret: string): Promise<string>;
  pem: PemSource;
}

/** What the signal did. */
export interface SignalResult {
  record: ActiveServerRecord;
  ssm: { region: Region; outcome: 'written' | 'already' | 'failed'; detail: string }[];
  webhook?: { outcome: 'delivered' | 'failed'; attempts: number; detail: string };
}

/** The signature header value: `sha256=` + hex HMAC-SHA256(key, `${timestamp}.${body}`). */
export function signWebhook(key: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', key).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** Checks a signature in constant time (for receivers; the tests verify with it). */
export function verifyWebhook(key: string, timestamp: string, body: string, signature: string): boolean {
  const want = Buffer.from(signWebhook(key, timestamp, body));
  const got = Buffer.from(signature);
  return want.length === got.length && timingSafeEqual(want, got);
}

/** Headers of a signed delivery. */
export const SIGNATURE_HEADER = 'x-gloo-failover-signature';
/** Unix seconds the signature covers; receivers should refuse old ones (replay). */
export const TIMESTAMP_HEADER = 'x-gloo-failover-timestamp';
/** `<execution>:<epoch>`: the same switch delivered twice has the same id (de-duplicate on it). */
export const DELIVERY_HEADER = 'x-gloo-failover-delivery';

/** Writes the parameter in each region and posts the webhook, as configured; never throws. */
export async function signalActiveServer(
  record: ActiveServerRecord,
  t: Topology,
  ports: ActiveSignalPorts,
): Promise<SignalResult | null> {
  const cfg = t.activeSignal;
  if (!cfg.ssm && !cfg.webhook) return null;
  const value = JSON.stringify(record);
  const result: SignalResult = { record, ssm: [] };
  if (cfg.ssm) {
    const name = cfg.ssm.parameterName;
    const regions = [...new Set(t.servers.map((s) => s.region))];
    result.ssm = await Promise.all(
      regions.map(async (region) => {
        try {
          const current = await ports.parameters.get(region, name);
          if (current !== null && sameSwitch(current, record))
            return {
              region,
              outcome: 'already' as const,
              detail: `${name} already names ${record.server}@${record.epoch}`,
            };
          await ports.parameters.put(region, name, value);
          return {
            region,
            outcome: 'written' as const,
            detail: `${name} = ${record.server}@${record.epoch}`,
          };
        } catch (e) {
          return { region, outcome: 'failed' as const, detail: `${name}: ${(e as Error).message}` };
        }
      }),
    );
  }
  if (cfg.webhook) result.webhook = await postWebhook(cfg.webhook, value, record, ports);
  return result;
}

/** Whether a stored value already describes this switch (same server and epoch). */
function sameSwitch(stored: string, r: ActiveServerRecord): boolean {
  try {
    const s = JSON.parse(stored) as Partial<ActiveServerRecord>;
    return s.server === r.server && s.epoch === r.epoch;
  } catch {
    return false;
  }
}

type WebhookConfig = NonNullable<Topology['activeSignal']['webhook']>;

async function postWebhook(
  cfg: WebhookConfig,
  body: string,
  record: ActiveServerRecord,
  ports: ActiveSignalPorts,
): Promise<NonNullable<SignalResult['webhook']>> {
  if (new URL(cfg.url).protocol !== 'https:')
    return { outcome: 'failed', attempts: 0, detail: `refused: ${cfg.url} is not https` };
  let key: string;
  let ca: string | undefined;
  try {
    key = await ports.webhookKey(cfg.secret);
    ca = cfg.rootCa ? await ports.pem.read(cfg.rootCa) : undefined;
  } catch (e) {
    return {
      outcome: 'failed',
      attempts: 0,
      detail: `cannot read the webhook key or CA: ${(e as Error).message}`,
    };
  }
  let last = '';
  let attempts = 0;
  for (let attempt = 1; attempt <= cfg.maxAttempts; attempt++) {
    attempts = attempt;
    if (attempt > 1) await ports.clock.sleep(Math.min(cfg.backoffMs * 2 ** (attempt - 2), cfg.backoffMs * 8));
    const timestamp = String(Math.floor(ports.clock.now() / 1000));
    try {
      const res = await ports.webhook.post({
        url: cfg.url,
        body,
        timeoutMs: cfg.timeoutMs,
        ...(ca ? { ca } : {}),
        headers: {
          'content-type': 'application/json',
          [SIGNATURE_HEADER]: signWebhook(key, timestamp, body),
          [TIMESTAMP_HEADER]: timestamp,
          [DELIVERY_HEADER]: `${record.execution}:${record.epoch}`,
        },
      });
      if (res.status >= 200 && res.status < 300)
        return {
          outcome: 'delivered',
          attempts: attempt,
          detail: `HTTP ${res.status} from ${new URL(cfg.url).host}`,
        };
      last = `HTTP ${res.status}`;
      // A 4xx other than 408/429 will not change on a retry: the receiver refused the delivery.
      if (res.status < 500 && res.status !== 408 && res.status !== 429) break;
    } catch (e) {
      last = (e as Error).message;
    }
  }
  return { outcome: 'failed', attempts, detail: `not delivered to ${new URL(cfg.url).host}: ${last}` };
}
