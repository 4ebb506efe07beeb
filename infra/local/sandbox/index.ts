/**
 * The sandbox: a whole Gloo management plane in two "regions" on one machine (DESIGN.md section 4).
 *
 * Region A (first) and region B each own a `redis-server` process (B replicates A, like the global
 * datastore's secondary) and a simulated management server bound to its own loopback IP
 * (`127.x.y.11` for A, `127.x.y.12` for B, see `loopbackNet`) on one shared relay port, so the DNS
 * A record switches only the IP, as in real life. Each Redis has its own loopback IP too
 * (`.21`, `.22`), so a killed member's address is never taken by another process. N agents resolve the relay record through a real UDP DNS server and hold
 * relay connections. A control API serves what AWS would (DNS record CAS, alarm states, Route 53
 * health-check observations, last-seen clusters), and faults can be injected per region.
 *
 * At start, A's Redis holds the global lock for A's cluster (epoch 1), the record points at A, and
 * `startSandbox` resolves once every agent is connected to A and warmed.
 */

import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DnsMode } from '#lib/dns-modes.ts';
import { fenceStalePrimaries } from '#lib/fence.ts';
import type { AlarmStateValue, DnsInventoryHealthCheck, DnsInventoryRecord } from '#lib/ports.ts';
import { type LockFormat, RedisGlobalLock } from '#lib/redis/lock.ts';
import { ReplicaOfPromoter } from '#lib/redis/replicaof-promoter.ts';
import { parseTopology, type Region, type Topology } from '#lib/topology.ts';
import type { Ports } from '#lib/wiring.ts';
import { reapStale } from '#local/children.ts';
import { freePort, type RedisProcess, startRedis, waitReplicating } from '#local/redis-server.ts';
import { type PrometheusStandin, startPrometheusStandin } from '../prometheus-standin.ts';
import {
  type ParameterStoreStandin,
  startParameterStore,
  startWebhookReceiver,
  type WebhookReceiver,
} from '../signal-standins.ts';
import { AgentFleet, type Backoff } from './agents.ts';
import { AlarmEvaluator, type AlarmStateChangeEvent } from './alarms.ts';
import { type ArcClusterStandIn, startArcCluster } from './arc-cluster.ts';
import { DEFAULT_AUTHORITY, type RelayCertKind, sandboxCerts, TELEMETRY_NAME } from './certs.ts';
import { type CloudWatchStandIn, startCloudWatch } from './cloudwatch.ts';
import { type ControlApi, type ControlPlaneFaults, type LastSeen, startControlApi } from './control-api.ts';
import { type CasResult, startSandboxDns, type ZoneRecord } from './dns.ts';
import { SANDBOX_GLOO_LOCK } from './gloo-lock.ts';
import { InvariantMonitor } from './invariants.ts';
import { SimServer } from './mgmt-server.ts';
import { sandboxPorts } from './ports.ts';

export type { RedisProcess } from '#local/redis-server.ts';
export type { AgentFleet, Backoff, Placement } from './agents.ts';
export type { AlarmStateChangeEvent } from './alarms.ts';
export type { RelayCertKind } from './certs.ts';
export type { ControlPlaneFaults, LastSeen } from './control-api.ts';
export type { ZoneRecord } from './dns.ts';
export type { InvariantMonitor } from './invariants.ts';
export type { ServerMode, SimServer, WriteEvent, WriteNowResult } from './mgmt-server.ts';

/** Options of {@link startSandbox}. Every field has a default. */
export interface SandboxOptions {
  /**
   * Run the orchestrator's fencing pass (`fenceStalePrimaries`) every 250 ms, as the deployed
   * health probe does on every sample (default true). Off, a returning old primary stays unfenced
   * until a run fences it.
   */
  autoFence?: boolean;
  /**
   * Run Redis with data-layer fencing (`min-replicas-to-write 1`, the topology's default; default
   * true). Off, a returning old primary accepts writes until the lock is fenced.
   */
  dataFencing?: boolean;
  /** Number of agents `workload-1..N` (default 20). */
  agents?: number;
  /** Agent reconnect backoff (default 100 ms base, 2,000 ms cap, full jitter). */
  agentBackoff?: Backoff;
  /** Agent heartbeat interval (default 300 ms); an agent gives up after 1,000 ms without an answer. */
  agentHeartbeatMs?: number;
  /** TTL of the relay record (default 1 s). */
  dnsTtlSeconds?: number;
  /** How long a passive server keeps an agent before `goaway` (default 1,500 ms). */
  passiveGraceMs?: number;
  /** The two regions, A first (default us-east-1, us-west-2). */
  regions?: [Region, Region];
  /** The two management clusters, A first (default mgmt-east, mgmt-west). */
  clusters?: [string, string];
  /** Alarm evaluation: probe period and consecutive failing datapoints (default 500 ms x 3). */
  alarm?: { periodMs: number; datapoints: number };
  /** Delay before a record change is served and INSYNC (default 300 ms). */
  dnsPropagationMs?: number;
  /**
   * First three octets of the loopback addresses (default: a random `127.x.y` per sandbox, so
   * parallel sandboxes never reach each other's ports after a kill). Servers bind `.11` (A) and
   * `.12` (B), Redis `.21` and `.22`; `'127.0.0'` gives 127.0.0.11 and 127.0.0.12.
   */
  loopbackNet?: string;
  /** Wait for every agent to be connected and warmed before resolving (default true). */
  waitForAgents?: boolean;
  /** Replicas (pods) per management server, agents split between them (default 2). */
  replicas?: number;
  /**
   * Where the orchestrator reads the agent gauges (default: `SANDBOX_METRICS_SOURCE`, else
   * `scrape`): `scrape` lists each pod's URL, `headless` resolves a headless-Service name in the
   * sandbox DNS to the pod IPs, `prometheus` queries the Prometheus stand-in scraping the pods.
   */
  metricsSource?: SandboxMetricsSource;
  /** The servers' health check (default `http` on `/health`, expecting 200). */
  healthCheck?: 'http' | 'tcp';
  /**
   * The certificate each server's relay presents, A first (default both `valid`: issued by the
   * root CA agents trust, for the default authority). The relay speaks TLS; agents verify it.
   */
  relayCerts?: [RelayCertKind, RelayCertKind];
  /**
   * How the relay name is switched (default `route53-record`: one simple record). The data-plane
   * modes serve a PRIMARY/SECONDARY failover pair whose health checks follow an ARC cluster
   * stand-in (five endpoints) or out-of-service alarms on per-region CloudWatch stand-ins.
   */
  dnsMode?: DnsMode;
  /**
   * Data-plane modes: the failover pair as the vendor's AWS HA demo publishes it (external-dns):
   * ALIAS records to each region's internal NLB name (`…elb.<region>.amazonaws.com`), which the
   * sandbox's DNS resolves to the server's address, as Route 53 answers an alias with its target's
   * records. `dns.values` then holds the NLB names. Default false (plain A records).
   */
  dnsAlias?: boolean;
  /** How long a record's health check takes to follow its routing control or alarm (default 300 ms). */
  healthCheckReactionMs?: int;
  /** The out-of-service alarms' evaluation period (default 500 ms). */
  alarmPeriodMs?: int;
  /** What the sandbox's Route 53 makes of an alarm it cannot read (default Healthy, as the CDK construct sets). */
  insufficientDataHealthStatus?: 'Healthy' | 'Unhealthy' | 'LastKnownStatus';
  /**
   * The configuration mode the simulated Gloo runs in, and the topology says (default
   * `write-to-one`, which the fault suite exercises most; the drill's default is `write-to-all`).
   * write-to-all: the servers have no lock, each writes while its own Redis member is primary.
   */
  configMode?: 'write-to-all' | 'write-to-one';
  /** write-to-one: the topology's lock adapter (default `redis-key`, calibrated to the sandbox's Gloo lock). */
  lockAdapter?: 'redis-key' | 'meshctl';
  /** The topology's `lock` section as given (e.g. a snippet printed by calibrate); overrides `lockAdapter`. */
  lock?: Record<string, unknown>;
  /** Gloo's common.cluster of each server (default `mgmt-cluster` on both, as in the vendor's demo). */
  glooClusterNames?: [string, string];
  /** meshctl adapter: `lock.timeoutSeconds` (default 20). */
  meshctlTimeoutSeconds?: number;
}

