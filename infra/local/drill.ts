/**
 * `npm run drill`: the local failover drill. Starts the sandbox (two regions, real redis-server
 * processes, simulated Gloo management servers and agents, a real DNS server), takes the active
 * region down, lets the sandbox's probe alarm fire a `CloudWatch Alarm State Change` event, maps it
 * to the execution input exactly as the AWS trigger does, runs the failover workflow (the same ASL,
 * real handlers), and checks that the system converged. `--failback` then heals the old region,
 * runs the reprotect workflow (its Redis follows the survivor again) and the mirrored failback.
 */
import './quiet.ts';
import { readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { renderReportPage } from '#functions/report/html.ts';
import type { RunReport } from '#functions/report/report.ts';
import { decide } from '#functions/trigger/trigger.ts';
import { systemClock } from '#lib/clock.ts';
import { DNS_MODE_SUMMARY, type DnsMode } from '#lib/dns-modes.ts';
import { withRedis } from '#lib/redis/connect.ts';
import { RedisGlobalLock } from '#lib/redis/lock.ts';
import { ReplicaOfPromoter } from '#lib/redis/replicaof-promoter.ts';
import type { DnsResult, LockResult, Plan, Promotion, Reconnect, Verification } from '#lib/state.ts';
import { DNS_MODES, type Region, type Topology } from '#lib/topology.ts';
import { runReprotect } from '#local/reprotect-runner.ts';
import { sandboxPorts } from '#local/sandbox/ports.ts';
import { defaultOrder } from '#workflows/definition.ts';
import { startLocalApprovals } from './approvals-local.ts';
import { type Monitor, startMonitor, writesOf } from './monitor.ts';
import { startLocalReadiness } from './readiness-local.ts';
import { type ApprovalResolver, type LocalRunResult, runWorkflow, type TimelineEvent } from './runner.ts';
import { ARC_ENDPOINT_REGIONS } from './sandbox/arc-cluster.ts';
import {
  type AlarmStateChangeEvent,
  type Sandbox,
  type SandboxMetricsSource,
  startSandbox,
} from './sandbox/index.ts';
import { renderForTerminal } from './slack-standin.ts';

/** Options of {@link runDrill}. */
export interface DrillOptions {
  agents: number;
  /** `control-plane-down`: the outage of us-east-1 also takes the Route 53 control-plane stand-in down. */
  scenario: 'outage' | 'blip' | 'control-plane-down';
  /** How the relay name is switched (default route53-record). */
  dns?: DnsMode;
  /** Regions whose ARC cluster endpoint is killed before the run (arc-routing-control). */
  killArcEndpoints?: string[];
  /** Data-plane modes: the vendor demo's failover ALIAS pair to per-region NLB names. */
  dnsAlias?: boolean;
  failback: boolean;
  dryRun: boolean;
  /** Approval gates on, answered through the local Slack stand-in: automatically, by rejecting, or by a person at the terminal. */
  approve?: 'auto' | 'reject' | 'slack';
  /** Print the live timeline and tables (default true). */
  print?: boolean;
  /** Wait scale for the local runner (default 0.2). */
  waitScale?: number;
  /** Where the orchestrator reads the agent gauges (default: the sandbox's, `SANDBOX_METRICS_SOURCE` or scrape). */
  metrics?: SandboxMetricsSource;
  /** The servers' health check (default http). */
  health?: 'http' | 'tcp';
  /**
   * The configuration mode (default `write-to-all`, the vendor's recommendation and the shape of
   * its AWS HA demo: one common.cluster on both servers, each on its own region's Redis member).
   */
  mode?: 'write-to-all' | 'write-to-one';
  /** write-to-one: the lock adapter (default `meshctl`, the vendor's command). */
  lock?: 'meshctl' | 'redis-key';
  /** The topology's `lock` section as given (e.g. calibrate's snippet); implies write-to-one. */
  lockSection?: Record<string, unknown>;
}

/** One workflow run of the drill. */
export interface DrillRun {
  direction: 'failover' | 'failback';
  endState: string;
  status: string;
  transitions: number;
  wallMs: number;
  /** The Task states the run entered, in order (a repeated poll once). */
  taskStates: string[];
  report: RunReport | null;
}

/** The drill's result (also what `--json` writes). */
export interface DrillReport {
  scenario: string;
  agents: number;
  dryRun: boolean;
  converged: boolean;
  problems: string[];
  sandboxStartMs: number;
  runs: DrillRun[];
  rto: Record<string, number>;
  checks: { name: string; ok: boolean; detail: string }[];
  timeline: { tMs: number; event: string }[];
  mode: 'write-to-all' | 'write-to-one';
  lock: 'none' | 'meshctl' | 'redis-key';
  /** Keys written on either Redis during the workflow runs (MONITOR), by key: count of writes. */
  keysWritten: Record<string, number>;
  /** The fake meshctl's recorded argv (meshctl adapter). */
  meshctlCalls: string[][];
  /**
   * Continuous readiness of a failover into the passive server (the scheduled function of AWS, here
   * every {@link DRILL_READINESS_EVERY_MS}): the first verdict and every change after it.
   */
  readiness: { tMs: number; ready: boolean; failed: string[] }[];
}

/** How often the drill evaluates readiness (AWS: `readiness.rateMinutes`, default 15 min). */
export const DRILL_READINESS_EVERY_MS = 2_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs the drill and returns its report. */
export async function runDrill(o: DrillOptions): Promise<DrillReport> {
  const print = o.print ?? true;
  const out = (s = '') => print && process.stdout.write(`${s}\n`);
  const t0 = performance.now();
  const timeline: DrillReport['timeline'] = [];
  const mark = (event: string) => {
    const tMs = Math.round(performance.now() - t0);
    timeline.push({ tMs, event });
    out(`  ${`+${(tMs / 1000).toFixed(2)}s`.padStart(9)}  ${event}`);
  };
  const checks: DrillReport['checks'] = [];
  const check = (name: string, ok: boolean, detail: string) => {
    checks.push({ name, ok, detail });
    out(`  ${ok ? 'ok  ' : 'FAIL'}  ${name}: ${detail}`);
  };

  const mode = o.lockSection ? 'write-to-one' : (o.mode ?? 'write-to-all');
  const lockKind =
    mode === 'write-to-all'
      ? 'none'
      : ((o.lockSection?.adapter as 'meshctl' | 'redis-key' | undefined) ?? o.lock ?? 'meshctl');
  out(
    `Gloo management-plane failover drill (scenario: ${o.scenario}, ${o.agents} agents, ${mode}${lockKind === 'none' ? '' : `, lock ${lockKind}`}${o.dryRun ? ', dry run' : ''}${o.failback ? ', then failback' : ''})`,
  );
  out('');
  const dnsMode = o.dns ?? 'route53-record';
  const sb = await startSandbox({
    agents: o.agents,
    dnsMode,
    ...(o.dnsAlias ? { dnsAlias: true } : {}),
    ...(o.metrics ? { metricsSource: o.metrics } : {}),
    ...(o.health ? { healthCheck: o.health } : {}),
    configMode: mode,
    ...(lockKind !== 'none' ? { lockAdapter: lockKind } : {}),
    ...(o.lockSection ? { lock: o.lockSection } : {}),
  });
  const monitors: Monitor[] = [];
  const keysWritten: Record<string, number> = {};
  const sandboxStartMs = sb.startupMs;
  const runs: DrillRun[] = [];
  const rto: Record<string, number> = {};
  const meshctlCalls: string[][] = [];
  const readinessLog: DrillReport['readiness'] = [];
  let readiness: ReturnType<typeof startLocalReadiness> | undefined;
  try {
    const [regionA, regionB] = sb.regionNames;
    const [clusterA, clusterB] = sb.clusters;
    let topology: Topology = sb.topology;
    if (o.approve) topology = withApprovalGates(topology);
    const ports = sandboxPorts(topology);
    mark(
      `sandbox ready in ${sb.startupMs} ms: ${o.agents} agents on ${clusterA} (${regionA}); ${clusterB} (${regionB}) passive; DNS ${sb.dns.recordName} -> ${sb.dns.served()?.values.join(',')}; ${sb.regions[regionA].server.replicaHosts.length} replicas per server, metrics via ${sb.metricsSource}, health ${topology.servers[0]!.health.kind}`,
    );
    mark(`DNS switch ${dnsMode}: ${DNS_MODE_SUMMARY[dnsMode]}`);
    for (const r of o.killArcEndpoints ?? []) {
      if (!sb.arc) throw new Error('--kill-arc-endpoints needs --dns arc-routing-control');
      await sb.arc.killEndpoint(r);
      mark(`killed the ARC cluster endpoint in ${r}`);
    }
    // As in AWS, where the health probe records the clusters on each server: wait for the first record.
    await waitForLastSeen(ports, clusterA, o.agents);
    // Continuous readiness of a failover into B, as the scheduled function runs it in B's region.
    const firstVerdict = new Promise<void>((resolve) => {
      readiness = startLocalReadiness({
        topology,
        ports,
        clock: systemClock,
        target: clusterB,
        everyMs: DRILL_READINESS_EVERY_MS,
        onReport: (r) => {
          const last = readinessLog.at(-1);
          if (!last || last.ready !== r.ready || last.failed.join() !== r.failed.join()) {
            readinessLog.push({ tMs: Math.round(performance.now() - t0), ready: r.ready, failed: r.failed });
            mark(
              `readiness of a failover into ${clusterB}: FailoverReady ${r.ready ? 1 : 0}${
                r.ready
                  ? ` (${r.checks.length} checks ok)`
                  : `: ${r.checks
                      .filter((c) => !c.ok)
                      .map((c) => `${c.name}: ${c.reason}`)
                      .join('; ')}`.slice(0, 240)
              }`,
            );
          }
          resolve();
        },
      });
    });
    await firstVerdict;
    const glooNames = topology.servers.map((s) => s.glooClusterName).join(' / ');
    const before =
      mode === 'write-to-one' ? await lockOn(sb, regionA) : { holder: null, epoch: 0, rawValue: null };
    mark(
      mode === 'write-to-one'
        ? `write-to-one (common.cluster ${glooNames}): Gloo's global lock ${before.rawValue} (epoch ${before.epoch}); lock adapter ${lockKind}; Redis primary ${regionA}, replica ${regionB}`
        : `write-to-all (common.cluster ${glooNames}): no global lock; each server writes while its own Redis member is primary; Redis primary ${regionA}, replica ${regionB}`,
    );
    // Every command either Redis processes from here on (MONITOR): which keys did the run write?
    for (const r of sb.regionNames) monitors.push(await startMonitor(sb.regions[r].redis.endpoint));

    // 1. The outage (or blip), and the alarm it raises.
    const alarm = new Promise<AlarmStateChangeEvent>((resolve) =>
      sb.events.on('alarm', (ev: AlarmStateChangeEvent) => {
        if (ev.detail.state.value === 'ALARM') resolve(ev);
      }),
    );
    const tKill = performance.now();
    if (o.scenario === 'outage' || o.scenario === 'control-plane-down') {
      await sb.killRegion(regionA);
      mark(
        `killed region ${regionA}: ${clusterA} and its Redis stopped${sb.arc ? `, its ARC endpoint too (${sb.arc.deadEndpoints().length} of 5 endpoints down)` : ''}`,
      );
      if (o.scenario === 'control-plane-down') {
        sb.faults.controlPlane.down = true;
        mark(
          'Route 53 control plane (served from us-east-1) is down: record changes fail; DNS answers and health checks go on',
        );
      }
    } else {
      void sb.blip(regionA, 2_500);
      mark(`blip in region ${regionA}: frozen for 2.5 s, heals by itself`);
    }
    const event = await Promise.race([alarm, sleep(30_000).then(() => null)]);
    if (!event) throw new Error('the sandbox alarm did not fire within 30 s');
    rto.detectionMs = Math.round(performance.now() - tKill);
    mark(`alarm ${event.detail.alarmName} -> ALARM (${event.detail.state.reason ?? ''})`.slice(0, 160));

    // 2. The trigger's mapping, then the workflow.
    const decision = decide(event, topology);
    if (!decision.start) throw new Error(`trigger did not start a run: ${decision.reason}`);
    mark(
      `trigger: start execution "${decision.executionName}" (failover ${decision.sourceServer} -> ${decision.targetServer})`,
    );
    const failover = await runOne(
      topology,
      ports,
      'failover',
      decision.targetServer,
      { ...decision.input, dryRun: o.dryRun },
      o,
      mark,
    );
    runs.push(failover.run);
    Object.assign(rto, rtoOf(failover.result, failover.run.report));
    // What the pipelines were told: the parameter store per region, the webhook receiver.
    for (const r of sb.regionNames) {
      const v = sb.signal.parameters.values(r)[topology.activeSignal.ssm?.parameterName ?? ''];
      mark(`signal: parameter store ${r}: ${v ?? '(not written)'}`);
    }
    for (const w of sb.signal.webhook.received)
      mark(
        `signal: webhook got HTTP POST ${w.body} (signature ${w.signatureValid ? 'valid' : 'INVALID'}, answered ${w.status})`,
      );
    await Promise.all(monitors.map((m) => m.stop()));
    Object.assign(keysWritten, writtenKeys(monitors));

    // 3. Did it converge?
    out('');
    out('Checks');
    // The record compare-and-swap cannot work without the Route 53 control plane: preflight warned,
    // and the run must halt where the warning said (DNS first: DnsChangeFailed; else after the promotion).
    const predictedHalt = o.scenario === 'control-plane-down' && dnsMode === 'route53-record' && !o.dryRun;
    const expectSwitch = o.scenario !== 'blip' && !o.dryRun && !predictedHalt;
    lockWriteChecks(sb, mode, lockKind, keysWritten, check, {
      target: decision.targetServer,
      expectCall: expectSwitch,
    });
    const expectedEnd =
      o.scenario === 'blip'
        ? 'OutageNotConfirmed'
        : o.dryRun
          ? 'DryRunComplete'
          : predictedHalt
            ? defaultOrder('failover', topology.approvals.gates) === 'overlapped'
              ? 'DnsChangeFailed'
              : 'HaltedAfterPromotion'
            : 'FailedOver';
    check(
      'outcome',
      failover.run.endState === expectedEnd,
      `${failover.run.endState} (expected ${expectedEnd})`,
    );
    const planWarnings = failover.run.report?.warnings ?? [];
    const cpWarning = planWarnings.find((w) => w.startsWith('DNS switch route53-record'));
    const cpWarned = cpWarning !== undefined;
    if (o.scenario === 'control-plane-down' || dnsMode === 'route53-record')
      check(
        'preflight warning (route53-record, leaving us-east-1)',
        dnsMode === 'route53-record' && regionA === 'us-east-1'
          ? cpWarned && (!predictedHalt || cpWarning.includes(`ends ${expectedEnd}`))
          : !cpWarned,
        cpWarned
          ? `warned in the plan, hence the report and the Slack approval message${predictedHalt ? `, predicting the run ends ${expectedEnd}` : ''}`
          : 'no warning (data-plane switch)',
      );
    if (predictedHalt) {
      const served = sb.dns.served();
      check(
        'DNS unchanged, as predicted',
        served?.values[0] === sb.dns.addressOf(clusterA),
        `${sb.dns.recordName} -> ${served?.values.join(',')} (the control plane refused the change)`,
      );
    }
    if (expectSwitch) {
      const tAgents = await sb.agents
        .waitAllOn(clusterB, 30_000)
        .then(() => performance.now())
        .catch(() => null);
      if (tAgents) rto.totalMs = Math.round(tAgents - tKill);
      await convergenceChecks(sb, mode, { cluster: clusterB, region: regionB }, before.epoch, check);
    } else if (!predictedHalt) {
      if (o.scenario === 'blip') await sb.agents.waitAllOn(clusterA, 30_000).catch(() => 0);
      await unchangedChecks(
        sb,
        mode,
        { cluster: clusterA, region: o.scenario === 'blip' ? regionA : regionB },
        before,
        regionA,
        check,
        o.scenario === 'blip',
      );
    }

    // 4. Failback: heal, re-protect (the reprotect workflow, the deployed ASL), run the mirror.
    if (o.failback && expectSwitch && o.scenario === 'outage') {
      out('');
      out(`Failback to ${clusterA} (${regionA})`);
      await sb.healRegion(regionA);
      mark(
        `healed region ${regionA}: ${clusterA} restarted; its Redis is back empty and standalone (no persistence)`,
      );
      mark(
        `▶ re-protect: the reprotect workflow in ${regionB} (its Redis stays primary; ${regionA} follows it again)`,
      );
      const rp = await runReprotect({
        topology,
        survivorServer: clusterB,
        input: { incidentId: `${decision.input.incidentId}-reprotect`, requestedBy: 'drill' },
        ports,
        waitScale: o.waitScale ?? 0.2,
      });
      const rpReport = rp.output.report as
        | { summary?: string; recorded?: { generation: number } }
        | undefined;
      mark(
        `  ✓ ${rp.endState}: ${rpReport?.summary ?? ''} (${rp.states.length} states, ${rp.durationMs} ms)`,
      );
      check(
        'reprotect outcome',
        rp.endState === 'Reprotected' || rp.endState === 'AlreadyProtected',
        `${rp.endState} (expected Reprotected, or AlreadyProtected after a planned failover)`,
      );
      const lockNow = mode === 'write-to-one' ? await lockOn(sb, regionB) : { epoch: 0 };
      const fb = await runOne(
        topology,
        ports,
        'failback',
        clusterA,
        {
          trigger: 'manual',
          incidentId: `${decision.input.incidentId}-failback`,
          requestedBy: 'drill',
          dryRun: false,
        },
        o,
        mark,
      );
      runs.push(fb.run);
      out('');
      out('Checks');
      check('failback outcome', fb.run.endState === 'FailedOver', `${fb.run.endState} (expected FailedOver)`);
      await sb.agents.waitAllOn(clusterA, 30_000).catch(() => 0);
      await convergenceChecks(sb, mode, { cluster: clusterA, region: regionA }, lockNow.epoch, check);
    }

    printTables(runs, rto, out);
  } finally {
    readiness?.stop();
    await Promise.all(monitors.map((m) => m.stop()));
    meshctlCalls.push(...sb.meshctl.calls());
    await sb.stop();
  }
  const problems = checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
  out('');
  out(
    problems.length === 0
      ? 'CONVERGED: every check passed.'
      : `DID NOT CONVERGE: ${problems.length} check(s) failed.`,
  );
  return {
    scenario: o.scenario,
    agents: o.agents,
    dryRun: o.dryRun,
    converged: problems.length === 0,
    problems,
    sandboxStartMs,
    runs,
    rto,
    readiness: readinessLog,
    checks,
    timeline,
    mode,
    lock: lockKind,
    keysWritten,
    meshctlCalls,
  };
}

/** Keys written on either Redis while the monitors ran, with how many writes each (Lua writes included). */
function writtenKeys(monitors: Monitor[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of monitors) for (const w of writesOf(m.commands)) out[w.key] = (out[w.key] ?? 0) + 1;
  return out;
}

/**
 * What the run wrote to the lock (Redis MONITOR on both members): nothing in write-to-all; in
 * write-to-one the lock key, and with meshctl exactly the vendor's documented command line.
 */
function lockWriteChecks(
  sb: Sandbox,
  mode: 'write-to-all' | 'write-to-one',
  lock: string,
  keys: Record<string, number>,
  check: (name: string, ok: boolean, detail: string) => void,
  o: { target: string; expectCall: boolean },
): void {
  const lockKeys = Object.keys(keys).filter((k) => k === sb.lockFormat.key || k === sb.lockFormat.epochKey);
  const others = Object.keys(keys).filter((k) => !lockKeys.includes(k));
  const summary = `${others.length} other keys written (${others.slice(0, 4).join(', ')}${others.length > 4 ? ', ...' : ''})`;
  if (mode === 'write-to-all')
    check(
      'Redis MONITOR: no lock write',
      lockKeys.length === 0,
      lockKeys.length
        ? `lock keys written: ${lockKeys.join(', ')}`
        : `no write to ${sb.lockFormat.key}; ${summary}`,
    );
  else if (o.expectCall)
    check(
      'Redis MONITOR: lock written',
      keys[sb.lockFormat.key] !== undefined,
      `${sb.lockFormat.key} written ${keys[sb.lockFormat.key] ?? 0}x by the ${lock} adapter; ${summary}`,
    );
  if (lock === 'meshctl' && o.expectCall) {
    const server = sb.topology.servers.find((s) => s.id === o.target)!;
    const want = [
      'meshctl',
      'experimental',
      'switch-active',
      '--kubecontext',
      `ctx-${server.id}`,
      '--mgmt-cluster-name',
      server.glooClusterName,
      '--redis-address',
      sb.regions[server.region].redis.endpoint,
    ];
    const calls = sb.meshctl.calls();
    check(
      'meshctl argv (documented command line)',
      calls.length === 1 && JSON.stringify(calls[0]) === JSON.stringify(want),
      calls.map((c) => c.join(' ')).join(' | ') || 'meshctl was not called',
    );
  }
}

/**
 * The approval gates of the drill, answered through the local Slack stand-in and the REAL
 * request-approval and slack-callback handlers: the message is posted to the stand-in, a button
 * is clicked with a correctly signed callback, and the decision reaches the workflow.
 */
async function localApprovals(
  topology: Topology,
  mode: 'auto' | 'reject' | 'slack',
  mark: (e: string) => void,
  print: boolean,
): Promise<{
  approve: ApprovalResolver;
  onTimeout: (p: unknown) => Promise<unknown>;
  stop: () => Promise<void>;
}> {
  const users = { U0SANDBOX1: 'oncall.sre' };
  const a = await startLocalApprovals({ topology, users });
  const off = a.standIn.onPost((m) => {
    void (async () => {
      mark(`Slack: approval message posted to ${m.channel}`);
      if (print || mode === 'slack') process.stdout.write(`${renderForTerminal(m, { users })}\n`);
      let action: 'approve' | 'reject' = mode === 'reject' ? 'reject' : 'approve';
      if (mode === 'slack') action = await ask('Type approve or reject: ');
      else await sleep(500);
      const res = await a.standIn.clickButton(m.ts, action, 'U0SANDBOX1');
      mark(`Slack: oncall.sre clicked ${action} (signed callback answered HTTP ${res.status})`);
    })();
  });
  return {
    approve: (p) => a.runApprovalTask(p),
    onTimeout: (p) => a.runApprovalTimeout(p),
    stop: async () => {
      off();
      await a.stop();
    },
  };
}

async function ask(question: string): Promise<'approve' | 'reject'> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    for (;;) {
      const answer = (await rl.question(question)).trim().toLowerCase();
      if (answer === 'approve' || answer === 'reject') return answer;
    }
  } finally {
    rl.close();
  }
}

