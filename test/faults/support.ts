/**
 * Shared material of the fault-injection suite: a sandbox world, a full read of the system state,
 * the invariants every scenario asserts, and an acknowledged-writes recorder.
 *
 * Invariants (DESIGN.md, issue 8), checked by every scenario:
 * - never two servers accepting writes at once, and the lock epoch of a Redis never decreasing: the
 *   sandbox's InvariantMonitor watches both CONTINUOUSLY (every 50 ms and on every write a server
 *   makes) for the whole scenario; {@link expectInvariants} asserts it recorded nothing;
 * - every running agent ends on the active server ({@link expectAgentsOn});
 * - no key acknowledged before a PLANNED promotion is lost ({@link AckedWriter}).
 */
import '#local/quiet.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Context } from 'aws-lambda';
import { StateMachine } from 'aws-local-stepfunctions';
import { expect, type TestContext } from 'vitest';
import { createHandler as confirmReconnect } from '#functions/confirm-reconnect/handler.ts';
import { createHandler as preflight } from '#functions/preflight/handler.ts';
import { createHandler as promoteRedis } from '#functions/promote-redis/handler.ts';
import { createHandler as repointDns } from '#functions/repoint-dns/handler.ts';
import { createHandler as switchLock } from '#functions/switch-lock/handler.ts';
import { type RedisEndpointOptions, splitHostPort, withRedis } from '#lib/redis/connect.ts';
import { RedisGlobalLock } from '#lib/redis/lock.ts';
import type { Topology } from '#lib/topology.ts';
import type { Ports } from '#lib/wiring.ts';
import { LOCAL_FUNCTIONS, type LocalRunOptions, type LocalRunResult, runWorkflow } from '#local/runner.ts';
import { type Sandbox, type SandboxOptions, startSandbox } from '#local/sandbox/index.ts';
import { sandboxPorts } from '#local/sandbox/ports.ts';
import { workflowFor } from '#workflows/from-topology.ts';

/** A sandbox, the topology the run uses, and the ports the steps use on it. */
export interface World {
  sb: Sandbox;
  t: Topology;
  ports: Ports;
}

// Bounded, but generous: scenarios run concurrently, and a live member must never read as down.
const FAST: RedisEndpointOptions = { connectTimeoutMs: 1_500, commandTimeoutMs: 1_500 };

/** How many scenarios of one file run at once (`FAULT_CONCURRENCY`, default 2). */
const MAX_RUNNING = Math.max(1, Number(process.env.FAULT_CONCURRENCY ?? 2));
let running = 0;
const waiting: (() => void)[] = [];

/** Waits for a scenario slot; resolves with its release. */
async function slot(): Promise<() => void> {
  if (running >= MAX_RUNNING) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    running--;
    waiting.shift()?.();
  };
}

let warmedUp = false;
/**
 * Builds one state machine before any sandbox runs: aws-local-stepfunctions validates a definition
 * synchronously (about 0.5 s the first time in a process, 0.15 s after), which would otherwise
 * stall the event loop under a concurrently running scenario's probes.
 */
function warmUp(t: Topology): void {
  if (warmedUp) return;
  warmedUp = true;
  new StateMachine(
    workflowFor(t, { direction: 'failover', targetServer: t.servers[1]!.id }, LOCAL_FUNCTIONS) as never,
    { validationOptions: { checkArn: true, checkPaths: true } },
  );
}

/**
 * The fault suite's probe timeout: 1 s instead of the sandbox's 300 ms (production default 2 s).
 * Scenarios share one Node process with their sandboxes, and a 300 ms budget is within reach of an
 * event-loop pause on a loaded 2-core machine; a killed server still fails at once (refused).
 */
export const FAULT_PROBE_TIMEOUT_MS = 1_000;

/**
 * A sandbox world for a fault scenario (5 agents unless told otherwise), stopped when the test
 * finishes, pass or fail. Scenarios of a file run concurrently (`describe.concurrent`, at most
 * {@link MAX_RUNNING} at once): they mostly wait on timers and sockets, and each has its own
 * sandbox on its own loopback subnet. Cleanup is registered on the test's own context, as
 * concurrent tests need. Resolves once the sandbox recorded the agents on A (the last-seen set).
 */
