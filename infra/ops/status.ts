/**
 * `npm run status -- --topology FILE`: one screen for an operator. Per server: its region, whether
 * it is active, the global lock as its own Redis member holds it, the member's role and lag, its
 * health and relay ports, the agents connected to it, the last run into it and why it could not
 * take over now. Then the DNS answer on the data plane (a real DNS query, not the control plane's
 * record) and a verdict: exit 0 when everything agrees on one active server, 1 with the reasons
 * when not (split brain, DNS on the passive server, lock and Redis primary disagreeing ...), 2 when
 * too little could be read to tell. Read-only: it never changes anything.
 */
import { Resolver } from 'node:dns/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { systemClock } from '#lib/clock.ts';
import { checkHealth } from '#lib/health-check.ts';
import { missingReplicas } from '#lib/metrics/reading.ts';
import { clusterForRecord } from '#lib/observe.ts';
import type { RedisMemberState, RedisState } from '#lib/ports.ts';
import { netProbes } from '#lib/probes.ts';
import { loadTopology, type Region, type Server, type Topology } from '#lib/topology.ts';
import type { Ports } from '#lib/wiring.ts';

/** The ports the status reads through (all read-only uses). */
export type StatusPorts = Pick<Ports, 'probes' | 'agentMetrics' | 'promoter' | 'lock'>;

/** The last run into a server (AWS: its region's failover or failback state machine). */
export interface LastRun {
  name: string;
  direction: 'failover' | 'failback';
  status: string;
  /** The end state (outcome) when it ended, e.g. `FailedOver`. */
  outcome: string | null;
  startedAt: string | null;
  stoppedAt: string | null;
}

/** Where the last runs come from. */
export type LastRunReader = (server: Server) => Promise<LastRun | null>;

/** One server as read now. */
export interface ServerStatus {
  id: string;
  region: Region;
  glooClusterName: string;
  home: boolean;
  /** The global lock as this server's own Redis member holds it. */
  lock: { holder: string | null; epoch: number } | null;
  lockError?: string;
  redis: RedisMemberState | null;
  health: { ok: boolean; detail: string };
  relay: { ok: boolean; detail: string };
  /** Agent clusters with push and pull connected, and of those the warmed ones (summed over its replicas). */
  agents: { connected: number; warmed: number; missingReplicas: string[] } | null;
  agentsError?: string;
  lastRun: LastRun | null;
  lastRunError?: string;
}

/** Everything the status screen shows. */
export interface StatusReadings {
  name: string;
  at: string;
  servers: ServerStatus[];
  redis: RedisState | null;
  redisError?: string;
  dns: {
    name: string;
    type: string;
    via: string;
    answer: string[] | null;
    pointsTo: string | null;
    error?: string;
  };
}

/** The verdict. */
export interface StatusVerdict {
  /** The server everything agrees is active, or null. */
  active: string | null;
  /** Disagreements: any one makes the exit code 1. */
  problems: string[];
  /** What could not be read (exit code 2 when there is no problem but too little is known). */
  unknowns: string[];
  /** Why each passive server could not take over now. */
  readiness: Record<string, string[]>;
  exitCode: 0 | 1 | 2;
}

/** Options of {@link collectStatus}. */
export interface CollectOptions {
  /** Resolves the relay record on the data plane. */
  resolve: (name: string, type: string) => Promise<string[]>;
  /** A description of the resolver (e.g. `127.0.0.1:5353`, or `system resolver`). */
  resolverName: string;
  lastRun?: LastRunReader;
  /** Timeout of each probe and scrape (default: the topology's probe timeout, at least 2 s: status is not in a hurry). */
  timeoutMs?: number;
  now?: () => Date;
}

const msg = (e: unknown) => (e as Error).message ?? String(e);