/** How the sandbox topology reads the agent gauges. */
export type SandboxMetricsSource = 'scrape' | 'headless' | 'prometheus';

/** The metrics source named by `SANDBOX_METRICS_SOURCE` (so a suite can run under each), else `scrape`. */
export function metricsSourceFromEnv(env: NodeJS.ProcessEnv = process.env): SandboxMetricsSource {
  const v = env.SANDBOX_METRICS_SOURCE ?? 'scrape';
  if (v !== 'scrape' && v !== 'headless' && v !== 'prometheus')
    throw new Error(
      `SANDBOX_METRICS_SOURCE must be scrape, headless or prometheus, got ${JSON.stringify(v)}`,
    );
  return v;
}
type int = number;

/** The sandbox's fake meshctl (write-to-one, lock adapter meshctl). */
export interface SandboxMeshctl {
  /** The directory on PATH holding `meshctl`. */
  binDir: string;
  /** The kubeconfig with one context per server (`ctx-<server id>`). */
  kubeconfig: string;
  /** Every argv the fake was called with, oldest first. */
  calls(): string[][];
  /** Makes the next calls fail (`exitCode`, `stderr`), hang, or behave again (`null`). */
  setFault(f: { mode: 'fail'; exitCode?: number; stderr?: string } | { mode: 'hang' } | null): void;
}

/** One region's processes. */
export interface RegionHandle {
  redis: RedisProcess;
  server: SimServer;
}

/** Direct access to the sandbox DNS zone (the relay record of the topology). */
export interface SandboxDnsHandle {
  /** `127.0.0.1:<port>` of the UDP DNS server. */
  server: string;
  recordName: string;
  recordType: 'A';
  /** The record as the control plane has it (latest accepted change). */
  read(): ZoneRecord | null;
  /** The record as DNS answers serve it now (changes appear after the propagation delay). */
  served(): ZoneRecord | null;
  /** Compare-and-swap, exactly as the control API does it. */
  compareAndSwap(expected: ZoneRecord, next: ZoneRecord): CasResult;
  /** Points the record at a cluster's value, unconditionally; returns the change id. */
  pointTo(cluster: string): string;
  /** The address agents reach a server at (its value, or with an alias pair its NLB's address). */
  addressOf(cluster: string): string;
  changeStatus(changeId: string): 'PENDING' | 'INSYNC' | undefined;
  /** Queries answered so far. */
  readonly queries: number;
}

/** The alarm evaluator as seen from outside. */
export interface SandboxAlarms {
  /** States by alarm name; `MISSING` for unknown names. */
  states(names?: string[]): Record<string, AlarmStateValue>;
}

/** How a region's server and Redis are doing. */
export interface RegionFaultState {
  server: 'up' | 'killed' | 'frozen';
  redis: 'up' | 'killed' | 'frozen';
}