/** Turns approval gates on for the drill's `--approve` (the sandbox has no real Slack workspace). */
function withApprovalGates(t: Topology): Topology {
  return {
    ...t,
    approvals: {
      ...t.approvals,
      gates: ['before-promotion', 'before-failback'],
      slack: t.approvals.slack ?? {
        channel: 'C0SANDBOX1',
        approvers: ['U0SANDBOX1'],
        botTokenSecret: 'sandbox/slack-bot-token',
        signingSecret: 'sandbox/slack-signing-secret',
      },
    },
  };
}

async function runOne(
  topology: Topology,
  ports: ReturnType<typeof sandboxPorts>,
  direction: 'failover' | 'failback',
  targetServer: string,
  input: Record<string, unknown>,
  o: DrillOptions,
  mark: (e: string) => void,
): Promise<{ run: DrillRun; result: LocalRunResult }> {
  const approvals = o.approve ? await localApprovals(topology, o.approve, mark, o.print ?? true) : undefined;
  const started = performance.now();
  const result = await runWorkflow({
    topology,
    direction,
    targetServer,
    input,
    ports,
    waitScale: o.waitScale ?? 0.2,
    ...(approvals ? { approve: approvals.approve, onApprovalTimeout: approvals.onTimeout } : {}),
    onEvent: timelinePrinter(mark),
  }).finally(() => approvals?.stop());
  const report = ((result.output as { report?: RunReport }).report ?? null) as RunReport | null;
  mark(`${direction} ended: ${result.endState} (${result.status}, ${result.transitions} state transitions)`);
  if (report) for (const a of report.nextActions) mark(`next: ${a}`);
  return {
    run: {
      direction,
      endState: result.endState,
      status: result.status,
      transitions: result.transitions,
      wallMs: Math.round(performance.now() - started),
      taskStates: [
        ...new Set(
          result.events.filter((e) => e.kind === 'state-entered' && e.type === 'Task').map((e) => e.state!),
        ),
      ],
      report,
    },
    result,
  };
}