export async function faultWorld(
  ctx: Pick<TestContext, 'onTestFinished'>,
  opts: SandboxOptions = {},
  topology?: (t: Topology) => Topology,
): Promise<World> {
  const release = await slot();
  ctx.onTestFinished(release);
  const sb = await startSandbox({ agents: 5, ...opts });
  ctx.onTestFinished(async () => {
    await sb.stop();
    release();
  });
  const base = topology ? topology(sb.topology) : sb.topology;
  const t: Topology = {
    ...base,
    verification: { ...base.verification, probeTimeoutMs: FAULT_PROBE_TIMEOUT_MS },
    // As FAST: a live member must never read as down on a loaded machine (sandbox default 500 ms).
    redis: {
      ...base.redis,
      connectTimeoutMs: Math.max(base.redis.connectTimeoutMs, FAST.connectTimeoutMs!),
      commandTimeoutMs: Math.max(base.redis.commandTimeoutMs, FAST.commandTimeoutMs!),
    },
  };
  warmUp(t);
  const ports = sandboxPorts(t);
  await waitFor(
    'the sandbox to record the agents on A',
    async () => (await ports.registry.lastSeen(sb.clusters[0]))?.clusters.length === sb.agents.count,
  );
  return { sb, t, ports };
}

/** The lock as one Redis member holds it, or null when the member does not answer. */
export interface MemberLock {
  holder: string | null;
  epoch: number;
}

/** Everything a scenario compares before and after: Redis roles, the lock on each member, DNS. */
export interface SystemState {
  /** Role of each member as it answers INFO (`unreachable` when it does not). */
  roles: Record<string, string>;
  /** The lock on each member (null: unreachable). */
  locks: Record<string, MemberLock | null>;
  /** The record as the DNS control plane holds it. */
  dns: string[] | undefined;
}

/** Reads roles, the lock on every member and the DNS record directly (not through the product). */
export async function systemState(w: World): Promise<SystemState> {
  const roles: Record<string, string> = {};
  const locks: Record<string, MemberLock | null> = {};
  await Promise.all(
    w.sb.regionNames.map(async (region) => {
      const endpoint = w.sb.regions[region].redis.endpoint;
      try {
        await withRedis(endpoint, FAST, async (r) => {
          const info = await r.info('replication');
          roles[region] = /role:master/.test(info) ? 'primary' : 'replica';
          const lock = await new RedisGlobalLock(r, w.sb.lockFormat).read();
          locks[region] = { holder: lock.holder, epoch: lock.epoch };
        });
      } catch {
        roles[region] = 'unreachable';
        locks[region] = null;
      }
    }),
  );
  return { roles, locks, dns: w.sb.dns.read()?.values };
}

/** Runs the failover workflow A -> B locally (the same ASL, real handlers) on the world's ports. */
export function runFailover(w: World, over: Partial<LocalRunOptions> = {}): Promise<LocalRunResult> {
  return runWorkflow({
    topology: w.t,
    direction: 'failover',
    targetServer: w.sb.clusters[1],
    input: { trigger: 'manual', incidentId: 'fault-suite', requestedBy: 'fault-suite' },
    ports: w.ports,
    ...over,
  });
}

/** Runs the failback workflow B -> A locally. */
export function runFailback(w: World, over: Partial<LocalRunOptions> = {}): Promise<LocalRunResult> {
  return runWorkflow({
    topology: w.t,
    direction: 'failback',
    targetServer: w.sb.clusters[0],
    input: { trigger: 'manual', incidentId: 'fault-suite-back', requestedBy: 'fault-suite' },
    ports: w.ports,
    ...over,
  });
}

