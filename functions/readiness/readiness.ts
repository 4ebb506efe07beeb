/**
 * Continuous readiness: would a failover INTO this region work right now? Runs the failover
 * preflight into this region's server as a dry run (read-only: a dry run saves no run set and
 * nothing else in preflight writes) plus configuration checks, each a named check with ok/reason,
 * and publishes the verdict (metric `FailoverReady` 0/1, one metric per check, an event with the
 * reasons). Nothing here changes the management plane.
 */
import { type Clock, iso } from '#lib/clock.ts';
import { checkHealth, healthTarget } from '#lib/health-check.ts';
import type { AlarmStateValue } from '#lib/ports.ts';
import { ExecutionInput, type Run } from '#lib/state.ts';
import { peerOf, serverById, type Topology } from '#lib/topology.ts';
import { type PreflightPorts, preflight } from '../preflight/preflight.ts';
import {
  type DnsPointerCheckPorts,
  dnsPointerCheck,
  type RegistryCheckPorts,
  reprotectRegistryCheck,
} from './config-checks.ts';

/** The named checks, in report order. */
export const READINESS_CHECKS = [
  'Preflight',
  'TargetHealthy',
  'ReplicaLag',
  'SecretsReadable',
  'SlackAuth',
  'TriggerAlarms',
  'DnsPointer',
  'ReprotectRegistry',
] as const;
/** One check's name (the `Check` dimension of its metric). */
export type ReadinessCheckName = (typeof READINESS_CHECKS)[number];

/** One check's verdict. */
export interface ReadinessCheck {
  name: ReadinessCheckName;
  ok: boolean;
  reason: string;
}

/** One evaluation. */
export interface ReadinessReport {
  at: string;
  /** The server a failover would activate (this region's). */
  target: string;
  region: string;
  ready: boolean;
  /** Names of the checks that failed (empty when ready). */
  failed: ReadinessCheckName[];
  checks: ReadinessCheck[];
}

/** An alarm as CloudWatch describes it: its state and since when (ms since the epoch, when known). */
export interface AlarmDetail {
  state: AlarmStateValue;
  since?: number;
}

/** CloudWatch alarms with the time of their last state change. */
export interface AlarmDetails {
  details(alarmNames: string[]): Promise<Record<string, AlarmDetail>>;
}

/** Secrets Manager reads; errors name the secret, never its value. */
export interface SecretReader {
  /** Resolves when the secret can be read (its value is dropped); throws with the reason otherwise. */
  check(secretId: string): Promise<void>;
}

/** Slack Web API `auth.test` with the bot token (read from the topology's `botTokenSecret`). */
export interface SlackAuth {
  authTest(botTokenSecret: string): Promise<{ ok: boolean; detail: string }>;
}

/** Where a verdict goes (CloudWatch metrics and EventBridge on AWS; the sandbox's own in drills). */
export interface ReadinessPublisher {
  publish(report: ReadinessReport): Promise<void>;
}

/** The ports readiness uses: preflight's (read-only) plus its own. */
export type ReadinessPorts = PreflightPorts &
  DnsPointerCheckPorts &
  RegistryCheckPorts & {
    secrets: SecretReader;
    slack: SlackAuth;
    alarmDetails: AlarmDetails;
    publisher: ReadinessPublisher;
  };

/** What the deployment says beyond the topology. */
export interface ReadinessOptions {
  /** The server a failover into this region activates. */
  target: string;
  /** A trigger alarm in INSUFFICIENT_DATA for longer than this is a failed check. @default 30 min */
  insufficientDataMaxMs?: number;
}

/** Default bound of INSUFFICIENT_DATA on a trigger alarm. */
export const DEFAULT_INSUFFICIENT_DATA_MAX_MS = 30 * 60_000;

/**
 * Evaluates every check (concurrently; one check's error fails only that check), publishes the
 * report and returns it. Publishing errors propagate: a silent readiness function is itself
 * "not ready" (the alarm treats missing data as breaching).
 */