/** A running sandbox. */
export interface Sandbox {
  /** A valid topology (parseTopology) describing this sandbox. */
  topology: Topology;
  /** The two regions, A first. */
  regionNames: [Region, Region];
  /** The two management clusters, A first. */
  clusters: [string, string];
  /** Processes by region (only the two sandbox regions exist). */
  regions: Record<Region, RegionHandle>;
  agents: AgentFleet;
  dns: SandboxDnsHandle;
  controlUrl: string;
  /** The sandbox's Gloo lock: key, epoch key and value format (what the servers obey in write-to-one). */
  lockFormat: LockFormat;
  /** The fake meshctl: its kubeconfig, recorded calls and fault knob. */
  meshctl: SandboxMeshctl;
  /** `alarm`: an {@link AlarmStateChangeEvent} on every alarm state change. */
  events: EventEmitter;
  alarms: SandboxAlarms;
  /** Turns emission of `alarm` events on or off (on by default); states are evaluated either way. */
  emitAlarmEvents(enabled: boolean): void;
  /** Fault knobs of the control API; mutate or replace `controlPlane` (`down`: the Route 53 control plane is out). */
  faults: {
    controlPlane: ControlPlaneFaults;
    /**
     * Health checks deleted behind the orchestrator's back: `GetHealthCheck` answers
     * NoSuchHealthCheck while the records still name them (Route 53 allows it). Add or remove ids.
     */
    deletedHealthChecks: Set<string>;
  };
  /** The DNS switch mode the topology uses. */
  dnsMode: DnsMode;
  /** The ARC cluster stand-in (`arc-routing-control` mode). */
  arc?: ArcClusterStandIn;
  /** The CloudWatch stand-ins by region (`health-check-metric` mode). */
  cloudWatch?: Partial<Record<Region, CloudWatchStandIn>>;
  /** Invariant monitor (split brain, epoch never decreasing, agent placement history). */
  invariants: InvariantMonitor;
  /** The active-server signal's endpoints: the parameter store (SSM) and the webhook receiver. */
  signal: { parameters: ParameterStoreStandin; webhook: WebhookReceiver };
  /** Presents another relay certificate on a region's server from now on (new handshakes). */
  setRelayCert(region: Region, kind: RelayCertKind): void;
  /** How the topology reads the agent gauges, and the Prometheus stand-in when that is the source. */
  metricsSource: SandboxMetricsSource;
  prometheus: PrometheusStandin | null;
  /** Milliseconds from `startSandbox` to every agent connected and warmed (0 with `waitForAgents: false`). */
  startupMs: number;
  /** The region of a management cluster. */
  regionOf(cluster: string): Region;
  /** Fault state of each region. */
  faultState(region: Region): RegionFaultState;
  /**
   * Takes a region down. `kill` (default): the server closes its relay listener, agent sockets and
   * HTTP endpoints (refused), and its Redis is SIGKILLed. `freeze`: the server stops answering
   * (connections still complete but hang) and its Redis is SIGSTOPped.
   */
  killRegion(region: Region, mode?: 'kill' | 'freeze'): Promise<void>;
  /** A transient outage: freezes the region for `ms`, then thaws it (state kept). */
  blip(region: Region, ms: number): Promise<void>;
  /**
   * Brings a region back. A frozen Redis thaws with its data and role unchanged (a thawed old
   * primary is a second primary: the orchestrator must fence it); it runs one event-loop pass
   * (answers a PING) before the region's server thaws, as a healed partition's Redis has. A KILLED Redis comes back EMPTY
   * and as a STANDALONE PRIMARY (the sandbox runs Redis without persistence): no lock, epoch 0, no
   * snapshots; re-adding it as a replica (resync) is the orchestrator's job. A killed server
   * restarts fresh (no agents, reads the lock again); a frozen one resumes.
   */
  healRegion(region: Region): Promise<void>;
  /** Makes one of the 8 Route 53 checker vantage points report this region's server down (or stop lying). */
  lieProbe(region: Region, lie: boolean): void;
  /** Stops everything: no process, socket or port is left behind. Idempotent. */
  stop(): Promise<void>;
}

/** A random 127.x.y loopback subnet, so concurrent sandboxes never reach each other's ports. */
function randomLoopbackNet(): string {
  const octet = () => 1 + Math.floor(Math.random() * 254);
  return `127.${octet()}.${octet()}`;
}
const RECORD_NAME = 'mgmt-server.sandbox.gloo.test';
/** The headless-Service name of a server's pods in the sandbox zone. */
const podsRecordName = (cluster: string) => `${cluster}-pods.sandbox.gloo.test`;
const CHECKERS = 8;

// Every live sandbox's Redis pids, killed synchronously if the process exits or is signalled.
const live = new Set<() => number[]>();
let hooksInstalled = false;
function killLiveChildren(): void {
  for (const pids of live)
    for (const pid of pids()) {
      try {
        process.kill(pid, 'SIGCONT');
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
}
function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.once('exit', killLiveChildren);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      killLiveChildren();
      // Keep the default behaviour (exit) unless someone else handles the signal.
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    };
    process.once(sig, onSignal);
  }
}

function listen(s: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    s.once('error', reject);
    s.listen(port, host, () => resolve());
  });
}

/** A TCP port free on every one of `hosts` (and not in `avoid`). */
async function freeSharedPort(hosts: readonly string[], avoid: number[] = []): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = await freePort();
    if (avoid.includes(port)) continue;
    const servers: Server[] = [];
    try {
      for (const h of hosts) {
        const s = createServer();
        servers.push(s);
        await listen(s, h, port);
      }
      return port;
    } catch {
      // taken on one of the hosts: try another
    } finally {
      await Promise.all(servers.map((s) => new Promise((r) => (s.listening ? s.close(r) : r(undefined)))));
    }
  }
  throw new Error(`no TCP port free on all of ${hosts.join(', ')}`);
}

/** Polls `replica` (bounded) until `key` holds `value`. */
async function waitReplicaHas(
  replica: RedisProcess,
  key: string,
  value: string,
  timeoutMs: number,
): Promise<void> {
  const client = replica.client();
  try {
    const deadline = Date.now() + timeoutMs;
    while ((await client.get(key)) !== value) {
      if (Date.now() > deadline)
        throw new Error(`sandbox: replica ${replica.endpoint} lacks ${key} after ${timeoutMs} ms`);
      await sleep(20);
    }
  } finally {
    client.disconnect();
  }
}

/** The sandbox's `min-replicas-max-lag` (the topology's default): how long a silent replica still counts. */
const SANDBOX_MIN_REPLICAS_MAX_LAG_SECONDS = 10;

/** Waits (bounded) until `redis` answers a PING on a new connection. */
async function waitAnswers(redis: RedisProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const c = redis.client();
    try {
      if ((await c.ping()) === 'PONG') return;
    } catch {
      if (Date.now() > deadline) throw new Error(`sandbox: ${redis.endpoint} does not answer after a thaw`);
    } finally {
      c.disconnect();
    }
    await sleep(10);
  }
}

/** Re-protects the primary (bounded): until the promoter reports it protected or already was. */
async function protectPrimary(promoter: Ports['promoter'], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await promoter.protect?.();
    if (!r || r.protected.length > 0 || /^(every primary protected|data-layer fencing off)/.test(r.detail))
      return;
    if (Date.now() > deadline)
      throw new Error(`sandbox: primary not protected after ${timeoutMs} ms: ${r.detail}`);
    await sleep(20);
  }
}

async function waitUntil(what: string, cond: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`sandbox: ${what} not reached within ${timeoutMs} ms`);
    await sleep(10);
  }
}

