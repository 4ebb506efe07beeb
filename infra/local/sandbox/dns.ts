/**
 * The sandbox DNS zone: a real UDP DNS server on a loopback port (dns2) serving the relay record,
 * and the control-plane operations the sandbox control API exposes (read, compare-and-swap with a
 * change id that turns INSYNC after a propagation delay, like Route 53's `GetChange`).
 *
 * Like Route 53, the control plane shows a change at once while the data plane (the answers agents
 * get) serves it only once the change is INSYNC.
 */
import { randomUUID } from 'node:crypto';
import dns2 from 'dns2';
import { failoverAnswer } from '#lib/dns-modes.ts';

const { Packet } = dns2;
// dns2 has `Packet.RCODE` at runtime but not in its types (RFC 1035 section 4.1.1 values).
const RCODE = { FORMERR: 1, NXDOMAIN: 3 } as const;

/** The content of one record (same shape as the DnsPointer port's record). */
export interface ZoneRecord {
  ttl: number;
  values: string[];
}

/** Record types the sandbox zone serves. */
export type ZoneRecordType = 'A' | 'AAAA' | 'CNAME';

/** Result of {@link SandboxDns.compareAndSwap}. */
export type CasResult = { ok: true; changeId: string } | { ok: false; current: ZoneRecord | null };

/** A Route 53 failover pair: each record answered by the health of its health check. */
export interface FailoverPair {
  ttl: number;
  primary: { value: string; healthCheckId: string };
  secondary: { value: string; healthCheckId: string };
  /** The health check's status as Route 53 sees it now. */
  healthy(healthCheckId: string): boolean;
}

/** Options of {@link startSandboxDns}. */
export interface SandboxDnsOptions {
  /** Delay before a change is served by the data plane and reported INSYNC. */
  propagationMs: number;
  /** Initial records. */
  records?: { name: string; type: ZoneRecordType; record: ZoneRecord }[];
}

/** A running sandbox DNS server. */
export interface SandboxDns {
  /** `127.0.0.1:<port>` of the UDP server (usable with `Resolver.setServers`). */
  server: string;
  port: number;
  /** The record as the control plane sees it (latest accepted change). */
  read(name: string, type: ZoneRecordType): ZoneRecord | null;
  /** The record as the data plane serves it now. */
  served(name: string, type: ZoneRecordType): ZoneRecord | null;
  /** Replaces `expected` by `next` when the record is exactly `expected` (ttl and the set of values). */
  compareAndSwap(name: string, type: ZoneRecordType, expected: ZoneRecord, next: ZoneRecord): CasResult;
  /**
   * Serves `name`/`type` from a failover pair (Route 53 "How Amazon Route 53 chooses records when
   * health checking is configured": healthy PRIMARY, else healthy SECONDARY, else the PRIMARY).
   */
  setFailoverPair(name: string, type: ZoneRecordType, pair: FailoverPair): void;
  /** Sets a record unconditionally (like an UPSERT); returns the change id. */
  upsert(name: string, type: ZoneRecordType, record: ZoneRecord): string;
  /** `PENDING` until the change is served, then `INSYNC`; undefined for an unknown id. */
  changeStatus(id: string): 'PENDING' | 'INSYNC' | undefined;
  /** How many queries the server answered (all types). */
  readonly queries: number;
  close(): Promise<void>;
}