const STEP_LABELS: Record<string, string> = {
  RunPreflight: 'preflight',
  VerifySourceOutage: 'verify outage (quorum of probes, alarm, Route 53 checkers)',
  VerifyTargetRecovered: 'verify recovery (quorum)',
  ApproveSwitch: 'approval gate',
  ApproveDnsChange: 'approval gate (DNS)',
  StartRedisPromotion: 'promote Redis',
  PollRedisPromotion: 'poll Redis promotion',
  SwitchGlobalLock: 'switch global lock',
  RepointDns: 'switch DNS',
  RecordDnsChangeStatus: 'DNS as the authoritative servers answer it (for the report)',
  ConfirmAgentsReconnected: 'confirm agents reconnected',
  WriteReport: 'report',
};

/** The step results in the workflow state, as the timeline reads them. */
type StepOutputs = Partial<{
  plan: Plan;
  verify: Verification;
  promotion: Promotion;
  lock: LockResult;
  dns: DnsResult;
  reconnect: Reconnect;
}>;

/** Prints the workflow's events as timeline lines; repeated polls print only when their result changes. */
function timelinePrinter(mark: (s: string) => void): (e: TimelineEvent) => void {
  const lastLine = new Map<string, string>();
  const polls = new Set(['PollRedisPromotion', 'ConfirmAgentsReconnected']);
  return (e) =>
    describeEvent(e, (line) => {
      if (e.state && polls.has(e.state)) {
        const key = `${e.state}:${e.kind}`;
        if (lastLine.get(key) === line) return;
        lastLine.set(key, line);
      }
      mark(line);
    });
}

