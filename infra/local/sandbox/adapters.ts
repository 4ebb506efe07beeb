/**
 * Sandbox adapters: the ports AWS would serve (DNS record, alarm states, Route 53 health-check
 * observations, last-seen clusters), implemented as HTTP clients of the sandbox control API
 * (`topology.sandbox.controlUrl`, served by ./control-api.ts), over plain JSON and `fetch`. The
 * sandbox injects them into the steps ({@link sandboxPorts} in ./ports.ts), as tests do: production
 * code never imports them.
 *
 * Errors: a 503 (the sandbox's injected control-plane fault), any other 5xx, a timeout or a refused
 * connection -> `TransientError` (the ASL retries it); a CAS answered 409 -> `DnsChangeConflict`.
 */

import { sameDnsRecord, showDnsRecord } from '#lib/dns-record.ts';
import { DnsChangeConflict, FailoverError, InvalidInput, TransientError } from '#lib/errors.ts';
import type {
  AlarmStates,
  AlarmStateValue,
  ClusterRegistry,
  DatastoreRecord,
  DatastoreRegistry,
  DnsInventory,
  DnsInventoryHealthCheck,
  DnsInventoryRecord,
  DnsPointer,
  DnsRecord,
  DnsSwapResult,
  HealthCheckStatuses,
} from '#lib/ports.ts';

/** Options shared by the sandbox adapters. */
export interface SandboxClientOptions {
  /** Per-request timeout (default 2,000 ms). */
  timeoutMs?: number;
}

interface Reply {
  status: number;
  body: unknown;
}

/** One JSON call to the control API; transport failures and 5xx become {@link TransientError}. */
async function call(
  baseUrl: string,
  method: 'GET' | 'POST' | 'PUT',
  path: string,
  opts: SandboxClientOptions,
  body?: unknown,
): Promise<Reply> {
  const url = `${baseUrl.replace(/\/$/, '')}${path}`;
  const timeoutMs = opts.timeoutMs ?? 2_000;
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: body === undefined ? undefined : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    const err = e as Error & { cause?: { code?: string } };
    const why =
      err.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (err.cause?.code ?? err.message);
    throw new TransientError(`sandbox control API ${method} ${path}: ${why}`, { url, method });
  }
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = text;
  }
  if (res.status >= 500)
    throw new TransientError(
      `sandbox control API ${method} ${path}: HTTP ${res.status} ${text.slice(0, 200)}`,
      {
        url,
        method,
        status: res.status,
      },
    );
  return { status: res.status, body: parsed };
}

function unexpected(method: string, path: string, r: Reply): FailoverError {
  return new FailoverError(
    'SandboxApiError',
    `sandbox control API ${method} ${path}: unexpected HTTP ${r.status} ${JSON.stringify(r.body)}`,
    { status: r.status, body: r.body },
  );
}

/** Same TTL and the same set of values, as Route 53 matches a DELETE. */
/** {@link DnsPointer} over the sandbox DNS zone. */
export class SandboxDnsPointer implements DnsPointer {
  private readonly controlUrl: string;
  private readonly recordName: string;
  private readonly recordType: string;
  private readonly opts: SandboxClientOptions;
  constructor(controlUrl: string, recordName: string, recordType: string, opts: SandboxClientOptions = {}) {
    this.controlUrl = controlUrl;
    this.recordName = recordName;
    this.recordType = recordType;
    this.opts = opts;
  }

  private get path(): string {
    return `/dns/records/${encodeURIComponent(this.recordName)}/${encodeURIComponent(this.recordType)}`;
  }

  async read(): Promise<DnsRecord | null> {
    const r = await call(this.controlUrl, 'GET', this.path, this.opts);
    if (r.status === 404) return null;
    if (r.status !== 200) throw unexpected('GET', this.path, r);
    const rec = r.body as DnsRecord;
    return { ttl: rec.ttl, values: [...rec.values] };
  }