/**
 * An unplanned failover A -> B, then A back: A's region killed, the alarm-triggered run ends
 * FailedOver with every agent on B, A's region healed (back empty and standalone: no persistence).
 * Resolves once the fencer (the health probe's pass) has written the live holder into A's empty lock
 * (or after 5 s), so that what the scenario checks next is about its own act alone.
 */
export async function failoverAndHeal(w: World, incidentId: string): Promise<void> {
  const [a] = w.sb.regionNames;
  const [, west] = w.sb.clusters;
  await w.sb.killRegion(a);
  expectEnd(await runFailover(w, { input: { trigger: 'alarm', incidentId } }), 'FailedOver');
  await expectAgentsOn(w, west);
  await w.sb.healRegion(a);
  const deadline = Date.now() + 5_000;
  while ((await systemState(w)).locks[a]?.holder !== west && Date.now() < deadline) await sleep(50);
}

/** Runs the failback B -> A while `writer` writes continuously (stopped when the run ends). */
export async function failbackWhileWriting(w: World, writer: AckedWriter): Promise<LocalRunResult> {
  writer.startContinuous();
  try {
    return await runFailback(w);
  } finally {
    await writer.stop();
  }
}

/**
 * Asserts a run that switched to server `to` with a planned promotion: FailedOver, no key `writer`
 * got acknowledged missing on `to`'s Redis, that Redis primary and the other its replica, the lock
 * naming `to` at `epoch` on both members, DNS on `to`, every agent on `to`, no invariant broken.
 */
export async function expectPlannedSwitch(
  w: World,
  res: LocalRunResult,
  writer: AckedWriter,
  expected: { to: string; epoch: number },
): Promise<void> {
  const { to, epoch } = expected;
  const i = w.sb.clusters.indexOf(to);
  if (i < 0) throw new Error(`expectPlannedSwitch: ${to} is none of the sandbox's servers`);
  const [toRegion, otherRegion] = [w.sb.regionNames[i]!, w.sb.regionNames[1 - i]!];
  expectEnd(res, 'FailedOver');
  expect((res.output.promotion as { mode: string }).mode).toBe('planned');
  expect(await writer.missingOn(w.sb.regions[toRegion].redis.endpoint)).toEqual([]);
  expect(await systemState(w)).toEqual({
    roles: { [toRegion]: 'primary', [otherRegion]: 'replica' },
    locks: { [toRegion]: { holder: to, epoch }, [otherRegion]: { holder: to, epoch } },
    dns: [w.t.dns.values[to]],
  });
  await expectAgentsOn(w, to);
  expectInvariants(w);
}

const STEP_HANDLERS = { preflight, promoteRedis, switchLock, repointDns, confirmReconnect };

/**
 * The REAL handler of a step, with the world's topology and `ports` (default: the world's), for
 * overrides that wrap it (do the real work, then fail as if the Lambda died).
 */
export function realStep(
  w: World,
  step: keyof typeof STEP_HANDLERS,
  ports: Ports = w.ports,
): (payload: unknown) => Promise<unknown> {
  const h = STEP_HANDLERS[step]({ topology: () => w.t, ports: () => ports });
  const context = { functionName: `fault-${step}`, awsRequestId: crypto.randomUUID() } as Context;
  return (payload) => (h as (e: unknown, c: Context) => Promise<unknown>)(payload, context);
}

/** An Error with a Step Functions error name (what the engine routes Retry/Catch on). */
export function namedError(name: string, message: string): Error {
  const e = new Error(message);
  e.name = name;
  return e;
}

/** States the run entered, in order. */
export function statesEntered(res: LocalRunResult): string[] {
  return res.events.filter((e) => e.kind === 'state-entered').map((e) => e.state!);
}

/** The error the workflow caught on its way to the outcome (`$.outcome.error`). */
export function caughtError(res: LocalRunResult): { Error?: string; Cause?: string } {
  return ((res.output.outcome as { error?: { Error?: string; Cause?: string } } | undefined)?.error ??
    {}) as { Error?: string; Cause?: string };
}

