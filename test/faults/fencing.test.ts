/**
 * Fault scenario: the old region comes back, during and after the failover. It must not take
 * writes back: its server's writes are refused (the lock on the Redis it reads no longer names it,
 * or that Redis is a read-only replica of the new primary), no write is ever accepted by both
 * servers (the InvariantMonitor watches the whole time), and agents stay on the new server.
 *
 * Two ways back: a region whose processes were KILLED restarts with an empty Redis (no
 * persistence in the sandbox); a region that was FROZEN (a partition, a hung host) thaws with its
 * data, still a primary and still naming itself in the lock: the dangerous case.
 */
import '#local/quiet.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import {
  expectAgentsOn,
  expectInvariants,
  faultWorld,
  realStep,
  runFailover,
  systemState,
  type World,
  waitForAlarm,
} from './support.ts';

/**
 * After the old region is back: its server refuses writes, its Redis is a replica of the new primary,
 * holds the new lock (holder B at B's epoch or above) or holds no lock at all (a killed member comes
 * back empty), B holds the lock, no split brain was ever
 * recorded, and agents stay on B. Everything is compared at once, so a failure shows the whole state.
 */
async function expectFenced(w: World, settleMs: number): Promise<void> {
  const [a, b] = w.sb.regionNames;
  const [, west] = w.sb.clusters;
  const old = w.sb.regions[a].server;
  // let the returned server read its Redis and run its write timers for a while
  await sleep(settleMs);
  const attempt = await old.writeNow();
  const state = await systemState(w);
  const oldLock = state.locks[a];
  const newLock = state.locks[b];
  const oldRedis =
    state.roles[a] === 'replica'
      ? 'replica of the new primary'
      : oldLock && newLock && oldLock.holder === west && oldLock.epoch >= newLock.epoch
        ? 'fenced by the lock'
        : oldLock && oldLock.holder === null
          ? 'empty: no lock'
          : `${state.roles[a]}, lock ${oldLock?.holder}@${oldLock?.epoch} (new primary: ${newLock?.holder}@${newLock?.epoch})`;
  expect({
    oldServerAcceptedWrites: attempt.accepted,
    oldServerHoldsLock: old.holdsLock,
    newServerHoldsLock: w.sb.regions[b].server.holdsLock,
    newLockHolder: newLock?.holder,
    oldRedis,
    violations: w.sb.invariants.violations(),
  }).toEqual({
    oldServerAcceptedWrites: 0,
    oldServerHoldsLock: false,
    newServerHoldsLock: true,
    newLockHolder: west,
    oldRedis: expect.stringMatching(/^(replica of the new primary|fenced by the lock|empty: no lock)$/),
    violations: [],
  });
  await expectAgentsOn(w, west);
  expectInvariants(w);
}

describe('the old region comes back', () => {
  it('after the failover, killed and restarted empty: takes no writes back, agents stay on the new server', async () => {
    // prepare
    const w = await faultWorld();
    const [a] = w.sb.regionNames;
    await w.sb.killRegion(a);
    await waitForAlarm(w, w.sb.clusters[0]);
    expect((await runFailover(w, { input: { trigger: 'alarm', incidentId: 'back-1' } })).endState).toBe(
      'FailedOver',
    );
    // act
    await w.sb.healRegion(a);
    // assess
    await expectFenced(w, 1_500);
  });

  it('after the failover, frozen then thawed with its data: it is fenced, takes no writes back', async () => {
    // prepare: a partition, not a crash: A's processes hang and keep their state
    const w = await faultWorld();
    const [a] = w.sb.regionNames;
    await w.sb.killRegion(a, 'freeze');
    await waitForAlarm(w, w.sb.clusters[0]);
    expect((await runFailover(w, { input: { trigger: 'alarm', incidentId: 'back-2' } })).endState).toBe(
      'FailedOver',
    );
    // act: A thaws; its Redis is still a primary whose lock names A at the old epoch
    await w.sb.healRegion(a);
    // assess
    await expectFenced(w, 1_500);
  });

  it('after the failover, frozen then thawed: a re-run of the workflow fences it and converges', async () => {
    // prepare
    const w = await faultWorld();
    const [a] = w.sb.regionNames;
    await w.sb.killRegion(a, 'freeze');
    await waitForAlarm(w, w.sb.clusters[0]);
    expect((await runFailover(w, { input: { trigger: 'alarm', incidentId: 'back-4' } })).endState).toBe(
      'FailedOver',
    );
    await w.sb.healRegion(a);
    // act: the operator (or automation) runs the failover again
    const again = await runFailover(w, { input: { trigger: 'manual', incidentId: 'back-4-fence' } });
    // assess: not "already active" while the old primary is unfenced; the re-run fences it
    expect(again.endState).toBe('FailedOver');
    const state = await systemState(w);
    expect(state.roles[a] === 'replica' || state.locks[a]?.holder === w.sb.clusters[1]).toBe(true);
    expect((await w.sb.regions[a].server.writeNow()).accepted).toBe(0);
    await expectAgentsOn(w, w.sb.clusters[1]);
  });

  it('during the failover (thawed right after the promotion): it is fenced by the end of the run', async () => {
    // prepare
    const w = await faultWorld();
    const [a] = w.sb.regionNames;
    await w.sb.killRegion(a, 'freeze');
    await waitForAlarm(w, w.sb.clusters[0]);
    const promote = realStep(w, 'promoteRedis');
    // act: the real promotion runs, then A comes back before the lock switch
    const res = await runFailover(w, {
      input: { trigger: 'alarm', incidentId: 'back-3' },
      overrides: {
        StartRedisPromotion: async (p) => {
          const out = await promote(p);
          await w.sb.healRegion(a);
          return out;
        },
      },
    });
    // assess
    expect(res.endState).toBe('FailedOver');
    await expectFenced(w, 1_000);
  });
});