export async function readiness(
  t: Topology,
  ports: ReadinessPorts,
  clock: Clock,
  opts: ReadinessOptions,
): Promise<ReadinessReport> {
  const target = serverById(t, opts.target);
  const at = iso(clock);
  const guard = async (name: ReadinessCheckName, fn: () => Promise<Omit<ReadinessCheck, 'name'>>) => {
    try {
      return { name, ...(await fn()) };
    } catch (e) {
      return { name, ok: false, reason: `check failed: ${(e as Error).message}` };
    }
  };
  const checks: ReadinessCheck[] = await Promise.all([
    guard('Preflight', () => preflightCheck(t, target.id, ports, at)),
    guard('TargetHealthy', async () => {
      const h = await checkHealth(target, ports.probes, t.verification.probeTimeoutMs);
      const where = `${target.id} (${healthTarget(target)})`;
      return h.ok
        ? { ok: true, reason: `${where}: ${h.detail} in ${h.latencyMs} ms` }
        : { ok: false, reason: `${where} is not healthy: ${h.detail}` };
    }),
    guard('ReplicaLag', () => replicaLagCheck(t, target.region, ports)),
    guard('SecretsReadable', () => secretsCheck(t, ports)),
    guard('SlackAuth', () => slackCheck(t, ports)),
    guard('TriggerAlarms', () =>
      alarmsCheck(
        peerOf(t, target.id).alarmNames,
        ports,
        clock,
        opts.insufficientDataMaxMs ?? DEFAULT_INSUFFICIENT_DATA_MAX_MS,
      ),
    ),
    guard('DnsPointer', () => dnsPointerCheck(t, ports)),
    guard('ReprotectRegistry', () => reprotectRegistryCheck(t, target.region, ports)),
  ]);
  const failed = checks.filter((c) => !c.ok).map((c) => c.name);
  const report: ReadinessReport = {
    at,
    target: target.id,
    region: target.region,
    ready: failed.length === 0,
    failed,
    checks,
  };
  await ports.publisher.publish(report);
  return report;
}

/** The workflow's own preflight of a failover from the peer into `target`, as a dry run. */
async function preflightCheck(t: Topology, target: string, ports: ReadinessPorts, at: string) {
  const own = serverById(t, target);
  const peer = peerOf(t, target);
  const run: Run = {
    direction: 'failover',
    source: { server: peer.id, region: peer.region },
    target: { server: own.id, region: own.region },
    executionId: `readiness-${at}`,
    startedAt: at,
    input: ExecutionInput.parse({
      trigger: 'manual',
      incidentId: 'readiness',
      dryRun: true,
      requestedBy: 'readiness',
    }),
  };
  try {
    const plan = await preflight(run, t, ports);
    if (plan.alreadyActive) return { ok: true, reason: `${own.id} is already the active server` };
    const warn = plan.warnings.length ? ` (warnings: ${plan.warnings.join('; ')})` : '';
    return { ok: true, reason: `a failover from ${peer.id} to ${own.id} passes preflight${warn}` };
  } catch (e) {
    const err = e as Error;
    return { ok: false, reason: `${err.name}: ${err.message}` };
  }
}

