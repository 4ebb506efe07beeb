/**
 * Step 8, report: the run summary every run ends with, whatever its outcome: per-step timings,
 * what changed (before -> after, re-read now rather than trusted from memory), and what an operator
 * must still do. Read-only; a failure to read something is reported, never thrown.
 */

import type { SignalResult } from '#lib/active-signal.ts';
import { iso } from '#lib/clock.ts';
import { type ObservePorts, observe } from '#lib/observe.ts';
import { NOTHING_CHANGED, type Outcome } from '#lib/outcomes.ts';
import type {
  DnsResult,
  LockResult,
  Plan,
  Promotion,
  Reconnect,
  ReportedRun as Run,
  Verification,
} from '#lib/state.ts';
import type { Topology } from '#lib/topology.ts';
import type { Ports } from '#lib/wiring.ts';

/** The ports the report reads (the state of the world after the run). */
export type ReportPorts = ObservePorts & Pick<Ports, 'clock' | 'signal'>;

/** Everything the workflow accumulated. */
export interface RunState {
  run: Run;
  outcome: { name: Outcome; error?: { Error: string; Cause?: string } };
  plan?: Plan;
  verify?: Verification;
  approval?: { decision?: string; by?: string; byName?: string; at?: string; timedOut?: boolean };
  /** Set by the workflow when the approval timed out and the timeout handler rejected (ApprovalTimedOut). */
  approvalTimeoutError?: { Error: string; Cause?: string };
  promotion?: Promotion;
  lock?: LockResult;
  dns?: DnsResult;
  reconnect?: Reconnect;
}

/** The RTO phase a step belongs to (the Gantt colours and the RTO breakdown use these). */
export type Phase =
  | 'preflight'
  | 'verification'
  | 'approval'
  | 'promotion'
  | 'lock'
  | 'DNS'
  | 'reconnection'
  | 'report';

/** One row of the step table (one bar of the timeline). */
export interface StepRow {
  step: string;
  /** The RTO phase of the step. */
  phase: Phase;
  /** The workflow states the step spans (a Task and its polling Task). */
  states: string[];
  startedAt: string;
  endedAt: string;
  durationMs: number;
  result: string;
}

/** Lock, Redis, DNS and agents at one moment (before: as preflight read them; after: re-read now). */
export interface Snapshot {
  lockHolder: string | null;
  lockEpoch: number | null;
  redisPrimary: string | null;
  dnsValues: string[] | null;
  dnsPointsTo: string | null;
  /** Agents on the server that was active (before) or became active (after), as far as known. */
  agents: { server: string; count: number; of?: number; source: string } | null;
}

/** Who decided an approval gate, and when. */
export interface ApprovalRecord {
  decision: 'approved' | 'rejected' | 'timed out';
  by: string;
  at: string | null;
  detail: string;
}

/** The run report. */
export interface RunReport {
  outcome: Outcome;
  summary: string;
  direction: Run['direction'];
  source: Run['source'];
  target: Run['target'];
  incidentId: string;
  trigger: string;
  dryRun: boolean;
  requestedBy: string;
  executionId: string;
  /** When the execution started (Step Functions' `$$.Execution.StartTime`), when known. */
  startedAt: string | null;
  steps: StepRow[];
  changed: { what: string; before: string; after: string }[];
  error?: { name: string; message: string };
  /** What the Redis promotion may have lost (an unplanned promotion or a forced detach), in words. */
  redisDataLoss?: string;
  /** Warnings of the plan (e.g. the Route 53 control-plane dependency) and of the DNS switch. */
  warnings: string[];
  nextActions: string[];
  /** What the active-server signal did (SSM per region, webhook), when the run switched. */
  activeSignal?: SignalResult;
  /** The verification quorum and each signal's verdict (the evidence an approver saw). */
  verification: {
    want: 'down' | 'up';
    confirmed: boolean;
    skipped: boolean;
    votes: number;
    quorum: number;
    signals: { kind: string; verdict: string; detail: string }[];
    evidence: string[];
  } | null;
  approvals: ApprovalRecord[];
  before: Snapshot | null;
  after: Snapshot & { readErrors: string[] };
  /** A presigned link to the report page, when the page was stored (AWS). */
  pageUrl?: string;
  reportedAt: string;
}