/** Reads everything the screen shows, each read on its own (one failure never hides the rest). */
export async function collectStatus(
  t: Topology,
  ports: StatusPorts,
  o: CollectOptions,
): Promise<StatusReadings> {
  const timeout = o.timeoutMs ?? Math.max(t.verification.probeTimeoutMs, 2_000);
  const [redis, answer] = await Promise.allSettled([
    ports.promoter.describe(),
    o.resolve(t.dns.recordName, t.dns.recordType),
  ]);
  const servers = await Promise.all(
    t.servers.map(async (s): Promise<ServerStatus> => {
      const [lock, health, relay, reading, lastRun] = await Promise.allSettled([
        (async () => {
          const h = await ports.lock(s.region);
          try {
            return await h.lock.read();
          } finally {
            await h.close();
          }
        })(),
        checkHealth(s, ports.probes, timeout),
        ports.probes.tcpConnect(s.relayAddress, timeout),
        ports.agentMetrics.read(s, timeout),
        o.lastRun ? o.lastRun(s) : Promise.resolve(null),
      ]);
      let agents: ServerStatus['agents'] = null;
      if (reading.status === 'fulfilled') {
        const clusters = [...reading.value.clusters.values()];
        const connected = clusters.filter((c) => c.pushConnected >= 1 && c.pullConnected >= 1);
        agents = {
          connected: connected.length,
          warmed: connected.filter((c) => c.warmed >= 1).length,
          missingReplicas: missingReplicas(reading.value),
        };
      }
      const probe = (r: PromiseSettledResult<{ ok: boolean; detail: string }>) =>
        r.status === 'fulfilled'
          ? { ok: r.value.ok, detail: r.value.detail }
          : { ok: false, detail: msg(r.reason) };
      return {
        id: s.id,
        region: s.region,
        glooClusterName: s.glooClusterName,
        home: s.id === t.homeServer,
        lock: lock.status === 'fulfilled' ? { holder: lock.value.holder, epoch: lock.value.epoch } : null,
        ...(lock.status === 'rejected' ? { lockError: msg(lock.reason) } : {}),
        redis:
          redis.status === 'fulfilled'
            ? (redis.value.members.find((m) => m.region === s.region) ?? null)
            : null,
        health: probe(health),
        relay: probe(relay),
        agents,
        ...(reading.status === 'rejected' ? { agentsError: msg(reading.reason) } : {}),
        lastRun: lastRun.status === 'fulfilled' ? lastRun.value : null,
        ...(lastRun.status === 'rejected' ? { lastRunError: msg(lastRun.reason) } : {}),
      };
    }),
  );
  const dnsAnswer = answer.status === 'fulfilled' ? answer.value : null;
  return {
    name: t.name,
    at: (o.now?.() ?? new Date()).toISOString(),
    servers,
    redis: redis.status === 'fulfilled' ? redis.value : null,
    ...(redis.status === 'rejected' ? { redisError: msg(redis.reason) } : {}),
    dns: {
      name: t.dns.recordName,
      type: t.dns.recordType,
      via: o.resolverName,
      answer: dnsAnswer,
      pointsTo: dnsAnswer ? clusterForRecord(t, { values: dnsAnswer }) : null,
      ...(answer.status === 'rejected' ? { error: msg(answer.reason) } : {}),
    },
  };
}

/**
 * Judges the readings. The active server is the one whose region holds the only writable Redis
 * member; the lock on that member must name it, the DNS answer must point at it, and it must
 * answer its health check. Two writable members is a split brain whatever their locks say.
 */