/** The target's Redis member is a replica whose lag is within `redis.maxLagBytes` (or already primary). */
async function replicaLagCheck(t: Topology, region: string, ports: ReadinessPorts) {
  const state = await ports.promoter.describe();
  const m = state.members.find((x) => x.region === region);
  if (state.primaryRegion === region)
    return m?.refusesWrites
      ? {
          ok: false,
          reason: `Redis in ${region} is the primary but refuses writes (${m.detail ?? 'min-replicas-to-write'}): its replica is gone, so the active server cannot write until one is back (docs/reliability.md)`,
        }
      : { ok: true, reason: `Redis in ${region} is the primary` };
  if (!m) return { ok: false, reason: `no Redis member in ${region}` };
  if (!m.reachable) return { ok: false, reason: `Redis in ${region} does not answer (${m.detail ?? ''})` };
  if (m.role !== 'replica') return { ok: false, reason: `Redis in ${region} is ${m.role}, not a replica` };
  const bound = t.redis.maxLagBytes;
  if (typeof m.lagBytes === 'number')
    return m.lagBytes <= bound && m.inSync !== false
      ? { ok: true, reason: `Redis in ${region} lags ${m.lagBytes} bytes (bound ${bound})` }
      : {
          ok: false,
          reason: `Redis in ${region} lags ${m.lagBytes} bytes${m.inSync === false ? ', link not in sync' : ''} (bound ${bound})`,
        };
  // ElastiCache does not report a byte lag: its member status says whether it is in sync.
  return m.inSync
    ? { ok: true, reason: `Redis in ${region} is in sync (${m.detail ?? 'lag not reported'})` }
    : { ok: false, reason: `Redis in ${region} is not in sync (${m.detail ?? 'lag unknown'})` };
}

/** Every Secrets Manager secret the topology names (ids only). */
export function topologySecrets(t: Topology): string[] {
  const out = new Set<string>();
  const walk = (v: unknown, key: string) => {
    if (typeof v === 'string') {
      if (/secret$/i.test(key) && key !== 'signingSecretHeader') out.add(v);
    } else if (Array.isArray(v)) for (const x of v) walk(x, key);
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, k);
  };
  walk(t, '');
  return [...out].sort();
}

async function secretsCheck(t: Topology, ports: ReadinessPorts) {
  const ids = topologySecrets(t);
  if (ids.length === 0) return { ok: true, reason: 'the topology names no secrets' };
  const results = await Promise.all(
    ids.map((id) =>
      ports.secrets.check(id).then(
        () => null,
        (e: Error) => `${id}: ${e.message}`,
      ),
    ),
  );
  const bad = results.filter((r): r is string => r !== null);
  return bad.length
    ? { ok: false, reason: `unreadable secrets: ${bad.join('; ')}` }
    : { ok: true, reason: `${ids.length} secret(s) readable: ${ids.join(', ')}` };
}

async function slackCheck(t: Topology, ports: ReadinessPorts) {
  const slack = t.approvals.slack;
  if (!slack) return { ok: true, reason: 'approvals.slack is not configured' };
  const r = await ports.slack.authTest(slack.botTokenSecret);
  return r.ok
    ? { ok: true, reason: `auth.test: ${r.detail}` }
    : { ok: false, reason: `auth.test with the bot token (${slack.botTokenSecret}) failed: ${r.detail}` };
}

async function alarmsCheck(names: string[], ports: ReadinessPorts, clock: Clock, maxMs: number) {
  if (names.length === 0)
    return { ok: true, reason: 'the peer names no trigger alarms (alarm-triggered failover is off)' };
  const details = await ports.alarmDetails.details(names);
  const bad: string[] = [];
  const good: string[] = [];
  for (const n of names) {
    const d = details[n] ?? { state: 'MISSING' as const };
    if (d.state === 'MISSING') bad.push(`${n} does not exist`);
    else if (d.state === 'INSUFFICIENT_DATA') {
      const forMs = d.since === undefined ? Number.POSITIVE_INFINITY : clock.now() - d.since;
      const forText = Number.isFinite(forMs) ? `${Math.round(forMs / 60_000)} min` : 'an unknown time';
      if (forMs > maxMs)
        bad.push(`${n} has been INSUFFICIENT_DATA for ${forText} (bound ${Math.round(maxMs / 60_000)} min)`);
      else good.push(`${n} INSUFFICIENT_DATA for ${forText}`);
    } else good.push(`${n} ${d.state}`);
  }
  return bad.length ? { ok: false, reason: bad.join('; ') } : { ok: true, reason: good.join('; ') };
}