/** Starts a sandbox; see {@link SandboxOptions} for the defaults. */
export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const started = performance.now();
  const regionNames = opts.regions ?? ['us-east-1', 'us-west-2'];
  const clusters = opts.clusters ?? ['mgmt-east', 'mgmt-west'];
  const ttl = opts.dnsTtlSeconds ?? 1;
  const alarm = opts.alarm ?? { periodMs: 500, datapoints: 3 };
  const cleanups: (() => Promise<void> | void)[] = [];
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    for (const c of cleanups.splice(0).reverse()) {
      try {
        await c();
      } catch {
        // keep stopping the rest
      }
    }
  };
  installExitHooks();
  // Leftovers of sandboxes whose process died (pid, start time and command checked: see children.ts).
  reapStale();
  const redisList: RedisProcess[] = [];
  const pids = () => redisList.map((r) => r.pid).filter((p) => p > 0);
  live.add(pids);
  cleanups.push(() => {
    live.delete(pids);
  });

  try {
    const net = opts.loopbackNet ?? randomLoopbackNet();
    if (!/^127\.\d{1,3}\.\d{1,3}$/.test(net))
      throw new Error(`sandbox: loopbackNet must look like 127.0.0, got ${net}`);
    const HOSTS = [`${net}.11`, `${net}.12`] as const;
    const redisHosts = [`${net}.21`, `${net}.22`] as const;
    const [relayPort, redisPortA] = await Promise.all([
      freeSharedPort(HOSTS),
      freeSharedPort([redisHosts[0]]),
    ]);
    // Both run with data-layer fencing, as a self-managed deployment's redis.conf would (see the
    // topology's redis.minReplicasToWrite): a primary cut off from its replica refuses writes.
    const fencingArgs = [
      '--min-replicas-to-write',
      opts.dataFencing === false ? '0' : '1',
      '--min-replicas-max-lag',
      String(SANDBOX_MIN_REPLICAS_MAX_LAG_SECONDS),
    ];
    const redisA = await startRedis({ host: redisHosts[0], port: redisPortA, args: fencingArgs });
    // Bootstrapped like a promoted member: no replica yet, so writable until one is attached
    // (the fencing pass re-protects it once B is online).
    const bootstrap = redisA.client();
    try {
      await bootstrap.call('CONFIG', 'SET', 'min-replicas-to-write', '0');
    } finally {
      bootstrap.disconnect();
    }
    redisList.push(redisA);
    cleanups.push(() => redisA.stop());
    const replicas = opts.replicas ?? 2;
    if (!Number.isInteger(replicas) || replicas < 1 || replicas > 9)
      throw new Error(`sandbox: replicas must be 1-9, got ${replicas}`);
    const metricsSource = opts.metricsSource ?? metricsSourceFromEnv();
    // Pod IPs: .31, .32, ... for A's replicas, .41, .42, ... for B's (nothing else binds there: the
    // ARC stand-in is on .61, the CloudWatch stand-ins on .71/.72).
    const podHosts = [0, 1].map((s) =>
      Array.from({ length: replicas }, (_, r) => `${net}.${31 + s * 10 + r}`),
    );
    const httpPort = await freeSharedPort([...HOSTS, ...podHosts.flat()], [relayPort]);
    const telemetryPort = await freeSharedPort(HOSTS, [relayPort, httpPort]);
    const certs = await sandboxCerts();
    const relayCerts = opts.relayCerts ?? ['valid', 'valid'];
    const [parameterStore, webhook] = await Promise.all([
      startParameterStore(),
      startWebhookReceiver(certs.webhook),
    ]);
    cleanups.push(
      () => parameterStore.close(),
      () => webhook.close(),
    );
    // Distinct ports too: ReplicaOfPromoter matches a replica to its primary by port.
    const redisPortB = await freeSharedPort([redisHosts[1]], [redisPortA]);
    const redisB = await startRedis({
      host: redisHosts[1],
      port: redisPortB,
      replicaOf: redisA.endpoint,
      args: fencingArgs,
    });
    redisList.push(redisB);
    cleanups.push(() => redisB.stop());

    const healthCheckIds = [randomUUID(), randomUUID()] as const;
    const dnsMode: DnsMode = opts.dnsMode ?? 'route53-record';
    if (opts.dnsAlias && dnsMode === 'route53-record')
      throw new Error(
        'dnsAlias needs a data-plane dnsMode (the route53-record switch swaps one plain record)',
      );
    // The internal NLB of each region, as the AWS Load Balancer Controller names it.
    const nlbNames = [0, 1].map(
      (i) => `internal-k8s-gloomesh-${clusters[i]}-0a1b2c3d4e.elb.${regionNames[i]}.amazonaws.com`,
    );
    const values = opts.dnsAlias
      ? { [clusters[0]]: nlbNames[0]!, [clusters[1]]: nlbNames[1]! }
      : { [clusters[0]]: HOSTS[0], [clusters[1]]: HOSTS[1] };
    const dns = await startSandboxDns({
      propagationMs: opts.dnsPropagationMs ?? 300,
      records: [
        ...(dnsMode === 'route53-record'
          ? [{ name: RECORD_NAME, type: 'A' as const, record: { ttl, values: [HOSTS[0]] } }]
          : []),
        // The NLBs' own names (alias targets): their addresses are the servers'.
        ...(opts.dnsAlias
          ? [0, 1].map((i) => ({
              name: nlbNames[i]!,
              type: 'A' as const,
              record: { ttl: 60, values: [HOSTS[i as 0 | 1]] },
            }))
          : []),
        // Headless Services of the management servers: one A record per pod.
        ...[0, 1].map((i) => ({
          name: podsRecordName(clusters[i as 0 | 1]),
          type: 'A' as const,
          record: { ttl: 1, values: podHosts[i]! },
        })),
      ],
    });
    cleanups.push(() => dns.close());

    // The data-plane modes: the failover pair's own health checks (distinct from the endpoint
    // checks above) follow a routing control or an out-of-service alarm, after a reaction delay.
    const recordCheckIds = [randomUUID(), randomUUID()] as const;
    const downRegions = new Set<Region>();
    let arc: (ArcClusterStandIn & { arnOf(name: string): string }) | undefined;
    const cloudWatch: Partial<Record<Region, CloudWatchStandIn>> = {};
    const alarmNameOf = (i: 0 | 1) => `sandbox-${clusters[i]}-out-of-service`;
    const insufficient = opts.insufficientDataHealthStatus ?? 'Healthy';
    const lastKnown = new Map<string, boolean>();
    const rawHealth = (i: 0 | 1): boolean => {
      if (arc) return arc.state(arc.arnOf(clusters[i])) === 'On';
      const peerRegion = regionNames[i === 0 ? 1 : 0];
      const cw = cloudWatch[peerRegion];
      const st = cw && !downRegions.has(peerRegion) ? cw.alarmState(alarmNameOf(i)) : 'INSUFFICIENT_DATA';
      if (st === 'ALARM') return false;
      if (st === 'OK') return true;
      // Insufficient data (never published, or the alarm's region cannot be read).
      if (insufficient === 'Healthy') return true;
      if (insufficient === 'Unhealthy') return false;
      return lastKnown.get(recordCheckIds[i]) ?? true;
    };
    if (dnsMode === 'arc-routing-control') {
      // Its own address: binding port 0 on a pod's address (.31-.49) could take the port the pod's
      // metrics server listens on later.
      arc = await startArcCluster(`${net}.61`, { [clusters[0]]: 'On', [clusters[1]]: 'Off' });
      cleanups.push(() => arc?.close());
    } else if (dnsMode === 'health-check-metric') {
      for (const i of [0, 1] as const) {
        // The alarm of server i lives in the other server's region.
        const alarmRegion = regionNames[i === 0 ? 1 : 0];
        const cw = await startCloudWatch(
          alarmRegion,
          `${net}.${71 + (i === 0 ? 1 : 0)}`,
          [
            {
              alarmName: alarmNameOf(i),
              namespace: 'GlooFailover/Dns',
              metricName: 'OutOfService',
              server: clusters[i],
            },
          ],
          opts.alarmPeriodMs ?? 500,
        );
        cloudWatch[alarmRegion] = cw;
        cleanups.push(() => cw.close());
      }
    }
    if (dnsMode !== 'route53-record') {
      const reactionMs = opts.healthCheckReactionMs ?? 300;
      const effective = new Map<string, { healthy: boolean; pending?: { healthy: boolean; since: number } }>(
        recordCheckIds.map((id, i) => [id, { healthy: rawHealth(i as 0 | 1) }]),
      );
      const evaluate = () => {
        recordCheckIds.forEach((id, i) => {
          const e = effective.get(id)!;
          const raw = rawHealth(i as 0 | 1);
          if (raw === e.healthy) e.pending = undefined;
          else if (!e.pending || e.pending.healthy !== raw) e.pending = { healthy: raw, since: Date.now() };
          else if (Date.now() - e.pending.since >= reactionMs) {
            e.healthy = raw;
            e.pending = undefined;
          }
          lastKnown.set(id, e.healthy);
        });
      };
      const evaluator = setInterval(evaluate, 25);
      cleanups.push(() => clearInterval(evaluator));
      dns.setFailoverPair(RECORD_NAME, 'A', {
        ttl,
        primary: { value: HOSTS[0], healthCheckId: recordCheckIds[0] },
        secondary: { value: HOSTS[1], healthCheckId: recordCheckIds[1] },
        healthy: (id) => effective.get(id)?.healthy ?? true,
      });
    }

    const faults = {
      controlPlane: { latencyMs: 0, failNext: 0, down: false } as ControlPlaneFaults,
      deletedHealthChecks: new Set<string>(),
    };
    // The zone as the Route 53 control plane lists it: the relay name's record sets and every
    // health check (the servers' endpoint checks and, in the data-plane modes, the pair's own).
    const setIdentifierOf = (i: 0 | 1) => `${clusters[i]}-${i === 0 ? 'primary' : 'secondary'}`;
    const inventory = {
      records: (): DnsInventoryRecord[] => {
        if (dnsMode === 'route53-record') {
          const rec = dns.read(RECORD_NAME, 'A');
          return rec ? [{ values: rec.values }] : [];
        }
        return (['PRIMARY', 'SECONDARY'] as const).map((failover, i) => ({
          setIdentifier: setIdentifierOf(i as 0 | 1),
          failover,
          healthCheckId: recordCheckIds[i]!,
          ...(opts.dnsAlias ? { values: [], aliasTarget: `${nlbNames[i]}.` } : { values: [HOSTS[i]!] }),
        }));
      },
      healthCheck: (id: string): DnsInventoryHealthCheck | null => {
        if (faults.deletedHealthChecks.has(id)) return null;
        const endpoint = (healthCheckIds as readonly string[]).indexOf(id);
        if (endpoint >= 0) return { id, type: (opts.healthCheck ?? 'http') === 'tcp' ? 'TCP' : 'HTTP' };
        const at = (recordCheckIds as readonly string[]).indexOf(id);
        if (at < 0 || dnsMode === 'route53-record') return null;
        const i = at as 0 | 1;
        if (arc) return { id, type: 'RECOVERY_CONTROL', routingControlArn: arc.arnOf(clusters[i]) };
        return {
          id,
          type: 'CLOUDWATCH_METRIC',
          alarm: { name: alarmNameOf(i), region: regionNames[i === 0 ? 1 : 0] },
          insufficientDataHealthStatus: insufficient,
        };
      },
    };
    const registry = new Map<string, LastSeen>();
    const datastore: { record: unknown } = { record: null };
    const lies = new Set<Region>();
    // Filled in below; the control API only calls these after start.
    let alarms!: AlarmEvaluator;
    let servers!: SimServer[];
    const control: ControlApi = await startControlApi({
      dns,
      registry,
      runs: new Map(),
      datastore,
      get faults() {
        return faults.controlPlane;
      },
      alarmStates: (names) => alarms.states(names),
      alarmSince: (names) => alarms.since(names),
      inventory,
      healthCheck: async (id) => {
        const i = (healthCheckIds as readonly string[]).indexOf(id);
        const server = servers[i];
        return server ? observeHealth(server.healthUrl, lies.has(server.region)) : null;
      },
    });
    cleanups.push(() => control.close());

    // A Prometheus scraping every pod of both servers, as a per-region Prometheus (or AMP) would.
    const prometheus =
      metricsSource === 'prometheus'
        ? await startPrometheusStandin({
            host: '127.0.0.1',
            targets: [0, 1].flatMap((i) =>
              podHosts[i]!.map((h, r) => ({
                url: `http://${h}:${httpPort}/metrics`,
                labels: {
                  job: 'gloo-mesh-mgmt-server',
                  namespace: 'gloo-mesh',
                  mgmt_server: clusters[i as 0 | 1],
                  pod: `gloo-mesh-mgmt-server-${r}`,
                  instance: `${h}:${httpPort}`,
                },
              })),
            ),
          })
        : null;
    if (prometheus) cleanups.push(() => prometheus.close());
    const metricsFor = (i: number) =>
      metricsSource === 'prometheus'
        ? {
            source: 'prometheus',
            url: prometheus!.url,
            selector: { job: 'gloo-mesh-mgmt-server', mgmt_server: clusters[i as 0 | 1] },
          }
        : metricsSource === 'headless'
          ? {
              source: 'scrape',
              headlessServiceUrl: `http://${podsRecordName(clusters[i as 0 | 1])}:${httpPort}/metrics`,
              nameservers: [dns.server],
            }
          : { source: 'scrape', urls: podHosts[i]!.map((h) => `http://${h}:${httpPort}/metrics`) };
    const configMode = opts.configMode ?? 'write-to-one';
    const glooNames = opts.glooClusterNames ?? ['mgmt-cluster', 'mgmt-cluster'];
    const lockFormat: LockFormat = {
      ...SANDBOX_GLOO_LOCK,
      holders: clusters.map((id, i) => ({ id, glooClusterName: glooNames[i as 0 | 1] })),
    };
    const meshctl = sandboxMeshctl(clusters, HOSTS, httpPort);
    cleanups.push(() => meshctl.remove());
    const lockSection =
      opts.lock ??
      (configMode === 'write-to-all'
        ? { adapter: 'none' }
        : (opts.lockAdapter ?? 'redis-key') === 'redis-key'
          ? {
              adapter: 'redis-key',
              key: SANDBOX_GLOO_LOCK.key,
              epochKey: SANDBOX_GLOO_LOCK.epochKey,
              valueFormat: SANDBOX_GLOO_LOCK.valueFormat,
            }
          : {
              adapter: 'meshctl',
              binary: 'meshctl',
              timeoutSeconds: opts.meshctlTimeoutSeconds ?? 20,
              kubeconfig: meshctl.kubeconfig,
              servers: Object.fromEntries(clusters.map((c) => [c, { kubeContext: `ctx-${c}` }])),
            });
    if ((lockSection as { adapter?: string }).adapter === 'meshctl') prependToPath(meshctl.binDir);

    // Alias target hosted zone: the NLB zone of the region ("Elastic Load Balancing endpoints and
    // quotas": us-east-1 Z26RNL4JYFTOTI, us-west-2 Z18D5FSROUN65G; others: a stand-in id).
    const NLB_ZONES: Record<string, string> = {
      'us-east-1': 'Z26RNL4JYFTOTI',
      'us-west-2': 'Z18D5FSROUN65G',
    };
    const aliasOf = (i: 0 | 1) =>
      opts.dnsAlias
        ? {
            alias: {
              hostedZoneId: NLB_ZONES[regionNames[i]!] ?? 'Z0SANDBOXNLB',
              dnsName: nlbNames[i]!,
              evaluateTargetHealth: true,
            },
          }
        : {};
    function dnsSwitchConfig() {
      if (dnsMode === 'arc-routing-control' && arc)
        return {
          mode: dnsMode,
          clusterArn: arc.clusterArn,
          controlPanelArn: arc.controlPanelArn,
          endpoints: arc.endpoints,
          routingControls: Object.fromEntries(
            ([0, 1] as const).map((i) => [
              clusters[i],
              { arn: arc!.arnOf(clusters[i]), healthCheckId: recordCheckIds[i] },
            ]),
          ),
        };
      if (dnsMode === 'health-check-metric')
        return {
          mode: dnsMode,
          alarms: Object.fromEntries(
            ([0, 1] as const).map((i) => [
              clusters[i],
              {
                alarmName: alarmNameOf(i),
                region: regionNames[i === 0 ? 1 : 0],
                healthCheckId: recordCheckIds[i],
              },
            ]),
          ),
        };
      return { mode: 'route53-record' as const };
    }
    const topology = parseTopology(
      {
        name: 'sandbox',
        homeServer: clusters[0],
        configMode,
        lock: lockSection,
        servers: [0, 1].map((i) => ({
          id: clusters[i as 0 | 1],
          glooClusterName: glooNames[i as 0 | 1],
          region: regionNames[i as 0 | 1],
          relayAddress: `${HOSTS[i as 0 | 1]}:${relayPort}`,
          metrics: metricsFor(i),
          relayTls: { rootCa: { pem: certs.ca }, authority: DEFAULT_AUTHORITY },
          telemetryGateway: {
            address: `${HOSTS[i as 0 | 1]}:${telemetryPort}`,
            tls: { rootCa: { pem: certs.ca }, serverName: TELEMETRY_NAME },
          },
          health:
            (opts.healthCheck ?? 'http') === 'tcp'
              ? { kind: 'tcp' }
              : { kind: 'http', url: `http://${HOSTS[i as 0 | 1]}:${httpPort}/health`, expectStatus: [200] },
          route53HealthCheckId: healthCheckIds[i as 0 | 1],
          alarmNames: [`sandbox-${clusters[i as 0 | 1]}-relay-down`],
        })),
        redis: {
          kind: 'replicaof',
          members: {
            [regionNames[0]]: { endpoint: redisA.endpoint },
            [regionNames[1]]: { endpoint: redisB.endpoint },
          },
          minReplicasToWrite: opts.dataFencing === false ? 0 : 1,
          minReplicasMaxLagSeconds: SANDBOX_MIN_REPLICAS_MAX_LAG_SECONDS,
          connectTimeoutMs: 500,
          commandTimeoutMs: 500,
        },
        dns: {
          provider: { kind: 'sandbox' },
          recordName: RECORD_NAME,
          recordType: 'A',
          ttl,
          values,
          switch: dnsSwitchConfig(),
          ...(dnsMode === 'route53-record'
            ? {}
            : {
                failover: {
                  primary: {
                    server: clusters[0],
                    setIdentifier: setIdentifierOf(0),
                    healthCheckId: recordCheckIds[0],
                    ...aliasOf(0),
                  },
                  secondary: {
                    server: clusters[1],
                    setIdentifier: setIdentifierOf(1),
                    healthCheckId: recordCheckIds[1],
                    ...aliasOf(1),
                  },
                },
              }),
          confirm: { nameServers: [dns.server], timeoutMs: 500 },
        },
        verification: { probeAttempts: 3, probeIntervalSeconds: 0.5, probeTimeoutMs: 300, quorum: 2 },
        reconnection: {
          expectedClusters: { source: 'last-seen' },
          minFraction: 1,
          timeoutSeconds: 60,
          pollIntervalSeconds: 1,
        },
        activeSignal: {
          ssm: { parameterName: '/gloo-failover/sandbox/active-server' },
          webhook: {
            url: webhook.url,
            secret: 'sandbox/webhook-key',
            rootCa: { pem: certs.ca },
            backoffMs: 100,
          },
        },
        sandbox: {
          controlUrl: control.url,
          parameterStoreUrl: parameterStore.url,
          ...(dnsMode === 'health-check-metric'
            ? {
                cloudWatchEndpoints: Object.fromEntries(
                  Object.entries(cloudWatch).map(([r, cw]) => [r, cw!.endpoint.url]),
                ),
              }
            : {}),
        },
      },
      'sandbox topology',
    );
    // write-to-one: Gloo's lock names A on A's Redis before any server looks (as if switch-active
    // had been run at installation). write-to-all: there is no lock.
    const admin = redisA.client();
    const ready = `ready-${randomUUID()}`;
    try {
      if (configMode === 'write-to-one')
        await new RedisGlobalLock(admin, lockFormat).switch({ expectedHolder: null, newHolder: clusters[0] });
      await admin.set('sandbox:ready', ready);
    } finally {
      admin.disconnect();
    }
    await waitReplicating(redisB);
    // After a diskless full sync Redis 7 streams writes only once the replica's first REPLCONF ACK
    // arrives (its once-a-second cron): until then B lacks the early writes. Ready means B has them.
    // Then A is protected again (min-replicas-to-write 1), as every fencing pass would do.
    const replicaInSync = waitReplicaHas(redisB, 'sandbox:ready', ready, 10_000).then(() =>
      protectPrimary(sandboxPorts(topology).promoter, 10_000),
    );

    servers = [redisA, redisB].map(
      (redis, i) =>
        new SimServer({
          cluster: clusters[i as 0 | 1],
          region: regionNames[i as 0 | 1],
          host: HOSTS[i as 0 | 1],
          relayPort,
          httpPort,
          redisEndpoint: redis.endpoint,
          replicaHosts: podHosts[i]!,
          relayTls: certs.server[relayCerts[i]!],
          telemetryPort,
          telemetryTls: certs.server.valid,
          lock: lockFormat,
          glooClusterName: glooNames[i as 0 | 1],
          configMode,
          passiveGraceMs: opts.passiveGraceMs ?? 1_500,
        }),
    );
    for (const s of servers) cleanups.push(() => s.stop());
    await Promise.all(servers.map((s) => s.start()));

    const agents = new AgentFleet({
      count: opts.agents ?? 20,
      recordName: RECORD_NAME,
      dnsServer: dns.server,
      relayPort,
      backoff: opts.agentBackoff ?? { baseMs: 100, maxMs: 2_000 },
      heartbeatMs: opts.agentHeartbeatMs,
      tls: { ca: certs.ca, servername: DEFAULT_AUTHORITY },
    });
    cleanups.push(() => agents.stop());

    const invariants = new InvariantMonitor({
      servers,
      redis: [
        { name: regionNames[0], endpoint: redisA.endpoint },
        { name: regionNames[1], endpoint: redisB.endpoint },
      ],
      epochKey: lockFormat.epochKey,
      fleet: agents,
    });
    await invariants.start();
    cleanups.push(() => invariants.stop());

    alarms = new AlarmEvaluator({
      periodMs: alarm.periodMs,
      datapoints: alarm.datapoints,
      targets: servers.map((s, i) => ({
        alarmName: `sandbox-${s.cluster}-relay-down`,
        cluster: s.cluster,
        region: s.region,
        probeRegion: regionNames[i === 0 ? 1 : 0],
        host: s.host,
        port: relayPort,
        tls: true,
      })),
    });
    const events = new EventEmitter();
    alarms.on('alarm', (ev: AlarmStateChangeEvent) => events.emit('alarm', ev));
    alarms.start();
    cleanups.push(() => alarms.stop());

    // Like the AWS health-probe Lambda: record who is connected to each live server. An empty set
    // is not recorded, so a server's last non-empty set survives its agents leaving.
    const recorder = setInterval(() => {
      for (const s of servers) {
        if (s.mode !== 'running') continue;
        const connected = s.connectedClusters();
        if (connected.length) registry.set(s.cluster, { clusters: connected, at: new Date().toISOString() });
      }
    }, 500);
    cleanups.push(() => clearInterval(recorder));

    if (opts.autoFence ?? true) {
      const fencePorts = sandboxPorts(topology);
      let busy = false;
      const fencer = setInterval(() => {
        if (busy) return;
        busy = true;
        fenceStalePrimaries(topology, fencePorts)
          .catch(() => undefined)
          .finally(() => {
            busy = false;
          });
      }, 250);
      cleanups.push(() => clearInterval(fencer));
    }

    const regions = {
      [regionNames[0]]: { redis: redisA, server: servers[0]! },
      [regionNames[1]]: { redis: redisB, server: servers[1]! },
    } as Record<Region, RegionHandle>;
    const faultStates = new Map<Region, RegionFaultState>(
      regionNames.map((r) => [r, { server: 'up', redis: 'up' }]),
    );
    const regionHandle = (region: Region) => {
      const h = regionNames.includes(region) ? regions[region] : undefined;
      if (!h) throw new Error(`sandbox: no region ${region} (regions are ${regionNames.join(', ')})`);
      return { h, st: faultStates.get(region)! };
    };

    const killRegion = async (region: Region, mode: 'kill' | 'freeze' = 'kill') => {
      const { h, st } = regionHandle(region);
      // The region's AWS services go with it: its ARC cluster endpoint and its CloudWatch.
      downRegions.add(region);
      await arc?.killEndpoint(region);
      await cloudWatch[region]?.endpoint.stop();
      // A regional outage takes the region's parameter store (SSM) with it.
      parameterStore.setUnreachable(region, true);
      if (mode === 'kill') {
        await Promise.all([h.server.kill(), h.redis.running ? h.redis.kill() : undefined]);
        st.server = 'killed';
        st.redis = 'killed';
      } else {
        if (st.server === 'up') {
          h.server.freeze();
          st.server = 'frozen';
        }
        if (st.redis === 'up') {
          h.redis.freeze();
          st.redis = 'frozen';
        }
      }
    };
    const healRegion = async (region: Region) => {
      const { h, st } = regionHandle(region);
      downRegions.delete(region);
      await arc?.reviveEndpoint(region);
      await cloudWatch[region]?.endpoint.start();
      parameterStore.setUnreachable(region, false);
      if (st.redis === 'killed') {
        await h.redis.restart();
        invariants.newIncarnation(region);
      } else if (st.redis === 'frozen') {
        h.redis.thaw();
        // SIGSTOP also stopped Redis's clock, which a partition does not: a partitioned Redis keeps
        // running and has processed the loss of its replica long before the partition heals. Let
        // the thawed one run an event-loop pass (it answers a PING) before the region's traffic
        // resumes, so it meets that traffic as a healed partition's Redis would.
        await waitAnswers(h.redis, 5_000);
      }
      st.redis = 'up';
      if (st.server === 'killed') await h.server.restart();
      else if (st.server === 'frozen') h.server.thaw();
      st.server = 'up';
    };

    agents.start();
    let startupMs = 0;
    await replicaInSync;
    if (opts.waitForAgents ?? true) {
      const timeout = 15_000 + (opts.agents ?? 20) * 20;
      await agents.waitAllOn(clusters[0], timeout);
      await waitUntil(
        'every agent warmed on the active server',
        () => servers[0]!.warmedClusters().length === agents.count,
        timeout,
      );
      startupMs = Math.round(performance.now() - started);
    }

    const sandbox: Sandbox = {
      topology,
      regionNames,
      clusters,
      regions,
      agents,
      controlUrl: control.url,
      lockFormat,
      meshctl,
      events,
      alarms,
      emitAlarmEvents: (enabled) => {
        alarms.emitEvents = enabled;
      },
      faults,
      dnsMode,
      ...(arc ? { arc } : {}),
      ...(dnsMode === 'health-check-metric' ? { cloudWatch } : {}),
      invariants,
      metricsSource,
      prometheus,
      startupMs,
      dns: {
        server: dns.server,
        recordName: RECORD_NAME,
        recordType: 'A',
        read: () => dns.read(RECORD_NAME, 'A'),
        served: () => dns.served(RECORD_NAME, 'A'),
        compareAndSwap: (expected, next) => dns.compareAndSwap(RECORD_NAME, 'A', expected, next),
        pointTo: (cluster) => {
          const value = values[cluster];
          if (!value) throw new Error(`sandbox: no record value for cluster ${cluster}`);
          return dns.upsert(RECORD_NAME, 'A', {
            ttl: dns.read(RECORD_NAME, 'A')?.ttl ?? ttl,
            values: [value],
          });
        },
        addressOf: (cluster) => {
          const i = clusters.indexOf(cluster);
          if (i < 0) throw new Error(`sandbox: unknown cluster ${cluster}`);
          return HOSTS[i as 0 | 1];
        },
        changeStatus: (id) => dns.changeStatus(id),
        get queries() {
          return dns.queries;
        },
      },
      regionOf: (cluster) => {
        const i = clusters.indexOf(cluster);
        if (i < 0) throw new Error(`sandbox: unknown cluster ${cluster}`);
        return regionNames[i]!;
      },
      faultState: (region) => ({ ...regionHandle(region).st }),
      signal: { parameters: parameterStore, webhook },
      setRelayCert: (region, kind) => regionHandle(region).h.server.setRelayCert(certs.server[kind]),
      killRegion,
      blip: async (region, ms) => {
        await killRegion(region, 'freeze');
        await sleep(ms);
        if (!stopped) await healRegion(region);
      },
      healRegion,
      lieProbe: (region, lie) => {
        regionHandle(region);
        if (lie) lies.add(region);
        else lies.delete(region);
      },
      stop,
    };
    return sandbox;
  } catch (e) {
    await stop();
    throw e;
  }
}

