/**
 * The reprotect workflow's step (a third state machine, in the region that is now active): after a
 * forced detach (or, self-managed, an unplanned promotion), rebuild replication from the survivor to
 * the recovered region, then record the new datastore where every step reads it. `plan` reads the
 * state and decides; `advance` is polled (Wait + Choice) and takes at most one action per call;
 * `report` summarises. `run.target` is the survivor (active), `run.source` the recovered region.
 */

import { iso } from '#lib/clock.ts';
import { InvalidInput, ReprotectFailed } from '#lib/errors.ts';
import type { ReprotectStatus } from '#lib/ports.ts';
import { EndpointRef, IncidentId } from '#lib/state.ts';
import type { Topology } from '#lib/topology.ts';
import type { Ports } from '#lib/wiring.ts';
import * as z from '#lib/z.ts';

/** What a person passes to StartExecution of the reprotect state machine. */
export const ReprotectInput = z.strictObject({
  incidentId: IncidentId,
  requestedBy: z._default(z.string().check(z.minLength(1), z.maxLength(128)), 'unknown'),
  dryRun: z._default(z.boolean(), false),
  /**
   * The old Redis in the recovered region: `keep` (default; a new member is created beside it) or
   * `delete` (IRREVERSIBLE; needs the Slack approval: ElastiCache keeps a final snapshot,
   * self-managed Redis discards the member's own keys).
   */
  oldRedis: z._default(z.enum(['keep', 'delete']), 'keep'),
});
export type ReprotectInput = z.infer<typeof ReprotectInput>;

/** The run as the workflow describes it. */
export const ReprotectRun = z.strictObject({
  direction: z.literal('reprotect'),
  /** The recovered region: gets the new secondary. */
  source: EndpointRef,
  /** The survivor: primary now, stays primary. */
  target: EndpointRef,
  executionId: z._default(z.string().check(z.maxLength(2048)), 'local'),
  startedAt: z.optional(z.string()),
  input: z.unknown(),
});
export type ReprotectRun = z.infer<typeof ReprotectRun>;

/** What `plan` decided. */
export const ReprotectPlan = z.object({
  startedAt: z.string(),
  endedAt: z.string(),
  input: ReprotectInput,
  generation: z.number().check(z.int(), z.gte(1)),
  alreadyProtected: z.boolean(),
  /** Deleting the old Redis needs an approval (the Choice state reads this). */
  approvalNeeded: z.boolean(),
  detail: z.string(),
});
export type ReprotectPlan = z.infer<typeof ReprotectPlan>;

/** Progress of `advance` (polled). */
export const ReprotectProgress = z.object({
  startedAt: z.string(),
  endedAt: z.string(),
  state: z.enum(['complete', 'in-progress', 'would-reprotect']),
  phase: z.string(),
  detail: z.string(),
  removed: z.optional(z.string()),
  recorded: z.optional(
    z.object({
      generation: z.number(),
      globalReplicationGroupId: z.optional(z.string()),
      members: z.record(z.string(), z.unknown()),
    }),
  ),
  polls: z.number().check(z.int()),
});
export type ReprotectProgress = z.infer<typeof ReprotectProgress>;

