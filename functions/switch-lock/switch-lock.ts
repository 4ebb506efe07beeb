/**
 * Step 5, switch-lock: compare-and-set of the Gloo global lock from the source cluster to the
 * target, on the target's (now writable) Redis, raising the fencing epoch. The epoch is raised above
 * what preflight read, so a promotion that lost the last writes can never make it go back.
 *
 * Then it fences the source: after an unplanned promotion the old primary is a separate, writable
 * island whose copy of the lock still names the old server. When that Redis answers and accepts
 * writes, the lock there is set to the new holder and epoch, so the old server turns passive and
 * refuses writes instead of writing beside the new one (never two writers).
 */
import { iso } from '#lib/clock.ts';
import type { LockSwitchResult } from '#lib/ports.ts';
import type { LockResult, Plan, Run } from '#lib/state.ts';
import type { Ports } from '#lib/wiring.ts';

/** The ports switch-lock uses. */
export type SwitchLockPorts = Pick<Ports, 'lock' | 'clock'>;

/** Switches the lock to `run.target.server`; replays are no-ops; another holder -> `LockHeldByOther`. */
export async function switchLock(run: Run, plan: Plan, ports: SwitchLockPorts): Promise<LockResult> {
  const startedAt = iso(ports.clock);
  const h = await ports.lock(run.target.region);
  try {
    const res = await h.lock.switch({
      expectedHolder: run.source.server,
      newHolder: run.target.server,
      force: run.input.force.lock,
      minEpoch: plan.before.lock?.epoch ?? 0,
      dryRun: run.input.dryRun,
    });
    const fence = run.input.dryRun
      ? { sourceFence: 'skipped' as const, sourceFenceDetail: 'dry run' }
      : await fenceSource(run, res, ports);
    return {
      startedAt,
      endedAt: iso(ports.clock),
      outcome: res.outcome,
      previousHolder: res.previous.holder,
      previousEpoch: res.previous.epoch,
      holder: res.holder,
      epoch: res.epoch,
      ...fence,
    };
  } finally {
    await h.close();
  }
}

/** Writes the new holder into the source region's Redis when it is a writable island (see above). */
export async function fenceSource(
  run: Run,
  switched: LockSwitchResult,
  ports: Pick<Ports, 'lock'>,
): Promise<Pick<LockResult, 'sourceFence' | 'sourceFenceDetail'>> {
  let h: Awaited<ReturnType<Ports['lock']>>;
  try {
    h = await ports.lock(run.source.region);
  } catch (e) {
    return { sourceFence: 'unreachable', sourceFenceDetail: `${run.source.region}: ${(e as Error).message}` };
  }
  try {
    const r = await h.lock.switch({
      expectedHolder: run.source.server,
      newHolder: run.target.server,
      force: true,
      minEpoch: switched.epoch - 1,
    });
    return {
      sourceFence: 'lock-written',
      sourceFenceDetail: `${run.source.region}: lock ${r.outcome === 'already-held' ? 'already named' : 'set to'} ${run.target.server} at epoch ${r.epoch}`,
    };
  } catch (e) {
    const msg = (e as Error).message;
    if (/READONLY/.test(msg))
      return { sourceFence: 'replica', sourceFenceDetail: `${run.source.region} is a read-only replica` };
    return { sourceFence: 'unreachable', sourceFenceDetail: `${run.source.region}: ${msg}` };
  } finally {
    await h.close();
  }
}