/**
 * Runbook steps 4 and 5 done by hand, for tests and benchmarks that need a failover without the
 * workflow: promotes `target`'s Redis (planned when the source answers, else `REPLICAOF NO ONE`) and
 * moves the lock from the source's cluster to the target's. Returns the new lock epoch.
 */
export async function promoteAndSwitchLock(
  sandbox: Sandbox,
  source: Region,
  target: Region,
): Promise<number> {
  const r = sandbox.topology.redis;
  const promoter = new ReplicaOfPromoter({
    members: {
      [source]: sandbox.regions[source].redis.endpoint,
      [target]: sandbox.regions[target].redis.endpoint,
    },
    maxLagBytes: r.maxLagBytes,
    connectTimeoutMs: r.connectTimeoutMs,
    commandTimeoutMs: r.commandTimeoutMs,
  });
  const status = await promoter.promote({ sourceRegion: source, targetRegion: target, dryRun: false });
  if (status.state !== 'complete' && status.state !== 'noop')
    throw new Error(`sandbox: promotion of ${target} not complete: ${status.detail}`);
  const client = sandbox.regions[target].redis.client();
  try {
    const res = await new RedisGlobalLock(client, sandbox.lockFormat).switch({
      expectedHolder: sandbox.regions[source].server.cluster,
      newHolder: sandbox.regions[target].server.cluster,
    });
    return res.epoch;
  } finally {
    client.disconnect();
  }
}