function row(
  step: string,
  phase: Phase,
  states: string[],
  t: { startedAt: string; endedAt: string } | undefined,
  result: string,
): StepRow | null {
  if (!t) return null;
  return {
    step,
    phase,
    states,
    startedAt: t.startedAt,
    endedAt: t.endedAt,
    durationMs: Date.parse(t.endedAt) - Date.parse(t.startedAt),
    result,
  };
}

/** The message inside a Step Functions error Cause (Lambda puts JSON with errorMessage there). */
export function causeMessage(cause: string | undefined): string {
  if (!cause) return '';
  try {
    const c = JSON.parse(cause) as { errorMessage?: string; message?: string };
    return c.errorMessage ?? c.message ?? cause;
  } catch {
    return cause;
  }
}

/** What an operator must do about Redis after a promotion that may have lost writes. */
export function redisFollowUp(run: Run, promotion: Promotion | undefined): string[] {
  if (promotion?.mode !== 'unplanned') return [];
  const { source, target } = run;
  const loss = promotion.possibleDataLoss?.detail;
  const detached = (run.input as { force?: { detachRedis?: boolean } }).force?.detachRedis === true;
  return [
    ...(loss ? [`What may have been lost: ${loss}`] : []),
    detached
      ? `The Redis in ${target.region} was DETACHED (irreversible): run the re-protect workflow in ${target.region} (a new global datastore from it plus a new secondary in ${source.region}) before any failback; failback refuses until the new secondary is in sync.`
      : `Before any failback: the Redis in ${source.region} must be a secondary of ${target.region} again and caught up; failback refuses until it is in sync.`,
  ];
}