  /** Already `next` -> `already`; not `expected` -> `DnsChangeConflict` (dry run too); dry run -> `would-change`. */
  async compareAndSwap(req: {
    expected: DnsRecord;
    next: DnsRecord;
    dryRun: boolean;
  }): Promise<DnsSwapResult> {
    const { expected, next, dryRun } = req;
    const current = await this.read();
    if (current && sameDnsRecord(this.recordType, current, next))
      return { outcome: 'already', changeId: null };
    if (!current || !sameDnsRecord(this.recordType, current, expected))
      throw this.conflict(expected, next, current);
    if (dryRun) return { outcome: 'would-change', changeId: null };
    const path = `${this.path}/cas`;
    const r = await call(this.controlUrl, 'POST', path, this.opts, { expected, next });
    if (r.status === 409)
      throw this.conflict(expected, next, (r.body as { current?: DnsRecord | null }).current ?? null);
    if (r.status !== 200) throw unexpected('POST', path, r);
    return { outcome: 'changed', changeId: (r.body as { changeId: string }).changeId };
  }

  async changeStatus(changeId: string): Promise<'PENDING' | 'INSYNC'> {
    const path = `/dns/changes/${encodeURIComponent(changeId)}`;
    const r = await call(this.controlUrl, 'GET', path, this.opts);
    if (r.status === 404) throw new InvalidInput(`unknown DNS change id ${changeId}`, { changeId });
    if (r.status !== 200) throw unexpected('GET', path, r);
    return (r.body as { status: 'PENDING' | 'INSYNC' }).status;
  }

  private conflict(expected: DnsRecord, next: DnsRecord, current: DnsRecord | null): FailoverError {
    const { recordName, recordType } = this;
    return new DnsChangeConflict(
      `${recordName} ${recordType} is ${showDnsRecord(current)}, not the expected ${showDnsRecord(expected)}; nothing was changed`,
      { recordName, recordType, expected, next, current },
    );
  }
}

/** {@link AlarmStates} from the sandbox alarm evaluator. */
export class SandboxAlarmStates implements AlarmStates {
  private readonly controlUrl: string;
  private readonly opts: SandboxClientOptions;
  constructor(controlUrl: string, opts: SandboxClientOptions = {}) {
    this.controlUrl = controlUrl;
    this.opts = opts;
  }

  async states(alarmNames: string[]): Promise<Record<string, AlarmStateValue>> {
    return Object.fromEntries(Object.entries(await this.details(alarmNames)).map(([n, d]) => [n, d.state]));
  }

  /** States with the time of their last change (readiness's INSUFFICIENT_DATA bound reads it). */
  async details(alarmNames: string[]): Promise<Record<string, { state: AlarmStateValue; since?: number }>> {
    if (alarmNames.length === 0) return {};
    const query = alarmNames.map((n) => `name=${encodeURIComponent(n)}`).join('&');
    const path = `/alarms?${query}`;
    const r = await call(this.controlUrl, 'GET', path, this.opts);
    if (r.status !== 200) throw unexpected('GET', path, r);
    const body = r.body as { states: Record<string, AlarmStateValue>; since?: Record<string, number> };
    return Object.fromEntries(
      Object.entries(body.states).map(([n, state]) => {
        const since = body.since?.[n];
        return [n, since === undefined ? { state } : { state, since }];
      }),
    );
  }
}

/** {@link HealthCheckStatuses} from the sandbox's simulated Route 53 checkers. */
export class SandboxHealthChecks implements HealthCheckStatuses {
  private readonly controlUrl: string;
  private readonly opts: SandboxClientOptions;
  constructor(controlUrl: string, opts: SandboxClientOptions = {}) {
    this.controlUrl = controlUrl;
    this.opts = opts;
  }