function describeEvent(e: TimelineEvent, mark: (s: string) => void): void {
  const label = e.state ? STEP_LABELS[e.state] : undefined;
  if (e.kind === 'state-entered' && label) mark(`▶ ${e.state}: ${label}`);
  else if (e.kind === 'state-exited' && label && e.output) {
    const o = e.output as StepOutputs;
    const summary: Record<string, () => string> = {
      RunPreflight: () =>
        `plan: lock ${o.plan?.before?.lock ? `${o.plan.before.lock.holder}@${o.plan.before.lock.epoch}` : 'none (write-to-all) or not readable'}, Redis primary ${o.plan?.before?.redisPrimary ?? 'unknown (a member does not answer)'}, DNS -> ${o.plan?.before?.dnsPointsTo}; ${o.plan?.expectedClusters?.count} expected agents`,
      VerifySourceOutage: () =>
        `confirmed by ${o.verify?.votes}/${o.verify?.signals?.length} signals (quorum ${o.verify?.quorum})`,
      VerifyTargetRecovered: () =>
        `confirmed by ${o.verify?.votes}/${o.verify?.signals?.length} signals (quorum ${o.verify?.quorum})`,
      StartRedisPromotion: () => `${o.promotion?.state} (${o.promotion?.mode}): ${o.promotion?.detail}`,
      PollRedisPromotion: () => `${o.promotion?.state}: ${o.promotion?.detail}`,
      SwitchGlobalLock: () =>
        o.lock?.adapter === 'meshctl'
          ? `${o.lock.outcome} by ${o.lock.command?.argv.join(' ')} (exit ${o.lock.command?.exitCode}, ${o.lock.command?.durationMs} ms): ${o.lock.command?.stdout.trim()}`
          : `${o.lock?.outcome}: ${o.lock?.previousHolder}@${o.lock?.previousEpoch} -> ${o.lock?.holder}@${o.lock?.epoch}`,
      RepointDns: () =>
        `${o.dns?.outcome} (${o.dns?.mode}): ${o.dns?.detail} [${o.dns?.status}]${o.dns?.warnings?.length ? `; ${o.dns.warnings.join('; ')}` : ''}`,
      RecordDnsChangeStatus: () => `${o.dns?.status}: ${o.dns?.confirmedBy?.join('; ')}`,
      ConfirmAgentsReconnected: () => `${o.reconnect?.detail}`,
    };
    const s = summary[e.state!];
    if (s) mark(`  ✓ ${s()}`);
  } else if (e.kind === 'state-caught')
    mark(`  ✗ ${e.state}: ${e.error}: ${String(e.cause ?? '').slice(0, 200)}`);
  else if (e.kind === 'state-retried') mark(`  ↻ ${e.state}: retry after ${e.error}`);
}

