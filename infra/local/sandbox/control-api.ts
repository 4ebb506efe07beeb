/**
 * The sandbox control API: one JSON HTTP server on 127.0.0.1 serving what AWS serves the
 * orchestrator (the DNS record and its changes, alarm states, Route 53 health-check observations,
 * the last-seen clusters of each server). The sandbox adapters in ./adapters.ts
 * are its clients.
 *
 * - `GET  /dns/records/:name/:type` -> 200 `{ttl, values}` | 404
 * - `POST /dns/records/:name/:type/cas` `{expected, next}` -> 200 `{changeId}` | 409 `{error:'conflict', current}`
 * - `GET  /dns/changes/:id` -> 200 `{status: 'PENDING'|'INSYNC'}` | 404
 * - `GET  /dns/inventory/records` -> 200 the relay name's record sets (`ListResourceRecordSets`)
 * - `GET  /dns/inventory/health-checks/:id` -> 200 the health check (`GetHealthCheck`) | 404
 * - `GET  /alarms?name=a&name=b` -> 200 `{states: {a: 'ALARM'|'OK'|'INSUFFICIENT_DATA'|'MISSING'}, since: {a: ms}}`
 * - `GET  /health-checks/:id` -> 200 `{healthy, total}` | 404
 * - `GET  /clusters/:serverCluster` -> 200 `{clusters, at}` | 404; `PUT` the same body -> 204
 * - `GET  /runs/:server` -> 200 the last run into that server | 404; `PUT` a run -> 204 (what Step
 *   Functions' execution history answers in AWS; the local runner records each run it ends)
 *
 * Faults: every call waits `latencyMs`; while `failNext > 0` each mutating call (POST/PUT) is
 * answered 503 and decrements it.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AlarmStateValue, DnsInventoryHealthCheck, DnsInventoryRecord } from '#lib/ports.ts';
import type { SandboxDns, ZoneRecord, ZoneRecordType } from './dns.ts';

/** Control-plane fault knobs (mutable). */
export interface ControlPlaneFaults {
  /** Added to every call. */
  latencyMs: number;
  /** The next N mutating calls answer 503. */
  failNext: number;
  /**
   * The Route 53 control plane is down (it is served from us-east-1): every `/dns` call answers 503.
   * The DNS data plane (the UDP server, health checks) keeps answering.
   */
  down?: boolean;
}

/** Last clusters seen connected to a server. */
export interface LastSeen {
  clusters: string[];
  at: string;
}

/** What the control API serves. */
export interface ControlApiBackends {
  dns: SandboxDns;
  alarmStates(names: string[]): Record<string, AlarmStateValue>;
  /** When each alarm last changed state (ms since the epoch), as DescribeAlarms' StateUpdatedTimestamp. */
  alarmSince(names: string[]): Record<string, number>;
  /** The relay name's record sets and the zone's health checks, as Route 53 lists them. */
  inventory: {
    records(): DnsInventoryRecord[];
    healthCheck(id: string): DnsInventoryHealthCheck | null;
  };
  /** Observations of a health check, or null for an unknown id. */
  healthCheck(id: string): Promise<{ healthy: number; total: number } | null>;
  registry: Map<string, LastSeen>;
  /** The last run into each server (by server id), as the local runner recorded it. */
  runs: Map<string, Record<string, unknown>>;
  /** The datastore record (re-protection writes it; the SSM parameter's stand-in). */
  datastore: { record: unknown };
  faults: ControlPlaneFaults;
}

/** A running control API. */
export interface ControlApi {
  url: string;
  port: number;
  close(): Promise<void>;
}

const RECORD_TYPES = new Set<ZoneRecordType>(['A', 'AAAA', 'CNAME']);

function isRecord(x: unknown): x is ZoneRecord {
  const r = x as ZoneRecord;
  return (
    !!r &&
    Number.isInteger(r.ttl) &&
    r.ttl >= 0 &&
    Array.isArray(r.values) &&
    r.values.every((v) => typeof v === 'string' && v.length > 0)
  );
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : undefined;
}

