/**
 * `npm run bench`: the benchmark report. Writes bench/report.json and prints a readable table:
 *
 * - drill RTO breakdown: median of 5 `runDrill` runs (regional outage, 20 agents);
 * - orchestration overhead: failover workflow wall time minus the Wait states actually taken and
 *   the time spent inside the handlers, for 20 and 1,000 agents;
 * - agents 20 / 1,000 (bench/sandbox.ts): sandbox start and record change to all reconnected;
 * - metrics parsing: a 10,000-cluster metrics page parsed and evaluated (median, target < 50 ms);
 * - lock switch latency on a local redis-server (median of many switches);
 * - state transitions per failover run with the AWS default polls, per state (bench/transitions.ts);
 * - bundle sizes and cold import times (bench/bundles.ts, when it is there);
 * - a projected RTO on AWS for the vendor-demo and example topologies, sequential vs overlapped,
 *   each phase with its basis (bench/projection.ts), beside the drill's outage -> all agents moved.
 *
 * Options (env): BENCH_DRILL_RUNS (5), BENCH_OVERHEAD_RUNS (3 for 20 agents; 1,000 agents run once),
 * BENCH_BUNDLE_RUNS (5), BENCH_SKIP (comma list of sections to skip: drill, overhead, sandbox,
 * metrics, lock, bundles, transitions).
 */
import '#local/quiet.ts';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Context } from 'aws-lambda';
import { createHandler as confirmReconnect } from '#functions/confirm-reconnect/handler.ts';
import { createHandler as preflight } from '#functions/preflight/handler.ts';
import { createHandler as promoteRedis } from '#functions/promote-redis/handler.ts';
import { createHandler as repointDns } from '#functions/repoint-dns/handler.ts';
import { createHandler as report } from '#functions/report/handler.ts';
import { createHandler as switchLock } from '#functions/switch-lock/handler.ts';
import { decide } from '#functions/trigger/trigger.ts';
import { createHandler as verifyOutage } from '#functions/verify-outage/handler.ts';
import { createHandler as verifyRecovered } from '#functions/verify-recovered/handler.ts';
import { dnsRtoByMode } from '#lib/dns-modes.ts';
import { RedisGlobalLock } from '#lib/redis/lock.ts';
import { evaluateReconnection, parseRelayMetrics } from '#lib/relay-metrics.ts';
import { loadTopology, lockSettings } from '#lib/topology.ts';
import { runDrill } from '#local/drill.ts';
import { startRedis } from '#local/redis-server.ts';
import { LOCAL_FUNCTIONS, runWorkflow, type TimelineEvent } from '#local/runner.ts';
import { type AlarmStateChangeEvent, startSandbox } from '#local/sandbox/index.ts';
import { sandboxPorts } from '#local/sandbox/ports.ts';
import type { WorkflowFunctions } from '#workflows/definition.ts';
import { workflowFor } from '#workflows/from-topology.ts';
import { loadDeployConfig } from '../infra/aws/lib/deploy-config.ts';
import {
  detectionFromDeploy,
  exampleProfile,
  PROJECTION_ASSUMPTIONS,
  type ProjectionMeasurements,
  projectProfile,
  vendorDemoProfile,
} from './projection.ts';
import { benchSandbox } from './sandbox.ts';
import { countTransitions } from './transitions.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const REPORT_FILE = fileURLToPath(new URL('./report.json', import.meta.url));

const median = (xs: number[]) => {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};
const round = (x: number, digits = 0) => Math.round(x * 10 ** digits) / 10 ** digits;
const skip = new Set((process.env.BENCH_SKIP ?? '').split(',').filter(Boolean));
const log = (s: string) => process.stderr.write(`bench: ${s}\n`);

// ---------------------------------------------------------------------------------------------
// Drill RTO breakdown

/** RTO phases of the drill, in order, with their labels. */
export const RTO_PHASES = [
  ['detectionMs', 'detection (kill -> alarm event)'],
  ['verificationMs', 'verification (quorum)'],
  ['promotionMs', 'Redis promotion'],
  ['lockMs', 'lock switch'],
  ['dnsMs', 'DNS (change -> status read after reconnection; overlaps)'],
  ['reconnectionMs', 'agents reconnected and warmed'],
  ['workflowMs', 'workflow wall time'],
  ['totalMs', 'outage -> all agents on the new server'],
] as const;