function rtoOf(result: LocalRunResult, report: RunReport | null): Record<string, number> {
  const out: Record<string, number> = { workflowMs: result.durationMs };
  const row = (step: string) => report?.steps.find((s) => s.step === step)?.durationMs ?? 0;
  out.verificationMs = row('verify-outage');
  out.promotionMs = row('promote-redis');
  if (report?.steps.some((s) => s.step === 'switch-lock')) out.lockMs = row('switch-lock');
  out.dnsMs = row('repoint-dns');
  out.reconnectionMs = row('confirm-reconnect');
  return out;
}

async function waitForLastSeen(
  ports: ReturnType<typeof sandboxPorts>,
  cluster: string,
  n: number,
): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const seen = await ports.registry.lastSeen(cluster).catch(() => null);
    if (seen && seen.clusters.length >= n) return;
    await sleep(50);
  }
  throw new Error(`the sandbox did not record the ${n} agents on ${cluster} within 10 s`);
}

async function lockOn(sb: Sandbox, region: Region) {
  return withRedis(sb.regions[region].redis.endpoint, {}, (r) =>
    new RedisGlobalLock(r, sb.lockFormat).read(),
  );
}

async function convergenceChecks(
  sb: Sandbox,
  mode: 'write-to-all' | 'write-to-one',
  target: { cluster: string; region: Region },
  epochBefore: number,
  check: (name: string, ok: boolean, detail: string) => void,
): Promise<void> {
  const lock = await lockOn(sb, target.region);
  if (mode === 'write-to-one')
    check(
      'global lock',
      lock.holder === target.cluster && lock.epoch > epochBefore,
      `${lock.rawValue} (${lock.holder}) at epoch ${lock.epoch} (was ${epochBefore})`,
    );
  else check('global lock', lock.rawValue === null, 'none (write-to-all)');
  const redis = await new ReplicaOfPromoter({
    members: Object.fromEntries(sb.regionNames.map((r) => [r, sb.regions[r].redis.endpoint])),
    maxLagBytes: 1 << 20,
  }).describe();
  check(
    'Redis primary',
    redis.primaryRegion === target.region,
    `${redis.primaryRegion} (${redis.groupStatus})`,
  );
  const served = sb.dns.served();
  const want = sb.dns.addressOf(target.cluster);
  const value = sb.topology.dns.values[target.cluster];
  check(
    'DNS record',
    served?.values.length === 1 && served.values[0] === want,
    `${sb.dns.recordName} -> ${served?.values.join(',')} (want ${want}${value !== want ? `, via alias ${value}` : ''})`,
  );
  const placement = Object.values(sb.agents.placement());
  const on = placement.filter((p) => p === target.cluster).length;
  check('agents', on === placement.length, `${on}/${placement.length} agents connected to ${target.cluster}`);
  const v = sb.invariants.violations();
  check(
    'no split brain, epoch never decreased',
    v.length === 0,
    v.length ? v.join('; ') : 'no violation recorded',
  );
}

