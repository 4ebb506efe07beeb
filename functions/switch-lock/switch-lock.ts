/**
 * Step 5, switch-lock: compare-and-set of the Gloo global lock from the source cluster to the
 * target, on the target's (now writable) Redis, raising the fencing epoch. The epoch is raised above
 * what preflight read, so a promotion that lost the last writes can never make it go back.
 */
import { iso } from '#lib/clock.ts';
import type { LockResult, Plan, Run } from '#lib/state.ts';
import type { Ports } from '#lib/wiring.ts';

/** Switches the lock to `run.target.cluster`; replays are no-ops; another holder -> `LockHeldByOther`. */
export async function switchLock(
  run: Run,
  plan: Plan,
  ports: Pick<Ports, 'lock' | 'clock'>,
): Promise<LockResult> {
  const startedAt = iso(ports.clock);
  const h = await ports.lock(run.target.region);
  try {
    const res = await h.lock.switch({
      expectedHolder: run.source.cluster,
      newHolder: run.target.cluster,
      force: run.input.force.lock,
      minEpoch: plan.before.lock?.epoch ?? 0,
      dryRun: run.input.dryRun,
    });
    return {
      startedAt,
      endedAt: iso(ports.clock),
      outcome: res.outcome,
      previousHolder: res.previous.holder,
      previousEpoch: res.previous.epoch,
      holder: res.holder,
      epoch: res.epoch,
    };
  } finally {
    await h.close();
  }
}