/** Builds the report (and reads the state after the run). */
export async function buildReport(s: RunState, t: Topology, ports: ReportPorts): Promise<RunReport> {
  const reportStarted = iso(ports.clock);
  const { run, outcome } = s;
  const { source, target } = run;
  const seen = await observe(t, ports, target.region);
  const readErrors = [seen.redisError, seen.lockError, seen.dnsError].filter((e): e is string => !!e);
  const before = s.plan?.before;

  const polled = (n: number | undefined, first: string, poll: string) => (n ? [first, poll] : [first]);
  const steps = [
    row(
      'preflight',
      'preflight',
      ['RunPreflight'],
      s.plan,
      s.plan ? (s.plan.alreadyActive ? 'already active' : 'plan recorded') : '',
    ),
    row(
      run.direction === 'failover' ? 'verify-outage' : 'verify-recovered',
      'verification',
      [run.direction === 'failover' ? 'VerifySourceOutage' : 'VerifyTargetRecovered'],
      s.verify,
      s.verify
        ? s.verify.skipped
          ? 'skipped by operator'
          : `${s.verify.votes} of ${s.verify.signals.length} signals say ${s.verify.want} (quorum ${s.verify.quorum})`
        : '',
    ),
    row(
      'promote-redis',
      'promotion',
      polled(s.promotion?.polls, 'StartRedisPromotion', 'PollRedisPromotion'),
      s.promotion,
      s.promotion ? `${s.promotion.state} (${s.promotion.mode}) ${s.promotion.detail}` : '',
    ),
    row('switch-lock', 'lock', ['SwitchGlobalLock'], s.lock, s.lock ? lockSummary(s.lock) : ''),
    // The change, then (once agents are back) the read of where Route 53 has got to: the bar overlaps
    // the reconnection, as the propagation does.
    row(
      'repoint-dns',
      'DNS',
      polled(s.dns?.polls, 'RepointDns', 'RecordDnsChangeStatus'),
      s.dns,
      s.dns
        ? `${s.dns.outcome} ${s.dns.status} (${s.dns.mode}): ${s.dns.before.join(',')} -> ${s.dns.after.join(',')}`
        : '',
    ),
    row(
      'confirm-reconnect',
      'reconnection',
      ['ConfirmAgentsReconnected'],
      s.reconnect,
      s.reconnect ? s.reconnect.detail : '',
    ),
  ].filter((r): r is StepRow => r !== null);
  const approvals = approvalRecords(s);
  const gateRow = approvalRow(approvals[0], steps, s.lock);
  if (gateRow) steps.push(gateRow);
  steps.sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt));

  const changed: RunReport['changed'] = [];
  const redisAfter = seen.redis?.primaryRegion ?? null;
  if (before && redisAfter !== before.redisPrimary)
    changed.push({
      what: 'Redis primary',
      before: before.redisPrimary ?? 'none',
      after: redisAfter ?? 'unknown',
    });
  if (
    before?.lock &&
    seen.lock &&
    (seen.lock.holder !== before.lock.holder || seen.lock.epoch !== before.lock.epoch)
  )
    changed.push({
      what: 'global lock',
      before: `${before.lock.holder ?? 'nobody'} (epoch ${before.lock.epoch})`,
      after: `${seen.lock.holder ?? 'nobody'} (epoch ${seen.lock.epoch})`,
    });
  if (s.lock?.adapter === 'meshctl' && s.lock.outcome === 'switched')
    changed.push({
      what: 'global lock (meshctl switch-active)',
      before: "not readable (Gloo's own key)",
      after: `${s.lock.holder} (${s.lock.command?.argv.slice(1).join(' ') ?? ''})`,
    });
  if (before && seen.dnsPointsTo !== before.dnsPointsTo)
    changed.push({
      what: `DNS ${t.dns.recordName}`,
      before: before.dns?.values.join(',') ?? 'none',
      after: seen.dns?.values.join(',') ?? 'unknown',
    });

  const nextActions: string[] = [];
  // An overlapped failover repoints DNS before promoting Redis.
  const dnsRepointed = s.dns?.outcome === 'changed' || s.dns?.outcome === 'already';
  const err = outcome.error
    ? { name: outcome.error.Error, message: causeMessage(outcome.error.Cause) }
    : undefined;
  switch (outcome.name) {
    case 'FailedOver':
      if (t.configMode === 'write-to-one')
        nextActions.push(
          `Switch the CI/CD pipeline: point the pipeline that applies Gloo configuration at ${target.server} (write-to-one mode: configuration is written to the active management cluster only).`,
        );
      nextActions.push(...redisFollowUp(run, s.promotion));
      break;
    case 'HaltedAfterPromotion':
      nextActions.push(
        `Redis in ${target.region} is primary but the switch did not finish (${err?.name ?? 'error'}: ${err?.message ?? ''}). Fix the cause and re-run the same ${run.direction} (or redrive this execution): promotion is a no-op on re-run and the remaining steps complete.`,
      );
      nextActions.push(...redisFollowUp(run, s.promotion));
      if (t.configMode === 'write-to-one')
        nextActions.push(
          `Then switch the CI/CD pipeline: point the pipeline that applies Gloo configuration at ${target.server} (write-to-one mode).`,
        );
      break;
    case 'ReconnectIncomplete': {
      const missing = s.reconnect?.missing ?? [];
      const gone = missing.filter((m) => !m.reason.startsWith('unknown'));
      const unknown = missing.filter((m) => m.reason.startsWith('unknown'));
      if (gone.length || !unknown.length)
        nextActions.push(
          `Lock and DNS point at ${target.server}, but these agents did not reconnect: ${gone.map((m) => `${m.cluster} (${m.reason})`).join(', ') || 'see the confirm-reconnect output'}. Check their relay connectivity and TLS (both management clusters must share the relay root CA, identity token and authority).`,
        );
      if (unknown.length)
        nextActions.push(
          `Lock and DNS point at ${target.server}; the state of ${unknown.length} expected agent cluster(s) is UNKNOWN, not disconnected: ${unknown.map((m) => m.cluster).join(', ')} (${unknown[0]!.reason}). Check that replica, then re-run confirm (re-run the ${run.direction}: every step is a no-op until the confirmation).`,
        );
      break;
    }
    case 'PromotionFailed':
      nextActions.push(
        dnsRepointed
          ? `The lock was not switched; the relay DNS record already points at ${target.server} (repointed before the promotion: the source was verified down). Check the Redis/global datastore state in ${target.region} (${err?.message ?? ''}) and re-run: the DNS step is a no-op on re-run.`
          : `Nothing was switched (lock and DNS unchanged). Check the Redis/global datastore state in ${target.region} (${err?.message ?? ''}) and re-run.`,
        `Only if the promotion cannot complete and you accept losing data: re-run with "force": {"detachRedis": true}. IRREVERSIBLE: the Redis in ${target.region} leaves the global datastore for good, every write the old primary had not replicated is lost, and the datastore must be re-protected before any failback.`,
      );
      break;
    case 'DnsChangeFailed':
      nextActions.push(
        `Redis was not promoted and the lock did not move. The relay DNS record could not be repointed (${err?.name ?? 'error'}: ${err?.message ?? ''}); ${
          err?.name === 'DnsChangeConflict'
            ? 'someone else changed it: check who, then re-run.'
            : `the DNS control plane did not take the change${t.dns.switch.mode === 'route53-record' ? ' (Route 53 changes are served from us-east-1)' : ''}: re-run when it answers${t.dns.switch.mode === 'route53-record' ? ', or switch dns.switch.mode to a data-plane mode (arc-routing-control, health-check-metric) so that no recovery depends on it' : ''}.`
        }`,
      );
      break;
    case 'InvalidInput':
      nextActions.push(
        `Nothing changed. Fix the execution input (${err?.message ?? ''}) and start a new run.`,
      );
      break;
    case 'TargetNotReady':
      nextActions.push(`Nothing changed. Make ${target.server} ready (${err?.message ?? ''}) and re-run.`);
      break;
    default:
      if (NOTHING_CHANGED.includes(outcome.name)) nextActions.push('Nothing changed.');
  }
  const gateway = t.servers.find((x) => x.id === target.server)?.telemetryGateway;
  if (gateway && (outcome.name === 'FailedOver' || outcome.name === 'ReconnectIncomplete'))
    nextActions.push(
      `Telemetry: ${target.server}'s gateway is ${gateway.address} (checked reachable${gateway.tls ? ' with TLS' : ''} by preflight); collectors need one exporter per gateway, so make sure theirs includes it.`,
    );
  if (s.reconnect?.missingReplicas.length && outcome.name !== 'ReconnectIncomplete')
    nextActions.push(
      `Replica ${s.reconnect.missingReplicas.join(', ')} of ${target.server} did not answer the last agent check: ${s.reconnect.unknown} expected cluster(s) counted unknown. Check the pod.`,
    );
  if (readErrors.length)
    nextActions.push(`Some state could not be read after the run: ${readErrors.join('; ')}`);

  const reportedAt = iso(ports.clock);
  const summary = {
    FailedOver: `${run.direction} ${source.server} (${source.region}) -> ${target.server} (${target.region}) complete`,
    AlreadyActive: `${target.server} was already active; nothing to do`,
    DryRunComplete: `dry run of ${run.direction} ${source.server} -> ${target.server}: nothing changed`,
    OutageNotConfirmed: `outage of ${source.server} not confirmed; nothing changed`,
    RecoveryNotConfirmed: `recovery of ${target.server} not confirmed; nothing changed`,
    Rejected: `${run.direction} rejected${s.approval?.timedOut || s.approvalTimeoutError ? ' (approval timed out)' : ''}; nothing changed`,
    TargetNotReady: `${target.server} not ready; nothing changed`,
    InvalidInput: 'the execution input is invalid; nothing changed',
    PromotionFailed: `Redis promotion in ${target.region} failed or timed out; lock ${dnsRepointed ? 'not switched, DNS already repointed' : 'and DNS not switched'}`,
    DnsChangeFailed: `relay DNS record not repointed to ${target.server}; Redis and the lock unchanged`,
    HaltedAfterPromotion: `halted after promoting Redis in ${target.region}; re-run to converge`,
    ReconnectIncomplete: `switched to ${target.server}, but not every agent reconnected`,
  }[outcome.name];

  return {
    outcome: outcome.name,
    summary,
    direction: run.direction,
    source,
    target,
    incidentId: String(run.input.incidentId ?? '(none)').slice(0, 64),
    trigger: String(run.input.trigger ?? '(none)').slice(0, 16),
    requestedBy: String((run.input as { requestedBy?: unknown }).requestedBy ?? '(unknown)').slice(0, 128),
    executionId: run.executionId,
    startedAt: run.startedAt ?? null,
    dryRun: run.input.dryRun === true,
    steps: [...steps, reportRow(reportStarted, reportedAt)],
    changed,
    ...(err ? { error: err } : {}),
    ...(s.promotion?.possibleDataLoss ? { redisDataLoss: s.promotion.possibleDataLoss.detail } : {}),
    warnings: [...new Set([...(s.plan?.warnings ?? []), ...(s.dns?.warnings ?? [])])],
    nextActions,
    verification: s.verify
      ? {
          want: s.verify.want,
          confirmed: s.verify.confirmed,
          skipped: s.verify.skipped,
          votes: s.verify.votes,
          quorum: s.verify.quorum,
          signals: s.verify.signals.map((g) => ({ kind: g.kind, verdict: g.verdict, detail: g.detail })),
          evidence: s.verify.evidence,
        }
      : null,
    approvals,
    before: before
      ? {
          lockHolder: before.lock?.holder ?? null,
          lockEpoch: before.lock?.epoch ?? null,
          redisPrimary: before.redisPrimary,
          dnsValues: before.dns?.values ?? null,
          dnsPointsTo: before.dnsPointsTo,
          agents: s.plan
            ? {
                server: before.dnsPointsTo ?? source.server,
                count: s.plan.expectedClusters.count,
                source: s.plan.expectedClustersSource,
              }
            : null,
        }
      : null,
    after: {
      lockHolder: seen.lock?.holder ?? null,
      lockEpoch: seen.lock?.epoch ?? null,
      redisPrimary: redisAfter,
      dnsValues: seen.dns?.values ?? null,
      dnsPointsTo: seen.dnsPointsTo,
      agents: s.reconnect
        ? {
            server: target.server,
            count: s.reconnect.connected,
            of: s.reconnect.expected,
            source: 'connected and warmed (confirm-reconnect)',
          }
        : null,
      readErrors,
    },
    reportedAt,
  };
}