async function unchangedChecks(
  sb: Sandbox,
  mode: 'write-to-all' | 'write-to-one',
  home: { cluster: string; region: Region },
  before: { holder: string | null; epoch: number },
  homeRegion: Region,
  check: (name: string, ok: boolean, detail: string) => void,
  agentsBack: boolean,
): Promise<void> {
  const lock = await lockOn(sb, home.region).catch(() => null);
  if (mode === 'write-to-one')
    check(
      'global lock unchanged',
      lock?.holder === before.holder && lock.epoch === before.epoch,
      `${lock?.holder} at epoch ${lock?.epoch}`,
    );
  const served = sb.dns.served();
  check(
    'DNS unchanged',
    served?.values[0] === sb.topology.dns.values[home.cluster],
    `${served?.values.join(',')}`,
  );
  const redis = await new ReplicaOfPromoter({
    members: Object.fromEntries(sb.regionNames.map((r) => [r, sb.regions[r].redis.endpoint])),
    maxLagBytes: 1 << 20,
  }).describe();
  const other = sb.regionNames.find((r) => r !== homeRegion)!;
  check(
    'Redis roles unchanged',
    redis.members.find((m) => m.region === other)?.role !== 'primary',
    `primary ${redis.primaryRegion}`,
  );
  if (agentsBack) {
    const placement = Object.values(sb.agents.placement());
    const on = placement.filter((p) => p === home.cluster).length;
    check('agents', on === placement.length, `${on}/${placement.length} agents on ${home.cluster}`);
  }
  const v = sb.invariants.violations();
  check(
    'no split brain, epoch never decreased',
    v.length === 0,
    v.length ? v.join('; ') : 'no violation recorded',
  );
}