  async observations(healthCheckId: string): Promise<{ healthy: number; total: number }> {
    const path = `/health-checks/${encodeURIComponent(healthCheckId)}`;
    const r = await call(this.controlUrl, 'GET', path, this.opts);
    if (r.status === 404)
      throw new InvalidInput(`no health check ${healthCheckId} in the sandbox`, { healthCheckId });
    if (r.status !== 200) throw unexpected('GET', path, r);
    const { healthy, total } = r.body as { healthy: number; total: number };
    return { healthy, total };
  }
}

/** {@link ClusterRegistry} kept by the sandbox (it records connected clusters of live servers). */
export class SandboxClusterRegistry implements ClusterRegistry {
  private readonly controlUrl: string;
  private readonly opts: SandboxClientOptions;
  constructor(controlUrl: string, opts: SandboxClientOptions = {}) {
    this.controlUrl = controlUrl;
    this.opts = opts;
  }

  async lastSeen(serverCluster: string): Promise<{ clusters: string[]; at: string } | null> {
    const path = `/clusters/${encodeURIComponent(serverCluster)}`;
    const r = await call(this.controlUrl, 'GET', path, this.opts);
    if (r.status === 404) return null;
    if (r.status !== 200) throw unexpected('GET', path, r);
    const { clusters, at } = r.body as { clusters: string[]; at: string };
    return { clusters, at };
  }

  async record(serverCluster: string, clusters: string[], at: string): Promise<void> {
    const path = `/clusters/${encodeURIComponent(serverCluster)}`;
    const r = await call(this.controlUrl, 'PUT', path, this.opts, { clusters, at });
    if (r.status !== 204 && r.status !== 200) throw unexpected('PUT', path, r);
  }

  /** Run sets live next to the last-seen records, under their own key prefix (as in DynamoDB). */
  saveRunSet(key: string, clusters: string[], at: string): Promise<void> {
    return this.record(key, clusters, at);
  }

  runSet(key: string): Promise<{ clusters: string[]; at: string } | null> {
    return this.lastSeen(key);
  }
}

/** {@link DnsInventory} of the sandbox's zone (the Route 53 control plane's stand-in: `down` applies). */
export class SandboxDnsInventory implements DnsInventory {
  private readonly controlUrl: string;
  private readonly opts: SandboxClientOptions;
  constructor(controlUrl: string, opts: SandboxClientOptions = {}) {
    this.controlUrl = controlUrl;
    this.opts = opts;
  }

  async recordSets(): Promise<DnsInventoryRecord[]> {
    const r = await call(this.controlUrl, 'GET', '/dns/inventory/records', this.opts);
    if (r.status !== 200) throw unexpected('GET', '/dns/inventory/records', r);
    return r.body as DnsInventoryRecord[];
  }

  async healthCheck(id: string): Promise<DnsInventoryHealthCheck | null> {
    const path = `/dns/inventory/health-checks/${encodeURIComponent(id)}`;
    const r = await call(this.controlUrl, 'GET', path, this.opts);
    if (r.status === 404) return null;
    if (r.status !== 200) throw unexpected('GET', path, r);
    return r.body as DnsInventoryHealthCheck;
  }
}

/** {@link DatastoreRegistry} kept by the sandbox (the SSM parameter's stand-in). */
export class SandboxDatastoreRegistry implements DatastoreRegistry {
  private readonly controlUrl: string;
  private readonly opts: SandboxClientOptions;
  constructor(controlUrl: string, opts: SandboxClientOptions = {}) {
    this.controlUrl = controlUrl;
    this.opts = opts;
  }

  async read(): Promise<DatastoreRecord | null> {
    const r = await call(this.controlUrl, 'GET', '/datastore', this.opts);
    if (r.status === 404) return null;
    if (r.status !== 200) throw unexpected('GET', '/datastore', r);
    return r.body as DatastoreRecord;
  }

  async write(rec: DatastoreRecord): Promise<void> {
    const r = await call(this.controlUrl, 'PUT', '/datastore', this.opts, rec);
    if (r.status !== 204 && r.status !== 200) throw unexpected('PUT', '/datastore', r);
  }
}