export function judge(t: Topology, r: StatusReadings, maxLagBytes = t.redis.maxLagBytes): StatusVerdict {
  const problems: string[] = [];
  const unknowns: string[] = [];
  const readiness: Record<string, string[]> = {};
  const primaries = r.servers.filter((s) => s.redis?.reachable && s.redis.role === 'primary');
  // A primary that refuses writes by itself (data-layer fencing: no good replica) is not writable.
  const writable = primaries.filter((s) => !s.redis?.refusesWrites);
  if (!r.redis) unknowns.push(`Redis roles: ${r.redisError ?? 'not read'}`);
  if (writable.length > 1)
    problems.push(
      `split brain: two writable Redis members (${writable.map((s) => `${s.region}: lock ${s.lock ? `${s.lock.holder ?? 'nobody'}@${s.lock.epoch}` : 'unreadable'}`).join('; ')})`,
    );
  else if (r.redis && writable.length === 0)
    problems.push(
      primaries.length
        ? `no writable Redis member: ${primaries.map((s) => `the primary in ${s.region} refuses writes (${s.redis?.detail ?? ''}): it has no good replica; a replica back in sync lifts it, or lower the fence by hand (CONFIG SET min-replicas-to-write 0) to write without a standby`).join('; ')}`
        : 'no writable Redis member: no server can write',
    );
  const primary = writable.length === 1 ? writable[0]! : null;
  let active: string | null = primary?.id ?? null;
  if (primary) {
    if (!primary.lock) unknowns.push(`lock on ${primary.region}: ${primary.lockError ?? 'not read'}`);
    else if (primary.lock.holder !== primary.id) {
      problems.push(
        `the Redis primary is in ${primary.region} (${primary.id}) but its lock names ${primary.lock.holder ?? 'nobody'} (epoch ${primary.lock.epoch})`,
      );
      active = null;
    }
    if (!primary.health.ok)
      problems.push(`the active server ${primary.id} fails its health check (${primary.health.detail})`);
  }
  if (!r.dns.answer) unknowns.push(`DNS ${r.dns.name}: ${r.dns.error ?? 'no answer'}`);
  else if (!r.dns.pointsTo)
    problems.push(
      `DNS ${r.dns.name} answers ${r.dns.answer.join(', ')}: that is neither server's record value`,
    );
  else if (primary && r.dns.pointsTo !== primary.id)
    problems.push(
      `DNS ${r.dns.name} points at the passive server ${r.dns.pointsTo} (${r.dns.answer.join(', ')}); the active one is ${primary.id}`,
    );

  for (const s of r.servers) {
    if (s.id === active) continue;
    const why: string[] = [];
    if (!s.health.ok) why.push(`health check fails (${s.health.detail})`);
    if (!s.relay.ok) why.push(`relay port does not answer (${s.relay.detail})`);
    if (!s.redis) why.push('its Redis member was not read');
    else if (!s.redis.reachable)
      why.push(`its Redis member does not answer (${s.redis.detail ?? 'unreachable'})`);
    else if (s.redis.role === 'replica') {
      if (s.redis.inSync === false)
        why.push(`its Redis replica is not in sync (${s.redis.detail ?? ''})`.trim());
      if (typeof s.redis.lagBytes === 'number' && s.redis.lagBytes > maxLagBytes)
        why.push(`its Redis replica lags ${s.redis.lagBytes} bytes (bound ${maxLagBytes})`);
    } else if (s.redis.role !== 'primary') why.push(`its Redis member is ${s.redis.role}, not a replica`);
    else if (s.redis.refusesWrites)
      why.push(
        'its Redis member is a fenced primary (refuses writes, follows nobody): resync it as a replica first',
      );
    readiness[s.id] = why;
  }
  const exitCode = problems.length ? 1 : active && unknowns.length === 0 ? 0 : 2;
  return { active, problems, unknowns, readiness, exitCode };
}

/** The screen. */
export function renderStatus(r: StatusReadings, v: StatusVerdict): string {
  const lines: string[] = [];
  lines.push(`${r.name}: status at ${r.at}`);
  lines.push(
    `Redis: ${r.redis ? `${r.redis.groupStatus ?? ''} primary ${r.redis.primaryRegion ?? 'none'}` : `unread (${r.redisError})`}`,
  );
  lines.push(
    `DNS ${r.dns.name} ${r.dns.type} via ${r.dns.via}: ${r.dns.answer ? `${r.dns.answer.join(', ')} -> ${r.dns.pointsTo ?? 'neither server'}` : `no answer (${r.dns.error})`}`,
  );
  for (const s of r.servers) {
    const role = s.id === v.active ? 'ACTIVE' : 'passive';
    lines.push('');
    lines.push(
      `${s.id} (${s.region}${s.home ? ', home' : ''}, common.cluster ${s.glooClusterName}): ${role}`,
    );
    lines.push(
      `  lock      ${s.lock ? `${s.lock.holder ?? 'nobody'} @ epoch ${s.lock.epoch}` : `unread (${s.lockError})`}`,
    );
    const m = s.redis;
    lines.push(
      `  redis     ${m ? `${m.role}${m.reachable ? '' : ' (unreachable)'}${typeof m.lagBytes === 'number' ? `, lag ${m.lagBytes} bytes` : ''}${m.inSync === false ? ', not in sync' : ''}${m.detail ? ` [${m.detail}]` : ''}` : 'unread'}`,
    );
    lines.push(
      `  health    ${s.health.ok ? 'ok' : 'FAIL'} (${s.health.detail}); relay ${s.relay.ok ? 'ok' : 'FAIL'} (${s.relay.detail})`,
    );
    lines.push(
      `  agents    ${s.agents ? `${s.agents.connected} connected, ${s.agents.warmed} warmed${s.agents.missingReplicas.length ? ` (replicas not answering: ${s.agents.missingReplicas.join(', ')})` : ''}` : `unread (${s.agentsError})`}`,
    );
    const lr = s.lastRun;
    lines.push(
      `  last run  ${lr ? `${lr.direction} ${lr.name}: ${lr.status}${lr.outcome ? ` -> ${lr.outcome}` : ''} (${lr.startedAt ?? '?'}${lr.stoppedAt ? ` .. ${lr.stoppedAt}` : ''})` : s.lastRunError ? `unread (${s.lastRunError})` : 'none recorded'}`,
    );
    if (s.id !== v.active) {
      const why = v.readiness[s.id] ?? [];
      lines.push(`  ready     ${why.length ? `NO: ${why.join('; ')}` : 'yes: could take over now'}`);
    }
  }
  lines.push('');
  if (v.problems.length) {
    lines.push(`INCONSISTENT (${v.problems.length}):`);
    for (const p of v.problems) lines.push(`  - ${p}`);
  } else if (v.exitCode === 0)
    lines.push(`CONSISTENT: ${v.active} is active; lock, Redis primary and DNS agree.`);
  else lines.push('UNKNOWN: too little could be read to tell.');
  for (const u of v.unknowns) lines.push(`  ? ${u}`);
  return `${lines.join('\n')}\n`;
}