/** One round of the Route 53 checkers: each GETs the health URL; the first one lies when asked. */
async function observeHealth(url: string, lie: boolean): Promise<{ healthy: number; total: number }> {
  const results = await Promise.all(
    Array.from({ length: CHECKERS }, async (_, i) => {
      if (lie && i === 0) return false;
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(300) });
        await res.body?.cancel();
        return res.status === 200;
      } catch {
        return false;
      }
    }),
  );
  return { healthy: results.filter(Boolean).length, total: CHECKERS };
}

/** The directory holding the fake `meshctl`. */
export const FAKE_MESHCTL_DIR = resolve(import.meta.dirname, '..', 'bin');

/** Puts a directory first on this process's PATH (once), so spawned commands find it. */
function prependToPath(dir: string): void {
  const parts = (process.env.PATH ?? '').split(delimiter);
  if (parts[0] !== dir) process.env.PATH = [dir, ...parts.filter((p) => p !== dir)].join(delimiter);
}

/**
 * The fake meshctl's side of the sandbox: a kubeconfig (JSON) with one context per server
 * (`ctx-<id>`, its cluster named after the server, its API address the server's HTTP port), and
 * the files where the fake records its calls and reads injected faults.
 */
function sandboxMeshctl(
  clusters: readonly [string, string],
  hosts: readonly [string, string],
  httpPort: number,
): SandboxMeshctl & { remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'sandbox-kube-'));
  const kubeconfig = join(dir, 'config');
  writeFileSync(
    kubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: clusters.map((c, i) => ({ name: c, cluster: { server: `http://${hosts[i]}:${httpPort}` } })),
      users: [{ name: 'sandbox', user: {} }],
      contexts: clusters.map((c) => ({ name: `ctx-${c}`, context: { cluster: c, user: 'sandbox' } })),
      'current-context': `ctx-${clusters[0]}`,
    }),
  );
  const callsFile = join(dir, 'meshctl-calls.jsonl');
  appendFileSync(callsFile, '');
  return {
    binDir: FAKE_MESHCTL_DIR,
    kubeconfig,
    calls: () =>
      readFileSync(callsFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as string[]),
    setFault: (f) => {
      const file = join(dir, 'meshctl-faults.json');
      if (f) writeFileSync(file, JSON.stringify(f));
      else rmSync(file, { force: true });
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