async function drillSection(runs: number) {
  const samples: Record<string, number>[] = [];
  const transitions: number[] = [];
  const converged: boolean[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await runDrill({
      agents: 20,
      scenario: 'outage',
      failback: false,
      dryRun: false,
      print: false,
    });
    samples.push(r.rto);
    transitions.push(r.runs[0]?.transitions ?? Number.NaN);
    converged.push(r.converged);
    log(`drill ${i + 1}/${runs}: ${r.runs[0]?.endState}, total ${r.rto.totalMs} ms`);
  }
  const medians = Object.fromEntries(
    RTO_PHASES.map(([k]) => [k, round(median(samples.map((s) => s[k] ?? Number.NaN)))]),
  );
  return { runs, agents: 20, medians, samples, transitions, converged };
}

// ---------------------------------------------------------------------------------------------
// Orchestration overhead

type Fn = (payload: unknown) => Promise<unknown>;
const CREATE: Record<keyof WorkflowFunctions, ((o: never) => unknown) | null> = {
  preflight,
  verifyOutage,
  verifyRecovered,
  promoteRedis,
  switchLock,
  repointDns,
  confirmReconnect,
  report,
  requestApproval: null,
};

/**
 * One failover on a fresh sandbox, instrumented: every Task's real handler is timed, Wait states
 * are timed from the engine's events, and the rest of the wall time is the orchestration overhead
 * (the local engine, JSONPath processing, input/output passing, the local runner).
 */
async function measuredFailover(agents: number) {
  const sb = await startSandbox({ agents });
  try {
    const t = sb.topology;
    const ports = sandboxPorts(t);
    const deadline = Date.now() + 30_000;
    while ((await ports.registry.lastSeen(sb.clusters[0]))?.clusters.length !== agents) {
      if (Date.now() > deadline) throw new Error('the sandbox did not record the agents in time');
      await new Promise((r) => setTimeout(r, 50));
    }
    const alarm = new Promise<AlarmStateChangeEvent>((resolve) =>
      sb.events.on('alarm', (ev: AlarmStateChangeEvent) => {
        if (ev.detail.state.value === 'ALARM') resolve(ev);
      }),
    );
    await sb.killRegion(sb.regionNames[0]);
    const decision = decide(await alarm, t);
    if (!decision.start) throw new Error(decision.reason);

    const route = { direction: 'failover' as const, targetServer: decision.targetServer };
    const sandboxPolls = { promotion: { seconds: 1, maxPolls: 30 } };
    const definition = workflowFor(t, route, LOCAL_FUNCTIONS, sandboxPolls);

    let handlerMs = 0;
    let invocations = 0;
    const overrides: Record<string, Fn> = {};
    const byArn = new Map(
      Object.entries(LOCAL_FUNCTIONS).map(([k, arn]) => [arn, k as keyof WorkflowFunctions]),
    );
    for (const [name, st] of Object.entries(definition.States) as [
      string,
      { Type: string; Resource?: string },
    ][]) {
      const key = st.Type === 'Task' ? byArn.get(String(st.Resource)) : undefined;
      const create = key ? CREATE[key] : null;
      if (!create) continue;
      const h = create({ topology: () => t, ports: () => ports } as never) as (
        e: unknown,
        c: Context,
      ) => Promise<unknown>;
      overrides[name] = async (p) => {
        const t0 = performance.now();
        try {
          return await h(p, { awsRequestId: crypto.randomUUID(), functionName: `bench-${key}` } as Context);
        } finally {
          handlerMs += performance.now() - t0;
          invocations++;
        }
      };
    }
    const entered = new Map<string, number>();
    let waitMs = 0;
    let firstEventAt: number | null = null;
    const onEvent = (e: TimelineEvent) => {
      firstEventAt ??= e.at;
      if (e.type !== 'Wait' || !e.state) return;
      if (e.kind === 'state-entered') entered.set(e.state, e.at);
      else if (e.kind === 'state-exited' && entered.has(e.state)) waitMs += e.at - entered.get(e.state)!;
    };
    const calledAt = Date.now();
    const res = await runWorkflow({
      topology: t,
      direction: 'failover',
      targetServer: decision.targetServer,
      input: decision.input,
      ports,
      overrides,
      onEvent,
      workflow: sandboxPolls,
    });
    if (res.endState !== 'FailedOver') throw new Error(`bench failover ended ${res.endState}`);
    const overheadMs = res.durationMs - handlerMs - waitMs;
    return {
      wallMs: res.durationMs,
      waitMs: round(waitMs),
      handlerMs: round(handlerMs),
      overheadMs: round(overheadMs),
      // building the definition and the engine's synchronous validation, before the first state
      startupMs: firstEventAt === null ? Number.NaN : firstEventAt - calledAt,
      transitions: res.transitions,
      invocations,
      overheadPerTransitionMs: round(overheadMs / res.transitions, 1),
    };
  } finally {
    await sb.stop();
  }
}

