/**
 * Step 4, promote-redis: makes the target region's Redis member the primary. `start` asks the
 * promoter (ElastiCache: `FailoverGlobalReplicationGroup` from the target's region; a detach only
 * with `force.detachRedis`); `poll` checks progress (role + write probe); the workflow loops with
 * Wait + Choice, bounded by `maxPolls`. Already primary -> noop.
 */
import { iso } from '#lib/clock.ts';
import type { Promotion, Run } from '#lib/state.ts';
import type { Ports } from '#lib/wiring.ts';

/** Starts the promotion (or reports it as already done / what it would do in dry-run). */
export async function startPromotion(run: Run, ports: Pick<Ports, 'promoter' | 'clock'>): Promise<Promotion> {
  const startedAt = iso(ports.clock);
  const st = await ports.promoter.promote({
    sourceRegion: run.source.region,
    targetRegion: run.target.region,
    dryRun: run.input.dryRun,
    ...(run.input.force.detachRedis ? { detach: true } : {}),
  });
  return {
    startedAt,
    endedAt: iso(ports.clock),
    state: st.state,
    mode: st.mode,
    detail: st.detail,
    polls: 0,
    ...(st.possibleDataLoss ? { possibleDataLoss: st.possibleDataLoss } : {}),
  };
}

/** Polls a promotion in progress; keeps the start time so the report can time the whole step. */
export async function pollPromotion(
  run: Run,
  previous: Promotion,
  ports: Pick<Ports, 'promoter' | 'clock'>,
): Promise<Promotion> {
  if (previous.state !== 'in-progress') return previous;
  const st = await ports.promoter.status({ targetRegion: run.target.region, mode: previous.mode });
  return {
    ...previous,
    state: st.state,
    detail: st.detail,
    polls: previous.polls + 1,
    endedAt: iso(ports.clock),
  };
}