/** Normalises a DNS name for lookups (lowercase, no trailing dot). */
function norm(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

const keyOf = (name: string, type: string) => `${norm(name)}|${type}`;

/** Exact comparison, as Route 53 matches a DELETE: same TTL and the same set of values. */
export function sameRecord(a: ZoneRecord | null, b: ZoneRecord | null): boolean {
  if (!a || !b) return a === b;
  if (a.ttl !== b.ttl || a.values.length !== b.values.length) return false;
  const x = [...a.values].sort();
  const y = [...b.values].sort();
  return x.every((v, i) => v === y[i]);
}

const TYPE_CODES: Record<ZoneRecordType, number> = {
  A: Packet.TYPE.A,
  AAAA: Packet.TYPE.AAAA,
  CNAME: Packet.TYPE.CNAME,
};

/** Starts the DNS server on a free UDP port of 127.0.0.1. */
export async function startSandboxDns(opts: SandboxDnsOptions): Promise<SandboxDns> {
  const control = new Map<string, ZoneRecord>();
  const data = new Map<string, ZoneRecord>();
  const changes = new Map<string, 'PENDING' | 'INSYNC'>();
  const pairs = new Map<string, FailoverPair>();
  const answerOf = (key: string): ZoneRecord | null => {
    const pair = pairs.get(key);
    if (!pair) return data.get(key) ?? null;
    const ids = { primary: pair.primary.healthCheckId, secondary: pair.secondary.healthCheckId };
    const pick = failoverAnswer(ids, (id) => pair.healthy(id));
    return { ttl: pair.ttl, values: [pick === ids.primary ? pair.primary.value : pair.secondary.value] };
  };
  const timers = new Set<NodeJS.Timeout>();
  let queries = 0;

  for (const r of opts.records ?? []) {
    control.set(keyOf(r.name, r.type), r.record);
    data.set(keyOf(r.name, r.type), r.record);
  }

  const server = dns2.createUDPServer((request, send) => {
    queries++;
    const response = Packet.createResponseFromRequest(request);
    const [question] = request.questions;
    if (!question) {
      response.header.rcode = RCODE.FORMERR;
      send(response);
      return;
    }
    const name = norm(question.name);
    const known = [...data.keys(), ...pairs.keys()].some((k) => k.startsWith(`${name}|`));
    if (!known) {
      response.header.rcode = RCODE.NXDOMAIN;
      send(response);
      return;
    }
    for (const type of Object.keys(TYPE_CODES) as ZoneRecordType[]) {
      if (TYPE_CODES[type] !== question.type) continue;
      const rec = answerOf(keyOf(name, type));
      for (const value of rec?.values ?? [])
        response.answers.push({
          name: question.name,
          type: TYPE_CODES[type],
          class: Packet.CLASS.IN,
          ttl: rec!.ttl,
          ...(type === 'CNAME' ? { domain: value } : { address: value }),
        } as dns2.Packet.Resource);
    }
    send(response);
  });
  server.on('requestError', () => {}); // a malformed datagram must not crash the sandbox
  server.on('error', () => {});
  await server.listen(0, '127.0.0.1');
  // Agents start together and this server shares their process: with the default receive buffer
  // a burst of 1,000 queries overflows it (the kernel caps the size at net.core.rmem_max).
  try {
    server.setRecvBufferSize(4 * 1024 * 1024);
  } catch {
    // keep the default
  }
  const port = server.address().port;

  const schedule = (key: string, record: ZoneRecord): string => {
    const id = `C${randomUUID().replace(/-/g, '').slice(0, 20).toUpperCase()}`;
    changes.set(id, 'PENDING');
    const apply = () => {
      data.set(key, record);
      changes.set(id, 'INSYNC');
    };
    if (opts.propagationMs <= 0) apply();
    else {
      const t = setTimeout(() => {
        timers.delete(t);
        apply();
      }, opts.propagationMs);
      timers.add(t);
    }
    return id;
  };

  return {
    server: `127.0.0.1:${port}`,
    port,
    get queries() {
      return queries;
    },
    read: (name, type) =>
      pairs.has(keyOf(name, type)) ? answerOf(keyOf(name, type)) : (control.get(keyOf(name, type)) ?? null),
    served: (name, type) => answerOf(keyOf(name, type)),
    setFailoverPair(name, type, pair) {
      pairs.set(keyOf(name, type), pair);
    },
    compareAndSwap(name, type, expected, next) {
      const key = keyOf(name, type);
      const current = control.get(key) ?? null;
      if (!sameRecord(current, expected)) return { ok: false, current };
      const record = { ttl: next.ttl, values: [...next.values] };
      control.set(key, record);
      return { ok: true, changeId: schedule(key, record) };
    },
    upsert(name, type, record) {
      const key = keyOf(name, type);
      const copy = { ttl: record.ttl, values: [...record.values] };
      control.set(key, copy);
      return schedule(key, copy);
    },
    changeStatus: (id) => changes.get(id),
    async close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