async function overheadSection(runs20: number) {
  const out: Record<string, Record<string, number>> = {};
  for (const [agents, runs] of [
    [20, runs20],
    [1_000, 1],
  ] as const) {
    const samples: Record<string, number>[] = [];
    for (let i = 0; i < runs; i++) {
      samples.push(await measuredFailover(agents));
      log(`overhead ${agents} agents ${i + 1}/${runs}: ${samples.at(-1)!.overheadMs} ms`);
    }
    out[String(agents)] = Object.fromEntries(
      Object.keys(samples[0]!).map((k) => [k, round(median(samples.map((s) => s[k]!)), 1)]),
    );
    out[String(agents)]!.runs = runs;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Metrics parsing, lock latency

/** A management server's metrics page with `n` agent clusters (the fixture's shape). */
export function metricsPage(n: number): string {
  const lines: string[] = [];
  for (const [name, help] of [
    ['relay_pull_clients_connected', 'Current number of connected Relay pull clients (Relay Agents).'],
    ['relay_push_clients_connected', 'Current number of connected Relay push clients (Relay Agents).'],
    ['relay_push_clients_warmed', 'Current number of warmed Relay push clients (Relay Agents).'],
  ] as const) {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
    for (let i = 1; i <= n; i++)
      lines.push(`${name}{cluster="workload-${i}"} ${name.endsWith('warmed') && i % 997 === 0 ? 0 : 1}`);
  }
  lines.push(
    '# HELP gloo_mesh_translation_time_sec Time spent in translation.',
    '# TYPE gloo_mesh_translation_time_sec histogram',
    'gloo_mesh_translation_time_sec_bucket{le="0.1"} 41',
    'gloo_mesh_translation_time_sec_bucket{le="+Inf"} 58',
    'gloo_mesh_translation_time_sec_sum 9.73',
    'gloo_mesh_translation_time_sec_count 58',
    '',
  );
  return lines.join('\n');
}

function metricsSection() {
  const clusters = 10_000;
  const page = metricsPage(clusters);
  const expected = Array.from({ length: clusters }, (_, i) => `workload-${i + 1}`);
  const times: number[] = [];
  let connected = 0;
  for (let i = 0; i < 105; i++) {
    const t0 = performance.now();
    const parsed = parseRelayMetrics(page);
    const r = evaluateReconnection(parsed.clusters, expected);
    times.push(performance.now() - t0);
    connected = r.connected.length;
  }
  const measured = times.slice(5); // the first runs warm the JIT
  return {
    clusters,
    pageBytes: page.length,
    runs: measured.length,
    medianMs: round(median(measured), 2),
    p95Ms: round(pct(measured, 95), 2),
    targetMs: 50,
    pass: median(measured) < 50,
    connected,
  };
}

async function lockSection() {
  const redis = await startRedis();
  const client = redis.client();
  try {
    const t = loadTopology(`${ROOT}infra/topology.example.json`);
    const lock = new RedisGlobalLock(
      client,
      lockSettings(t) ?? {
        key: '{gloo-mesh}:global-lock',
        epochKey: '{gloo-mesh}:global-lock:epoch',
        valueFormat: '{serverId}',
      },
    );
    const holders = ['mgmt-east', 'mgmt-west'];
    let holder: string | null = null;
    const times: number[] = [];
    for (let i = 0; i < 1_050; i++) {
      const next = holders[i % 2]!;
      const t0 = performance.now();
      await lock.switch({ expectedHolder: holder, newHolder: next });
      if (i >= 50) times.push(performance.now() - t0);
      holder = next;
    }
    const end = await lock.read();
    return {
      switches: times.length,
      medianMs: round(median(times), 3),
      p95Ms: round(pct(times, 95), 3),
      p99Ms: round(pct(times, 99), 3),
      finalEpoch: end.epoch,
    };
  } finally {
    client.disconnect();
    await redis.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// Bundles (bench/bundles.ts, written separately; tolerated when absent)

async function bundlesSection(runs: number) {
  let mod: { benchBundles: (o: { runs?: number }) => Promise<unknown> };
  try {
    mod = (await import(new URL('./bundles.ts', import.meta.url).href)) as typeof mod;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ERR_MODULE_NOT_FOUND' && /bundles\.ts/.test(err.message))
      return { status: 'skipped: not built (bench/bundles.ts is not there)' };
    return { status: `skipped: bench/bundles.ts failed to load: ${err.message.split('\n')[0]}` };
  }
  const r = (await mod.benchBundles({ runs })) as {
    rows: {
      fn: string;
      mode: string;
      variant: string;
      bytes: number;
      importMs: number;
      importCpuMs: number;
      processMinusBareMs: number;
      packages: string[];
      packageProblems: string[];
      error?: string;
    }[];
    limits: { bytes: number; importMs: number };
    bareNodeMs: number;
    overLimit: { fn: string }[];
  };
  const { DEPLOYED_SDK_MODE } = await import('../infra/aws/lib/bundling.ts');
  return {
    status: 'ok',
    runs,
    deployedMode: DEPLOYED_SDK_MODE as string,
    limits: r.limits,
    bareNodeMs: round(r.bareNodeMs, 1),
    overLimit: r.overLimit.map((x) => x.fn),
    rows: r.rows
      .filter((x) => x.variant === x.mode)
      .map((x) => ({
        fn: x.fn,
        mode: x.mode,
        bytes: x.bytes,
        importMs: x.importMs,
        importCpuMs: x.importCpuMs,
        processMinusBareMs: x.processMinusBareMs,
        packages: x.packages,
        ...(x.packageProblems.length ? { packageProblems: x.packageProblems } : {}),
        ...(x.error ? { error: x.error } : {}),
      })),
  };
}

// ---------------------------------------------------------------------------------------------
// Projected RTO on AWS (bench/projection.ts) and transitions with the AWS defaults (bench/transitions.ts)

async function projectionSection(r: BenchReport) {
  const example = loadTopology(`${ROOT}infra/topology.example.json`);
  const vendor = loadTopology(`${ROOT}infra/topology.failover-alias.example.json`);
  const deployFile = 'infra/aws/deploy.example.json';
  const deploy = loadDeployConfig(`${ROOT}${deployFile}`);
  // CPU time of the import: the wall clock on a shared machine measures the machine's load too.
  const deployed = (r.bundles?.rows ?? []).filter(
    (b) => b.mode === r.bundles?.deployedMode && Number.isFinite(b.importCpuMs ?? Number.NaN),
  );
  const path = new Set(['trigger', 'preflight', 'verifyOutage', 'repointDns', 'promoteRedis']);
  const imports = deployed.filter((b) => path.has(b.fn)).map((b) => b.importCpuMs!);
  const m: ProjectionMeasurements = {
    lockMs: r.lock?.medianMs ?? null,
    coldImportMs: imports.length ? Math.max(...imports) : null,
    detection: detectionFromDeploy(deploy, deployFile),
  };
  const agents = 20;
  const profiles = [
    projectProfile(vendorDemoProfile(vendor, 'arc-routing-control', agents), m),
    projectProfile(vendorDemoProfile(vendor, 'health-check-metric', agents), m),
    projectProfile(exampleProfile(example, agents), m),
  ];
  return {
    agents,
    profiles,
    // Each mode's own DNS basis, side by side, for both topologies (dnsRtoByMode).
    dnsByMode: [
      { topology: 'vendor-demo (topology.failover-alias.example.json)', modes: dnsRtoByMode(vendor) },
      { topology: 'example (topology.example.json)', modes: dnsRtoByMode(example) },
    ],
    assumptions: PROJECTION_ASSUMPTIONS,
    dnsModesNote:
      "Each profile's DNS phase is its mode's own basis (dnsRtoBasis in functions/lib/dns-modes.ts): route53-record INSYNC + TTL; arc-routing-control and health-check-metric health-check interval x failure threshold + TTL (the topology's dns.switch.reaction, or the mode's default). Alias records to ELB load balancers keep their fixed 60 s TTL whatever dns.ttl says.",
    drillOutageToAllMovedMs: r.drill?.medians.totalMs ?? null,
  };
}

async function transitionsSection(r: BenchReport) {
  const example = loadTopology(`${ROOT}infra/topology.example.json`);
  const overlapped = await countTransitions(example, 'overlapped');
  const strict = await countTransitions(example, 'strict');
  const sandbox = (r.drill?.transitions ?? []).filter(Number.isFinite);
  return {
    perFailover: overlapped.total,
    strict: strict.total,
    perState: overlapped.perState,
    strictPerState: strict.perState,
    endStates: [overlapped.endState, strict.endState],
    costPer1000RunsUsd: round(overlapped.total * 0.025, 2),
    sandboxDrillSamples: sandbox,
    limit: 60,
  };
}

// ---------------------------------------------------------------------------------------------
// Table

function table(rows: (string | number)[][], header: string[]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  // numbers (with their unit) align right, text aligns left
  const numeric = header.map((_, i) =>
    cells.slice(1).every((r) => /^[-\d.,$]+( ?[a-zA-Z%]+)?$/.test(r[i] ?? '')),
  );
  const line = (r: string[]) =>
    r
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

/** Renders the report as the text table `npm run bench` prints. */
export function renderReport(r: BenchReport): string {
  const out: string[] = [];
  out.push(
    `Benchmark report (${r.generatedAt}; ${r.machine.cpus} cores, Node ${r.machine.node}; ran ${round(r.durationMs / 1000)} s)`,
  );
  if (r.drill) {
    out.push(
      '',
      `Drill RTO breakdown (regional outage, ${r.drill.agents} agents, median of ${r.drill.runs} runs; all converged: ${r.drill.converged.every(Boolean)})`,
    );
    out.push(
      table(
        RTO_PHASES.map(([k, label]) => [label, `${r.drill!.medians[k]} ms`]),
        ['phase', 'median'],
      ),
    );
  }
  if (r.overhead) {
    out.push('', 'Orchestration overhead (failover workflow wall time - Wait states - time inside handlers)');
    out.push(
      table(
        overheadRows(r.overhead).map(([agents, ...rest]) => [`${agents} agents`, ...rest]),
        ['', ...OVERHEAD_COLUMNS.slice(1)],
      ),
    );
  }
  if (r.sandbox) {
    out.push('', 'Agents (sandbox): start -> all connected, record change -> all reconnected');
    const by = (n: number, m: string) => r.sandbox![`sandbox.${n}.${m}`];
    out.push(
      table(
        [20, 1_000].map((n) => [
          `${n} agents`,
          `${by(n, 'start_to_all_connected_ms')} ms`,
          `${by(n, 'start_to_all_warmed_ms')} ms`,
          `${by(n, 'record_change_to_all_reconnected_ms')} ms`,
          `${by(n, 'record_change_to_all_warmed_ms')} ms`,
        ]),
        ['', 'start->connected', 'start->warmed', 'change->reconnected', 'change->warmed'],
      ),
    );
  }
  const rows: (string | number)[][] = [];
  if (r.metrics)
    rows.push([
      `metrics parse + evaluation, ${r.metrics.clusters.toLocaleString('en')} clusters (${round(r.metrics.pageBytes / 1024)} KiB page)`,
      `${r.metrics.medianMs} ms median, p95 ${r.metrics.p95Ms} ms (target < ${r.metrics.targetMs} ms: ${r.metrics.pass ? 'met' : 'MISSED'})`,
    ]);
  if (r.lock)
    rows.push([
      `lock switch (Lua compare-and-set, local redis-server, ${r.lock.switches} switches)`,
      `${r.lock.medianMs} ms median, p95 ${r.lock.p95Ms} ms, p99 ${r.lock.p99Ms} ms`,
    ]);
  if (r.transitions)
    rows.push([
      'state transitions per failover run (AWS defaults, modelled)',
      `${r.transitions.perFailover} overlapped, ${r.transitions.strict} strict (target <= ${r.transitions.limit}; $${r.transitions.costPer1000RunsUsd} per 1,000 runs at $0.025/1,000)${r.transitions.sandboxDrillSamples.length ? `; sandbox drill: ${r.transitions.sandboxDrillSamples.join(', ')}` : ''}`,
    ]);
  if (rows.length) out.push('', table(rows, ['measure', 'result']));
  if (r.bundles) {
    out.push('', 'Lambda bundles (esbuild ESM, minified; cold import = median of fresh node processes)');
    if (r.bundles.status !== 'ok') out.push(`  ${r.bundles.status}`);
    else {
      out.push(
        `  import = fresh process minus a bare node start (${r.bundles.bareNodeMs} ms, same run); targets < ${(r.bundles.limits?.bytes ?? 0) / 1000} KB and < ${r.bundles.limits?.importMs} ms; ${r.bundles.overLimit?.length ? `over or unexpected packages: ${r.bundles.overLimit.join(', ')}` : "all deployed bundles within the targets, each holding only its ports' packages"}`,
      );
      const byFn = new Map<string, Record<string, string>>();
      for (const b of r.bundles.rows ?? []) {
        const row = byFn.get(b.fn) ?? {};
        row[`${b.mode} KiB`] = String(round(b.bytes / 1024, 1));
        row[`${b.mode} import`] = b.error
          ? 'error'
          : `${b.processMinusBareMs} ms (in-process ${b.importMs}, cpu ${b.importCpuMs})`;
        if (b.mode === r.bundles.deployedMode)
          row.packages = b.packages.map((p) => p.replace('@aws-sdk/client-', '')).join(' ') || '(none)';
        byFn.set(b.fn, row);
      }
      const cols = [...new Set([...byFn.values()].flatMap((x) => Object.keys(x)))];
      out.push(
        table(
          [...byFn].map(([fn, row]) => [fn, ...cols.map((c) => row[c] ?? '')]),
          ['function', ...cols],
        ),
      );
    }
  }
  if (r.transitions) {
    out.push(
      '',
      'State transitions per state (failover, AWS default polls, time-modelled Tasks; overlapped | strict)',
    );
    out.push(
      table(
        Object.keys({ ...r.transitions.strictPerState, ...r.transitions.perState }).map((k) => [
          k,
          r.transitions!.perState[k] ?? 0,
          r.transitions!.strictPerState[k] ?? 0,
        ]),
        ['state', 'overlapped', 'strict'],
      ),
    );
  }
  if (r.projection) {
    const drill = r.projection.drillOutageToAllMovedMs;
    out.push(
      '',
      `Projected RTO on AWS (${r.projection.agents} agents; outage -> every agent on the new writable server), sequential vs overlapped${drill === null ? '' : `; sandbox drill, outage -> all agents moved: ${round(drill / 1000, 1)} s (median)`}`,
    );
    out.push(
      table(
        r.projection.profiles.map((p) => [
          p.profile,
          `${p.sequentialSeconds} s`,
          `${p.overlappedSeconds} s`,
          p.ratio,
          p.criticalPath,
        ]),
        ['profile', 'sequential', 'overlapped', 'ratio', 'overlapped critical path'],
      ),
    );
    for (const p of r.projection.profiles) {
      out.push('', `${p.profile}: ${p.description}`);
      out.push(
        table(
          p.phases.map((x) => [x.phase, `${x.seconds} s`, x.kind, x.basis]),
          ['phase', 'seconds', 'basis kind', 'basis'],
        ),
      );
    }
    out.push('', 'DNS part of the RTO by mode, each on its own basis (dnsRtoByMode):');
    for (const g of r.projection.dnsByMode)
      out.push(
        table(
          g.modes.map((d) => [
            g.topology,
            d.mode,
            d.basis,
            d.terms.map((x) => `${x.seconds} s ${x.name}`).join(' + '),
            `${d.seconds} s`,
          ]),
          ['topology', 'mode', 'basis', 'terms', 'total'],
        ),
      );
    out.push('', r.projection.dnsModesNote);
    out.push('Assumptions:', ...r.projection.assumptions.map((a) => `  - ${a}`));
  }
  return out.join('\n');
}

/** What bench/report.json holds. */
export interface BenchReport {
  generatedAt: string;
  durationMs: number;
  machine: { cpus: number; node: string; platform: string; loadavg: number[] };
  drill?: Awaited<ReturnType<typeof drillSection>>;
  overhead?: Record<string, Record<string, number>>;
  sandbox?: Record<string, number>;
  metrics?: ReturnType<typeof metricsSection>;
  lock?: Awaited<ReturnType<typeof lockSection>>;
  transitions?: Awaited<ReturnType<typeof transitionsSection>>;
  bundles?: Awaited<ReturnType<typeof bundlesSection>> & {
    rows?: {
      fn: string;
      mode: string;
      bytes: number;
      importMs: number;
      importCpuMs?: number;
      processMinusBareMs: number;
      packages?: string[];
      error?: string;
    }[];
    deployedMode?: string;
    bareNodeMs?: number;
    limits?: { bytes: number; importMs: number };
    overLimit?: string[];
  };
  projection?: Awaited<ReturnType<typeof projectionSection>>;
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const started = performance.now();
  const r: BenchReport = {
    generatedAt: new Date().toISOString(),
    durationMs: 0,
    machine: {
      cpus: cpus().length,
      node: process.version,
      platform: process.platform,
      loadavg: loadavg().map((x) => round(x, 2)),
    },
  };
  if (!skip.has('metrics')) {
    log('metrics parsing');
    r.metrics = metricsSection();
  }
  if (!skip.has('lock')) {
    log('lock switch latency');
    r.lock = await lockSection();
  }
  if (!skip.has('drill')) {
    log('drill RTO (5 runs)');
    r.drill = await drillSection(Number(process.env.BENCH_DRILL_RUNS ?? 5));
  }
  if (!skip.has('overhead')) {
    log('orchestration overhead (20 and 1,000 agents)');
    r.overhead = await overheadSection(Number(process.env.BENCH_OVERHEAD_RUNS ?? 3));
  }
  if (!skip.has('sandbox')) {
    log('sandbox agents (20 and 1,000)');
    r.sandbox = await benchSandbox();
  }
  if (!skip.has('bundles')) {
    log('bundles');
    r.bundles = await bundlesSection(Number(process.env.BENCH_BUNDLE_RUNS ?? 5));
  }
  if (!skip.has('transitions')) {
    log('transitions with the AWS defaults (modelled)');
    r.transitions = await transitionsSection(r);
  }
  r.projection = await projectionSection(r);
  r.durationMs = Math.round(performance.now() - started);
  writeFileSync(REPORT_FILE, `${JSON.stringify(r, null, 2)}\n`);
  process.stdout.write(`${renderReport(r)}\n\nreport written to bench/report.json\n`);
}

if (import.meta.main) {
  main().catch((e: Error) => {
    process.stderr.write(`bench failed: ${e.stack ?? e.message}\n`);
    process.exitCode = 1;
  });
}

/** Columns of the orchestration-overhead table (console and README). */
export const OVERHEAD_COLUMNS = [
  'agents',
  'wall',
  'waits',
  'handlers',
  'overhead',
  'per transition',
  'of which engine start-up',
  'transitions',
];

/** Rows of the orchestration-overhead table, one per agent count. */
export function overheadRows(overhead: NonNullable<BenchReport['overhead']>): (string | number)[][] {
  return Object.entries(overhead).map(([agents, o]) => [
    Number(agents).toLocaleString('en'),
    `${o.wallMs} ms`,
    `${o.waitMs} ms`,
    `${o.handlerMs} ms`,
    `${o.overheadMs} ms`,
    `${o.overheadPerTransitionMs} ms`,
    `${o.startupMs} ms`,
    o.transitions ?? '',
  ]);
}
