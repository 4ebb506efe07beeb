/**
 * Multi-signal quorum about one management server, used by verify-outage (want "down") and
 * verify-recovered (want "up"). Independent signals: repeated TCP probes of the relay port, repeated
 * HTTP probes of the health endpoint, the server's CloudWatch alarms, and the Route 53 health
 * check's checkers (which sit in many regions). A signal that cannot be read abstains. The verdict
 * needs at least `quorum` signals for it and more for it than against it, so one lying signal can
 * never decide on its own, and a transient blip (some probes fail, some pass) does not count as down.
 */
import { type Clock, iso } from './clock.ts';
import { checkHealth, healthTarget } from './health-check.ts';
import type { AlarmStates, HealthCheckStatuses, ProbeResult, Probes } from './ports.ts';
import type { Signal, Verification } from './state.ts';
import type { Server, Topology } from './topology.ts';

/** The ports the quorum needs. */
export interface SignalPorts {
  clock: Clock;
  probes: Probes;
  alarms: AlarmStates;
  healthChecks: HealthCheckStatuses;
}

async function repeated(
  attempts: number,
  intervalMs: number,
  clock: Clock,
  probe: () => Promise<ProbeResult>,
): Promise<ProbeResult[]> {
  // Attempts at fixed offsets from the first (not "interval after the previous answer"), so
  // concurrent probe series sample the same instants whatever each probe's latency.
  const out: ProbeResult[] = [];
  const start = clock.now();
  for (let i = 0; i < attempts; i++) {
    if (i > 0) await clock.sleep(Math.max(0, start + i * intervalMs - clock.now()));
    out.push(await probe());
  }
  return out;
}

function probeVerdict(
  kind: 'relay' | 'health',
  target: string,
  results: ProbeResult[],
  share: number,
): Signal {
  const failed = results.filter((r) => !r.ok).length;
  const n = results.length;
  const verdict = failed / n >= share ? 'down' : (n - failed) / n >= share ? 'up' : 'mixed';
  return {
    kind,
    verdict,
    detail: `${target}: ${failed}/${n} failed [${results.map((r) => (r.ok ? 'ok' : r.detail)).join(', ')}]`,
  };
}

/** Reads every signal about `server` and decides whether it is `want` by quorum. */
export async function evaluateSignals(
  server: Server,
  want: 'down' | 'up',
  t: Topology,
  ports: SignalPorts,
  extraAlarmNames: string[] = [],
): Promise<Omit<Verification, 'skipped'>> {
  const startedAt = iso(ports.clock);
  const v = t.verification;
  const interval = v.probeIntervalSeconds * 1000;
  const alarmNames = [...new Set([...server.alarmNames, ...extraAlarmNames])];

  const [relay, health, alarm, r53] = await Promise.all([
    repeated(v.probeAttempts, interval, ports.clock, () =>
      ports.probes.tcpConnect(server.relayAddress, v.probeTimeoutMs),
    ).then((r) => probeVerdict('relay', server.relayAddress, r, v.probeFailureShare)),
    // A TCP health check is the relay probe again: one observation must not vote twice.
    server.health.kind === 'tcp'
      ? Promise.resolve<Signal>({
          kind: 'health',
          verdict: 'abstain',
          detail: `health check is TCP on the relay port (${server.relayAddress}): counted once, as the relay signal`,
        })
      : repeated(v.probeAttempts, interval, ports.clock, () =>
          checkHealth(server, ports.probes, v.probeTimeoutMs),
        ).then((r) => probeVerdict('health', healthTarget(server), r, v.probeFailureShare)),
    alarmSignal(alarmNames, ports.alarms),
    healthCheckSignal(server.route53HealthCheckId, v.healthyCheckerShare, ports.healthChecks),
  ]);
  const signals = [relay, health, alarm, r53];
  const against = want === 'down' ? 'up' : 'down';
  const votes = signals.filter((s) => s.verdict === want).length;
  const contrary = signals.filter((s) => s.verdict === against || s.verdict === 'mixed').length;
  const confirmed = votes >= v.quorum && votes > contrary;
  return {
    startedAt,
    endedAt: iso(ports.clock),
    confirmed,
    want,
    votes,
    against: contrary,
    quorum: v.quorum,
    signals,
    evidence: signals.map((s) => `${s.kind}: ${s.verdict} (${s.detail})`),
  };
}

async function alarmSignal(names: string[], alarms: AlarmStates): Promise<Signal> {
  if (names.length === 0) return { kind: 'alarm', verdict: 'abstain', detail: 'no alarms configured' };
  try {
    const states = await alarms.states(names);
    const list = names.map((n) => `${n}=${states[n] ?? 'MISSING'}`).join(', ');
    const values = names.map((n) => states[n] ?? 'MISSING');
    if (values.includes('ALARM')) return { kind: 'alarm', verdict: 'down', detail: list };
    if (values.every((s) => s === 'OK')) return { kind: 'alarm', verdict: 'up', detail: list };
    return { kind: 'alarm', verdict: 'abstain', detail: list };
  } catch (e) {
    return { kind: 'alarm', verdict: 'abstain', detail: `cannot read alarms: ${(e as Error).message}` };
  }
}

async function healthCheckSignal(
  id: string | undefined,
  healthyShare: number,
  checks: HealthCheckStatuses,
): Promise<Signal> {
  if (!id) return { kind: 'route53-health-check', verdict: 'abstain', detail: 'no health check configured' };
  try {
    const { healthy, total } = await checks.observations(id);
    if (total === 0)
      return { kind: 'route53-health-check', verdict: 'abstain', detail: `${id}: no checker observations` };
    const share = healthy / total;
    return {
      kind: 'route53-health-check',
      verdict: share > healthyShare ? 'up' : 'down',
      detail: `${id}: ${healthy}/${total} checkers see it healthy (healthy above ${Math.round(healthyShare * 100)}%)`,
    };
  } catch (e) {
    return {
      kind: 'route53-health-check',
      verdict: 'abstain',
      detail: `cannot read ${id}: ${(e as Error).message}`,
    };
  }
}
