/**
 * Step 5, switch-lock (write-to-one mode only; absent from the workflow in write-to-all). With the
 * `meshctl` adapter it runs the vendor's `switch-active`. With `redis-key`: compare-and-set of the
 * Gloo global lock from the source server to the
 * target, on the target's (now writable) Redis, raising the fencing epoch. The epoch is raised above
 * what preflight read, so a promotion that lost the last writes can never make it go back.
 *
 * Then it fences the source: after an unplanned promotion the old primary is a separate, writable
 * island whose copy of the lock still names the old server. When that Redis answers and accepts
 * writes, the lock there is set to the new holder and epoch, so the old server turns passive and
 * refuses writes instead of writing beside the new one (never two writers).
 */
import { iso } from '#lib/clock.ts';
import { InvalidInput, LockSwitchFailed } from '#lib/errors.ts';
import { switchActiveArgs } from '#lib/lock/meshctl.ts';
import type { LockSwitchResult } from '#lib/ports.ts';
import type { LockResult, Plan, Run } from '#lib/state.ts';
import { meshctlTarget, type Topology } from '#lib/topology.ts';
import type { Ports } from '#lib/wiring.ts';

/** The ports switch-lock uses: the redis-key lock, or the meshctl runner. */
export type SwitchLockPorts = Pick<Ports, 'lock' | 'clock' | 'switchActive'>;

/**
 * Moves the lock to `run.target.server` through the topology's lock adapter. `redis-key`: replays
 * are no-ops, another holder -> `LockHeldByOther`. `meshctl`: the vendor CLI; a non-zero exit or
 * the timeout -> `LockSwitchFailed` with its stderr. `none` (write-to-all) has no lock step: the
 * workflow has no such state, and a direct call is refused.
 */
export async function switchLock(
  run: Run,
  plan: Plan,
  t: Topology,
  ports: SwitchLockPorts,
): Promise<LockResult> {
  if (t.lock.adapter === 'meshctl') return switchWithMeshctl(run, t, ports);
  if (t.lock.adapter === 'none')
    throw new InvalidInput(
      'configMode is write-to-all (lock.adapter "none"): there is no lock to switch, and the workflow has no lock step',
    );
  return switchRedisKey(run, plan, ports);
}

/** The `meshctl` adapter: `meshctl experimental switch-active` for the target server. */
async function switchWithMeshctl(
  run: Run,
  t: Topology,
  ports: Pick<Ports, 'clock' | 'switchActive'>,
): Promise<LockResult> {
  const startedAt = iso(ports.clock);
  const req = meshctlTarget(t, run.target.server);
  const base = {
    adapter: 'meshctl' as const,
    previousHolder: null,
    previousEpoch: 0,
    holder: run.target.server,
    epoch: 0,
    sourceFence: 'skipped' as const,
  };
  if (run.input.dryRun)
    return {
      ...base,
      startedAt,
      endedAt: iso(ports.clock),
      outcome: 'would-switch',
      command: {
        argv: ['meshctl', ...switchActiveArgs(req)],
        exitCode: null,
        signal: null,
        timedOut: false,
        stdout: '',
        stderr: '',
        durationMs: 0,
      },
      sourceFenceDetail: 'dry run: meshctl not run',
    };
  if (!ports.switchActive) throw new InvalidInput('lock.adapter is "meshctl" but no meshctl runner is wired');
  const res = await ports.switchActive.run(req);
  if (res.exitCode !== 0 || res.timedOut) {
    const timeout = t.lock.adapter === 'meshctl' ? t.lock.timeoutSeconds : 0;
    const why = res.timedOut
      ? `was killed at its ${timeout} s timeout (lock.timeoutSeconds)`
      : res.exitCode === null
        ? 'did not run'
        : `exited with code ${res.exitCode}`;
    throw new LockSwitchFailed(
      `meshctl experimental switch-active for ${run.target.server} (--kubecontext ${req.kubeContext}) ${why}: ${res.stderr.trim().slice(0, 1500) || '(no stderr)'}`,
      { command: res },
    );
  }
  return {
    ...base,
    startedAt,
    endedAt: iso(ports.clock),
    outcome: 'switched',
    command: res,
    sourceFenceDetail: 'meshctl switches the lock where --redis-address points; the source is not written',
  };
}

/** The `redis-key` adapter: Lua compare-and-set with a fencing epoch, then fence the source. */
async function switchRedisKey(
  run: Run,
  plan: Plan,
  ports: Pick<Ports, 'lock' | 'clock'>,
): Promise<LockResult> {
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
      adapter: 'redis-key',
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