function printTables(runs: DrillRun[], rto: Record<string, number>, out: (s?: string) => void): void {
  for (const r of runs) {
    if (!r.report) continue;
    out('');
    out(`${r.direction}: ${r.endState} — ${r.report.summary}`);
    out(`  ${'step'.padEnd(18)} ${'duration'.padStart(9)}  result`);
    for (const s of r.report.steps)
      out(`  ${s.step.padEnd(18)} ${`${s.durationMs} ms`.padStart(9)}  ${s.result.slice(0, 110)}`);
    if (r.report.changed.length) {
      out('  changed:');
      for (const c of r.report.changed) out(`    ${c.what}: ${c.before} -> ${c.after}`);
    } else out('  changed: nothing');
  }
  if (runs[0]?.endState !== 'FailedOver') {
    if (runs[0]?.report?.error) out(`\n${runs[0].endState}: ${runs[0].report.error.message}`);
    return;
  }
  out('');
  out('RTO breakdown (failover, sandbox)');
  for (const [label, key] of RTO_ROWS)
    if (rto[key] !== undefined) out(`  ${label.padEnd(36)} ${`${rto[key]} ms`.padStart(9)}`);
}

const RTO_ROWS: [string, string][] = [
  ['detection', 'detectionMs'],
  ['verification', 'verificationMs'],
  ['promotion', 'promotionMs'],
  ['lock', 'lockMs'],
  ['DNS', 'dnsMs'],
  ['reconnection', 'reconnectionMs'],
  ['outage -> all agents on new server', 'totalMs'],
];

/** The drill as the run report page (`--html`): the same page the report step stores in AWS, plus the drill's own figures. */
export function drillPage(d: DrillReport): string {
  return renderReportPage({
    title: `Failover drill (${d.scenario}, ${d.agents} agents${d.dryRun ? ', dry run' : ''}): ${d.converged ? 'converged' : 'did not converge'}`,
    runs: d.runs.flatMap((r) => (r.report ? [r.report] : [])),
    drill: {
      rto: RTO_ROWS.flatMap(([label, key]) => (d.rto[key] !== undefined ? [{ label, ms: d.rto[key] }] : [])),
      checks: d.checks,
      timeline: d.timeline,
    },
  });
}