/** A data-plane resolver: the given DNS server (`host:port`), or the system's. */
export function dnsResolver(server?: string): CollectOptions['resolve'] {
  const resolver = new Resolver({ timeout: 2_000, tries: 2 });
  if (server) resolver.setServers([server]);
  return async (name, type) => {
    if (type === 'A') return resolver.resolve4(name);
    if (type === 'AAAA') return resolver.resolve6(name);
    return resolver.resolveCname(name);
  };
}

/** Runs the command: prints the screen, returns the exit code. */
export async function statusCommand(
  argv: string[],
  out: (s: string) => void,
  deps: {
    ports?: (t: Topology) => StatusPorts | Promise<StatusPorts>;
    lastRun?: (t: Topology) => LastRunReader;
  } = {},
): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      topology: { type: 'string' },
      'dns-server': { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help || !values.topology) {
    out(
      'usage: npm run status -- --topology FILE [--dns-server HOST:PORT] [--json]\n' +
        '  exit 0: consistent (one active server); 1: inconsistent (reasons printed); 2: could not tell\n',
    );
    return values.help ? 0 : 2;
  }
  if (values['dns-server'] && !/^[^\s:]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(values['dns-server']))
    throw new Error(`--dns-server: expected HOST:PORT, e.g. 127.0.0.1:5353, got ${values['dns-server']}`);
  const t = loadTopology(values.topology);
  if (!t.sandbox) process.env.AWS_REGION ??= t.servers.find((s) => s.id === t.homeServer)!.region;
  const ports = deps.ports ? await deps.ports(t) : await defaultPorts(t);
  const lastRun =
    deps.lastRun?.(t) ?? (t.sandbox ? sandboxLastRuns(t.sandbox.controlUrl) : await awsLastRuns(t));
  const readings = await collectStatus(t, ports, {
    resolve: dnsResolver(values['dns-server']),
    resolverName: values['dns-server'] ?? 'system resolver',
    lastRun,
  });
  const verdict = judge(t, readings);
  out(values.json ? `${JSON.stringify({ readings, verdict }, null, 2)}\n` : renderStatus(readings, verdict));
  return verdict.exitCode;
}

/** The sandbox's ports for a sandbox topology; else the product's read adapters (AWS). */
async function defaultPorts(t: Topology): Promise<StatusPorts> {
  if (t.sandbox) return (await import('#local/sandbox/ports.ts')).sandboxPorts(t);
  const [{ redisPromoterPort }, { redisLockPort }, { agentMetricsPort }] = await Promise.all([
    import('#lib/wire/promoter.ts'),
    import('#lib/wire/lock.ts'),
    import('#lib/wire/agent-metrics.ts'),
  ]);
  return {
    probes: netProbes,
    agentMetrics: agentMetricsPort(),
    promoter: redisPromoterPort(t, systemClock),
    lock: redisLockPort(t),
  };
}

/** The last runs the local runner recorded in the sandbox (its control API). */
function sandboxLastRuns(controlUrl: string): LastRunReader {
  return async (s) => {
    const res = await fetch(`${controlUrl}/runs/${encodeURIComponent(s.id)}`, {
      signal: AbortSignal.timeout(2_000),
    });
    if (res.status === 404) return null;
    if (!res.ok) throw new Error(`GET /runs/${s.id}: HTTP ${res.status}`);
    return (await res.json()) as LastRun;
  };
}

/** The last runs on AWS (states:ListExecutions and states:DescribeExecution, read-only). */
async function awsLastRuns(t: Topology): Promise<LastRunReader> {
  const { awsLastRunReader } = await import('./aws-last-run.ts');
  return awsLastRunReader(t);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  statusCommand(process.argv.slice(2), (s) => process.stdout.write(s))
    .then((code) => {
      process.exitCode = code;
    })
    .catch((e: Error) => {
      process.stderr.write(`status failed: ${e.message}\n`);
      process.exitCode = 2;
    });
}