/** Starts the control API on a free port of 127.0.0.1. */
export async function startControlApi(b: ControlApiBackends): Promise<ControlApi> {
  const send = (res: ServerResponse, status: number, body?: unknown) => {
    if (body === undefined) {
      res.writeHead(status);
      res.end();
      return;
    }
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const method = req.method ?? 'GET';
    if (b.faults.latencyMs > 0) await new Promise((r) => setTimeout(r, b.faults.latencyMs));
    if (b.faults.down && parts[0] === 'dns')
      return send(res, 503, { error: 'Route 53 control plane unavailable (injected: us-east-1 outage)' });
    // Run records are the execution history, not a control-plane call: faults do not apply.
    if ((method === 'POST' || method === 'PUT') && parts[0] !== 'runs' && b.faults.failNext > 0) {
      b.faults.failNext--;
      return send(res, 503, { error: 'service unavailable (injected fault)' });
    }

    if (parts[0] === 'dns' && parts[1] === 'records' && parts.length >= 4) {
      const [, , name = '', type = ''] = parts;
      if (!RECORD_TYPES.has(type as ZoneRecordType))
        return send(res, 400, { error: `unsupported record type ${type}` });
      const t = type as ZoneRecordType;
      if (method === 'GET' && parts.length === 4) {
        const rec = b.dns.read(name, t);
        return rec ? send(res, 200, rec) : send(res, 404, { error: 'no such record' });
      }
      if (method === 'POST' && parts.length === 5 && parts[4] === 'cas') {
        let body: { expected?: unknown; next?: unknown };
        try {
          body = ((await readJson(req)) ?? {}) as typeof body;
        } catch {
          return send(res, 400, { error: 'body is not JSON' });
        }
        if (!isRecord(body.expected) || !isRecord(body.next))
          return send(res, 400, { error: 'expected {expected:{ttl,values}, next:{ttl,values}}' });
        const r = b.dns.compareAndSwap(name, t, body.expected, body.next);
        return r.ok
          ? send(res, 200, { changeId: r.changeId })
          : send(res, 409, { error: 'conflict', current: r.current });
      }
    }
    if (method === 'GET' && parts[0] === 'dns' && parts[1] === 'inventory') {
      if (parts[2] === 'records' && parts.length === 3) return send(res, 200, b.inventory.records());
      if (parts[2] === 'health-checks' && parts.length === 4) {
        const hc = b.inventory.healthCheck(parts[3]!);
        return hc ? send(res, 200, hc) : send(res, 404, { error: 'NoSuchHealthCheck' });
      }
    }
    if (method === 'GET' && parts[0] === 'dns' && parts[1] === 'changes' && parts.length === 3) {
      const status = b.dns.changeStatus(parts[2]!);
      return status ? send(res, 200, { status }) : send(res, 404, { error: 'no such change' });
    }
    if (method === 'GET' && parts[0] === 'alarms' && parts.length === 1)
      return send(res, 200, {
        states: b.alarmStates(url.searchParams.getAll('name')),
        since: b.alarmSince(url.searchParams.getAll('name')),
      });
    if (method === 'GET' && parts[0] === 'health-checks' && parts.length === 2) {
      const obs = await b.healthCheck(parts[1]!);
      return obs ? send(res, 200, obs) : send(res, 404, { error: 'no such health check' });
    }
    if (parts[0] === 'datastore' && parts.length === 1) {
      if (method === 'GET')
        return b.datastore.record
          ? send(res, 200, b.datastore.record)
          : send(res, 404, { error: 'none recorded' });
      if (method === 'PUT') {
        let body: { generation?: unknown; members?: unknown };
        try {
          body = ((await readJson(req)) ?? {}) as typeof body;
        } catch {
          return send(res, 400, { error: 'body is not JSON' });
        }
        if (!Number.isInteger(body.generation) || typeof body.members !== 'object' || !body.members)
          return send(res, 400, { error: 'expected {generation: integer, members: {...}}' });
        b.datastore.record = body;
        return send(res, 204);
      }
    }
    if (parts[0] === 'clusters' && parts.length === 2) {
      const server = parts[1]!;
      if (method === 'GET') {
        const seen = b.registry.get(server);
        return seen ? send(res, 200, seen) : send(res, 404, { error: 'never seen' });
      }
      if (method === 'PUT') {
        let body: Partial<LastSeen>;
        try {
          body = ((await readJson(req)) ?? {}) as Partial<LastSeen>;
        } catch {
          return send(res, 400, { error: 'body is not JSON' });
        }
        if (
          !Array.isArray(body.clusters) ||
          !body.clusters.every((c) => typeof c === 'string') ||
          typeof body.at !== 'string'
        )
          return send(res, 400, { error: 'expected {clusters: string[], at: string}' });
        b.registry.set(server, { clusters: [...body.clusters], at: body.at });
        return send(res, 204);
      }
    }
    if (parts[0] === 'runs' && parts.length === 2) {
      const server = parts[1]!;
      if (method === 'GET') {
        const run = b.runs.get(server);
        return run ? send(res, 200, run) : send(res, 404, { error: 'no run recorded' });
      }
      if (method === 'PUT') {
        let body: Record<string, unknown>;
        try {
          body = ((await readJson(req)) ?? {}) as Record<string, unknown>;
        } catch {
          return send(res, 400, { error: 'body is not JSON' });
        }
        if (typeof body.name !== 'string' || typeof body.status !== 'string')
          return send(res, 400, {
            error: 'expected {name, direction, status, outcome, startedAt, stoppedAt}',
          });
        b.runs.set(server, body);
        return send(res, 204);
      }
    }
    send(res, 404, { error: `no route ${method} ${url.pathname}` });
  };

  const server = createServer((req, res) => {
    route(req, res).catch((e: Error) => {
      if (!res.headersSent) send(res, 500, { error: e.message });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