/** Asserts the run's end state; on a mismatch the message carries the error the workflow caught. */
export function expectEnd(res: LocalRunResult, endState: string): void {
  const err = caughtError(res);
  expect(res.endState, `ended ${res.endState}: ${err.Error ?? ''} ${err.Cause?.slice(0, 600) ?? ''}`).toBe(
    endState,
  );
}

/** The run report the workflow wrote. */
export function reportOf(res: LocalRunResult): {
  outcome: string;
  summary: string;
  changed: { what: string; before: string; after: string }[];
  nextActions: string[];
} {
  return res.output.report as ReturnType<typeof reportOf>;
}

/** Polls `cond` (bounded, real time) until it returns something truthy. */
export async function waitFor<T>(what: string, cond: () => T | Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await cond();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** Split brain and epoch decreases: the InvariantMonitor watched the whole scenario and found none. */
export function expectInvariants(w: World): void {
  expect(w.sb.invariants.violations(), 'invariant violations recorded while the scenario ran').toEqual([]);
}

/** Every running agent ends on `cluster` (the active server), within `timeoutMs`. */
export async function expectAgentsOn(w: World, cluster: string, timeoutMs = 15_000): Promise<void> {
  await w.sb.agents.waitAllOn(cluster, timeoutMs);
  const running = new Set(w.sb.agents.running);
  const placement = Object.entries(w.sb.agents.placement()).filter(([a]) => running.has(a));
  expect(placement.filter(([, s]) => s !== cluster)).toEqual([]);
}

/** Waits until the sandbox's alarm for `cluster` is in ALARM (the real detection path). */
export async function waitForAlarm(w: World, cluster: string, timeoutMs = 10_000): Promise<string> {
  const name = `sandbox-${cluster}-relay-down`;
  await waitFor(`alarm ${name} in ALARM`, () => w.sb.alarms.states([name])[name] === 'ALARM', timeoutMs);
  return name;
}

/**
 * Writes keys to one Redis member and remembers those it ACKNOWLEDGED (answered OK), the way a
 * management server's writes are acknowledged. A write that fails or times out is not counted.
 */
export class AckedWriter {
  readonly acked: string[] = [];
  readonly refused: string[] = [];
  private readonly endpoint: string;
  private readonly prefix: string;
  private n = 0;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(endpoint: string, prefix = 'fault:acked') {
    this.endpoint = endpoint;
    this.prefix = prefix;
  }

  /** Writes `count` keys one after another; every one must be acknowledged. */
  async writeBatch(count: number): Promise<void> {
    await withRedis(this.endpoint, { commandTimeoutMs: 2_000 }, async (r) => {
      for (let i = 0; i < count; i++) {
        const key = `${this.prefix}:${++this.n}`;
        expect(await r.set(key, String(this.n))).toBe('OK');
        this.acked.push(key);
      }
    });
  }

  /** Starts writing continuously (until {@link stop}), recording acks and refusals. */
  startContinuous(): void {
    this.running = withRedis(this.endpoint, { commandTimeoutMs: 3_000 }, async (r) => {
      while (!this.stopped) {
        const key = `${this.prefix}:${++this.n}`;
        try {
          if ((await r.set(key, String(this.n))) === 'OK') this.acked.push(key);
        } catch {
          this.refused.push(key);
          await sleep(10);
        }
      }
    }).catch(() => {});
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  /** The acknowledged keys that `endpoint` does not have. */
  async missingOn(endpoint: string): Promise<string[]> {
    return withRedis(endpoint, { commandTimeoutMs: 5_000 }, async (r) => {
      const missing: string[] = [];
      for (let i = 0; i < this.acked.length; i += 500) {
        const keys = this.acked.slice(i, i + 500);
        const values = await r.mget(...keys);
        keys.forEach((k, j) => {
          if (values[j] === null) missing.push(k);
        });
      }
      return missing;
    });
  }
}

/** `host port` of a member, for REPLICAOF. */
export function hostPortOf(endpoint: string): [string, string] {
  const { host, port } = splitHostPort(endpoint);
  return [host, String(port)];
}