function parseInput(raw: unknown): ReprotectInput {
  const r = ReprotectInput.safeParse(raw);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => ({ path: `input.${i.path.join('.')}`, message: i.message }));
  throw new InvalidInput(
    `invalid reprotect input: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    {
      issues,
    },
  );
}

/** Reads the state: the survivor must be primary; decides the generation and whether to ask. */
export async function planReprotect(
  run: ReprotectRun,
  t: Topology,
  ports: Pick<Ports, 'promoter' | 'datastores' | 'clock'>,
): Promise<ReprotectPlan> {
  const startedAt = iso(ports.clock);
  const input = parseInput(run.input);
  if (input.oldRedis === 'delete' && !t.approvals.slack)
    throw new InvalidInput(
      'input.oldRedis: "delete" is irreversible and needs the Slack approval: configure approvals.slack',
      {
        issues: [{ path: 'input.oldRedis', message: 'needs approvals.slack' }],
      },
    );
  const redis = await ports.promoter.describe();
  const S = run.target.region;
  const R = run.source.region;
  const survivor = redis.members.find((m) => m.region === S);
  const recovered = redis.members.find((m) => m.region === R);
  // Two writable members (the recovered one came back as a standalone primary) leave the
  // primary undecided: the survivor must be writable and no OTHER member may be the known primary.
  const survivorWritable = survivor?.role === 'primary' || survivor?.role === 'standalone';
  if (!survivorWritable || (redis.primaryRegion !== null && redis.primaryRegion !== S))
    throw new ReprotectFailed(
      `the survivor ${run.target.server} (${S}) is not the Redis primary (primary: ${redis.primaryRegion ?? 'none'}; ${survivor?.detail ?? ''}): re-protection starts from the active side`,
      { primaryRegion: redis.primaryRegion },
    );
  const alreadyProtected = recovered?.role === 'replica' && recovered.inSync === true;
  const previous = ports.datastores ? await ports.datastores.read() : null;
  return {
    startedAt,
    endedAt: iso(ports.clock),
    input,
    generation: (previous?.generation ?? 0) + 1,
    alreadyProtected,
    approvalNeeded: !alreadyProtected && input.oldRedis === 'delete' && !input.dryRun,
    detail: alreadyProtected
      ? `${R} already follows ${S} in sync (${recovered?.detail}): nothing to do`
      : `${S} is primary; ${R}: ${recovered?.role ?? 'unknown'} (${recovered?.detail ?? 'not described'}); generation ${(previous?.generation ?? 0) + 1}`,
  };
}

/** One step forward; on completion records the new datastore in every region's registry. */
export async function advanceReprotect(
  run: ReprotectRun,
  plan: ReprotectPlan,
  previous: ReprotectProgress | null,
  ports: Pick<Ports, 'reprotector' | 'datastores' | 'clock'>,
): Promise<ReprotectProgress> {
  if (!ports.reprotector || !ports.datastores)
    throw new ReprotectFailed('no re-protection adapter for this topology', {});
  const startedAt = previous?.startedAt ?? iso(ports.clock);
  const st: ReprotectStatus = await ports.reprotector.advance({
    survivorRegion: run.target.region,
    recoveredRegion: run.source.region,
    generation: plan.generation,
    oldMember: plan.input.oldRedis,
    dryRun: plan.input.dryRun,
    executionId: run.executionId,
  });
  const removed = st.removed ?? previous?.removed;
  const out: ReprotectProgress = {
    startedAt,
    endedAt: iso(ports.clock),
    state: st.state,
    phase: st.phase,
    detail: st.detail,
    ...(removed ? { removed } : {}),
    polls: (previous?.polls ?? -1) + 1,
  };
  if (st.state === 'complete' && st.record) {
    const record = { ...st.record, recordedAt: iso(ports.clock), recordedBy: run.executionId };
    await ports.datastores.write(record);
    out.recorded = {
      generation: record.generation,
      members: record.members,
      ...(record.globalReplicationGroupId
        ? { globalReplicationGroupId: record.globalReplicationGroupId }
        : {}),
    };
  }
  return out;
}

/** The end states of the reprotect workflow. */
export const REPROTECT_OUTCOMES = [
  'Reprotected',
  'AlreadyProtected',
  'DryRunComplete',
  'Rejected',
  'InvalidInput',
  'ReprotectFailed',
] as const;
/** The failing end states. */
export const REPROTECT_FAILURES = ['InvalidInput', 'ReprotectFailed'] as const;

/** The report of a reprotect run. */
export interface ReprotectReport {
  outcome: (typeof REPROTECT_OUTCOMES)[number];
  summary: string;
  removed?: string;
  recorded?: ReprotectProgress['recorded'];
  error?: { name: string; message: string };
  nextActions: string[];
}

/** Summarises a reprotect run. */
export function reprotectReport(s: {
  run: ReprotectRun;
  outcome: { name: (typeof REPROTECT_OUTCOMES)[number]; error?: { Error: string; Cause?: string } };
  plan?: ReprotectPlan | null;
  reprotect?: ReprotectProgress | null;
}): ReprotectReport {
  const { run, outcome } = s;
  const S = `${run.target.server} (${run.target.region})`;
  const R = `${run.source.server} (${run.source.region})`;
  const summary = {
    Reprotected: `Redis re-protected: ${run.source.region} follows ${run.target.region} again (generation ${s.plan?.generation})`,
    AlreadyProtected: `${run.source.region} already follows ${run.target.region} in sync; nothing to do`,
    DryRunComplete: `dry run: ${s.reprotect?.detail ?? 'nothing changed'}`,
    Rejected: 'the deletion of the old Redis was not approved; nothing changed',
    InvalidInput: 'the execution input is invalid; nothing changed',
    ReprotectFailed: `re-protection of ${R} from ${S} did not finish (phase ${s.reprotect?.phase ?? 'plan'})`,
  }[outcome.name];
  const next: string[] = [];
  if (outcome.name === 'Reprotected')
    next.push(
      `Failback to ${run.source.server} is possible now (it refuses until the member is in sync).`,
      ...(s.reprotect?.recorded?.globalReplicationGroupId
        ? [
            `Point ${run.source.server}'s Redis address (Helm redis.address) at the new member ${JSON.stringify(s.reprotect.recorded.members[run.source.region])} if it changed.`,
          ]
        : []),
    );
  if (outcome.name === 'ReprotectFailed')
    next.push(
      'Nothing was recorded: every step reads first, so a re-run with the same input continues where this one stopped.',
    );
  return {
    outcome: outcome.name,
    summary,
    ...(s.reprotect?.removed ? { removed: s.reprotect.removed } : {}),
    ...(s.reprotect?.recorded ? { recorded: s.reprotect.recorded } : {}),
    ...(outcome.error ? { error: { name: outcome.error.Error, message: outcome.error.Cause ?? '' } } : {}),
    nextActions: next,
  };
}