/** A `lock` section from a file: the snippet calibrate prints (`{"configMode": ..., "lock": {...}}`) or the bare object. */
function readLockFile(path: string): Record<string, unknown> {
  const doc = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  const lock = (doc.lock ?? doc) as Record<string, unknown>;
  if (typeof lock !== 'object' || !lock || typeof lock.adapter !== 'string')
    throw new Error(`--lock-file ${path}: expected a "lock" object with an "adapter"`);
  return lock;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      failback: { type: 'boolean', default: false },
      agents: { type: 'string', default: '20' },
      'dry-run': { type: 'boolean', default: false },
      scenario: { type: 'string', default: 'outage' },
      dns: { type: 'string', default: 'route53-record' },
      'kill-arc-endpoints': { type: 'string' },
      'dns-alias': { type: 'boolean', default: false },
      json: { type: 'string' },
      html: { type: 'string' },
      approve: { type: 'string' },
      metrics: { type: 'string' },
      health: { type: 'string' },
      mode: { type: 'string', default: 'write-to-all' },
      lock: { type: 'string' },
      'lock-file': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      'usage: npm run drill -- [--mode write-to-all|write-to-one] [--lock meshctl|redis-key] [--lock-file FILE] [--failback] [--agents N] [--dry-run] [--scenario outage|blip|control-plane-down] [--dns route53-record|arc-routing-control|health-check-metric] [--dns-alias] [--kill-arc-endpoints REGION,...] [--approve auto|reject|slack] [--metrics scrape|headless|prometheus] [--health http|tcp] [--json FILE] [--html FILE]\n',
    );
    return;
  }
  const agents = Number(values.agents);
  if (!Number.isInteger(agents) || agents < 1 || agents > 5000)
    throw new Error(`--agents: expected a whole number from 1 to 5000, got ${values.agents}`);
  if (!['outage', 'blip', 'control-plane-down'].includes(values.scenario))
    throw new Error(`--scenario: expected outage, blip or control-plane-down, got ${values.scenario}`);
  if (!(DNS_MODES as readonly string[]).includes(values.dns))
    throw new Error(`--dns: expected ${DNS_MODES.join(', ')}, got ${values.dns}`);
  if (values['dns-alias'] && values.dns === 'route53-record')
    throw new Error(
      '--dns-alias: the failover alias pair needs a data-plane switch: add --dns arc-routing-control or --dns health-check-metric',
    );
  const killArc = values['kill-arc-endpoints']?.split(',').filter(Boolean) ?? [];
  for (const r of killArc)
    if (!(ARC_ENDPOINT_REGIONS as readonly string[]).includes(r))
      throw new Error(
        `--kill-arc-endpoints: expected regions among ${ARC_ENDPOINT_REGIONS.join(', ')}, got ${r}`,
      );
  if (values.approve !== undefined && !['auto', 'reject', 'slack'].includes(values.approve))
    throw new Error(`--approve: expected auto, reject or slack, got ${values.approve}`);
  if (values.metrics !== undefined && !['scrape', 'headless', 'prometheus'].includes(values.metrics))
    throw new Error(`--metrics: expected scrape, headless or prometheus, got ${values.metrics}`);
  if (values.health !== undefined && !['http', 'tcp'].includes(values.health))
    throw new Error(`--health: expected http or tcp, got ${values.health}`);
  if (values.mode !== 'write-to-all' && values.mode !== 'write-to-one')
    throw new Error(`--mode: expected write-to-all or write-to-one, got ${values.mode}`);
  if (values.lock !== undefined && values.lock !== 'meshctl' && values.lock !== 'redis-key')
    throw new Error(`--lock: expected meshctl or redis-key, got ${values.lock}`);
  if (values.lock !== undefined && values.mode === 'write-to-all')
    throw new Error('--lock: write-to-all mode has no lock (no lock adapter); add --mode write-to-one');
  const lockSection = values['lock-file'] ? readLockFile(values['lock-file']) : undefined;
  const report = await runDrill({
    ...(values.metrics ? { metrics: values.metrics as SandboxMetricsSource } : {}),
    ...(values.health ? { health: values.health as 'http' | 'tcp' } : {}),
    mode: values.mode,
    ...(values.lock ? { lock: values.lock as 'meshctl' | 'redis-key' } : {}),
    ...(lockSection ? { lockSection } : {}),
    agents,
    scenario: values.scenario as DrillOptions['scenario'],
    dns: values.dns as DnsMode,
    killArcEndpoints: killArc,
    dnsAlias: values['dns-alias'] ?? false,
    failback: values.failback ?? false,
    dryRun: values['dry-run'] ?? false,
    ...(values.approve ? { approve: values.approve as 'auto' | 'reject' | 'slack' } : {}),
  });
  if (values.json) {
    writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(`report written to ${values.json}\n`);
  }
  if (values.html) {
    writeFileSync(values.html, drillPage(report));
    process.stdout.write(`report page written to ${values.html}\n`);
  }
  process.exitCode = report.converged ? 0 : 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((e: Error) => {
    process.stderr.write(`drill failed: ${e.message}\n`);
    process.exitCode = 2;
  });
}