/** The approval decisions of the run: approved (by whom, when), rejected (the cause names who) or timed out. */
function approvalRecords(s: RunState): ApprovalRecord[] {
  const a = s.approval;
  if (a?.decision === 'approved')
    return [
      {
        decision: 'approved',
        by: a.byName && a.byName !== a.by ? `${a.byName} (${a.by})` : (a.by ?? 'unknown'),
        at: a.at ?? null,
        detail: a.by === 'timeout-policy' ? 'the timeout policy proceeded' : 'approved in Slack',
      },
    ];
  if (a?.timedOut || s.approvalTimeoutError)
    return [
      { decision: 'timed out', by: 'nobody', at: a?.at ?? null, detail: 'no decision before the timeout' },
    ];
  if (s.outcome.error?.Error === 'ApprovalRejected') {
    let cause: { by?: string; at?: string; reason?: string } = {};
    try {
      cause = JSON.parse(s.outcome.error.Cause ?? '{}');
    } catch {
      cause = { reason: s.outcome.error.Cause };
    }
    return [
      {
        decision: 'rejected',
        by: cause.by ?? 'unknown',
        at: cause.at ?? null,
        detail: cause.reason ?? 'rejected',
      },
    ];
  }
  return [];
}

/** The approval gate as a timeline bar: from the end of the step before it to the decision. */
function approvalRow(
  a: ApprovalRecord | undefined,
  steps: StepRow[],
  lock: LockResult | undefined,
): StepRow | null {
  if (!a?.at || Number.isNaN(Date.parse(a.at))) return null;
  const at = Date.parse(a.at);
  const before = steps
    .filter((r) => Date.parse(r.endedAt) <= at)
    .sort((x, y) => Date.parse(y.endedAt) - Date.parse(x.endedAt))[0];
  if (!before) return null;
  const afterLock = lock && Date.parse(lock.endedAt) <= at;
  return {
    step: 'approval',
    phase: 'approval',
    states: [afterLock ? 'ApproveDnsChange' : 'ApproveSwitch'],
    startedAt: before.endedAt,
    endedAt: a.at,
    durationMs: at - Date.parse(before.endedAt),
    result: `${a.decision} by ${a.by}`,
  };
}

function reportRow(startedAt: string, endedAt: string): StepRow {
  return {
    step: 'report',
    phase: 'report',
    states: ['WriteReport'],
    startedAt,
    endedAt,
    durationMs: Date.parse(endedAt) - Date.parse(startedAt),
    result: 'report written',
  };
}

/** One line for the switch-lock row: holder and epoch (redis-key), or the command and its exit (meshctl). */
function lockSummary(l: LockResult): string {
  if (l.adapter === 'meshctl') {
    const c = l.command;
    const out = (c?.stdout ?? '').trim().split('\n')[0]?.slice(0, 120) ?? '';
    return l.outcome === 'would-switch'
      ? `would run: ${c?.argv.join(' ') ?? 'meshctl'}`
      : `${l.outcome} to ${l.holder} by meshctl (exit ${c?.exitCode}, ${c?.durationMs} ms)${out ? `: ${out}` : ''}`;
  }
  return `${l.outcome}: ${l.previousHolder ?? 'nobody'}@${l.previousEpoch} -> ${l.holder}@${l.epoch}`;
}
