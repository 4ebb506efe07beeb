/**
 * Fault scenario: the old region comes back, during and after the failover. It must not take
 * writes back: its server's writes are refused (the lock on the Redis it reads no longer names it,
 * or that Redis is a read-only replica of the new primary), no write is ever accepted by both
 * servers (the InvariantMonitor watches the whole time), and agents stay on the new server.
 *
 * Two ways back: a region whose processes were KILLED restarts with an empty Redis (no
 * persistence in the sandbox); a region that was FROZEN (a partition, a hung host) thaws with its
 * data, still a primary and still naming itself in the lock: the dangerous case, closed by the data
 * layer (the sandbox's Redis run with min-replicas-to-write 1, as the topology's
 * redis.minReplicasToWrite says: "Allow writes only with N attached replicas", Redis docs,
 * "Redis replication").
 */
import '#local/quiet.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { fenceStalePrimaries } from '#lib/fence.ts';
import {
  expectAgentsOn,
  expectEnd,
  expectInvariants,
  faultWorld,
  realStep,
  runFailover,
  systemState,
  type World,
  waitForAlarm,
} from './support.ts';

/**
 * The old region after it is back. Fenced means: its server refuses writes, its Redis is a replica of the new primary,
 * holds the new lock (holder B at B's epoch or above) or holds no lock at all (a killed member comes
 * back empty), B holds the lock, no split brain was ever
 * recorded, and (checked by {@link expectFenced}) agents stay on B. Everything is compared at once,
 * so a failure shows the whole state.
 */
async function fencedState(w: World, settleMs: number) {
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
  return {
    oldServerAcceptedWrites: attempt.accepted,
    oldServerHoldsLock: old.holdsLock,
    newServerHoldsLock: w.sb.regions[b].server.holdsLock,
    newLockHolder: newLock?.holder,
    oldRedis,
    violations: w.sb.invariants.violations(),
  };
}

/** What a fenced old region looks like (see {@link fencedState}). */
const FENCED = (w: World) => ({
  oldServerAcceptedWrites: 0,
  oldServerHoldsLock: false,
  newServerHoldsLock: true,
  newLockHolder: w.sb.clusters[1],
  oldRedis: expect.stringMatching(/^(replica of the new primary|fenced by the lock|empty: no lock)$/),
  violations: [],
});

async function expectFenced(w: World, settleMs: number): Promise<void> {
  expect(await fencedState(w, settleMs), 'the returned old region is not fenced').toEqual(FENCED(w));
  await expectAgentsOn(w, w.sb.clusters[1]);
  expectInvariants(w);
}

/**
 * How many times the thawed-with-its-data scenario runs (`FENCING_THAW_RUNS`, default 1;
 * `npm run soak:fencing` runs it 20 times in a row and prints the count).
 */
const THAW_RUNS = Math.max(1, Number(process.env.FENCING_THAW_RUNS ?? 1));
const thawTally = { passed: 0, answered: 0, refusedByData: 0, accepted: 0 };
afterAll(() => {
  if (THAW_RUNS > 1)
    console.log(
      `frozen-then-thawed old primary: ${thawTally.passed} of ${THAW_RUNS} runs passed; ` +
        `${thawTally.accepted} old-primary writes accepted after the thaw ` +
        `(${thawTally.answered} answered, ${thawTally.refusedByData} refused by NOREPLICAS)`,
    );
});

// Scenarios run concurrently (at most FAULT_CONCURRENCY, default 2, at once: see support.ts).
describe.concurrent('fault scenarios', { timeout: 120_000 }, () => {
  describe('the old region comes back', () => {
    it('after the failover, killed and restarted empty: takes no writes back, agents stay on the new server', async (ctx) => {
      // prepare
      const w = await faultWorld(ctx);
      const [a] = w.sb.regionNames;
      await w.sb.killRegion(a);
      await waitForAlarm(w, w.sb.clusters[0]);
      expectEnd(await runFailover(w, { input: { trigger: 'alarm', incidentId: 'back-1' } }), 'FailedOver');
      // act
      await w.sb.healRegion(a);
      // assess
      await expectFenced(w, 1_500);
    });

    for (let run = 1; run <= THAW_RUNS; run++)
      it(`after the failover, frozen then thawed with its data: its Redis refuses every write from the thaw on (no replica left), and the fencing pass then fences its lock${THAW_RUNS > 1 ? ` (run ${run} of ${THAW_RUNS})` : ''}`, async (ctx) => {
        // prepare: a partition, not a crash: A's processes hang and keep their state. The fencing
        // pass runs when this test says (the probe's, every 250 ms otherwise), so that the old
        // server's writes meet the data layer alone.
        const w = await faultWorld(ctx, { autoFence: false });
        const [a] = w.sb.regionNames;
        const [east, west] = w.sb.clusters;
        await w.sb.killRegion(a, 'freeze');
        await waitForAlarm(w, east);
        expectEnd(await runFailover(w, { input: { trigger: 'alarm', incidentId: 'back-2' } }), 'FailedOver');
        // every write the old server gets an answer to from now on, accepted or not
        const old = w.sb.regions[a].server;
        const afterThaw: { accepted: boolean; reason?: string }[] = [];
        old.on('write', (e: { accepted: boolean; reason?: string }) => void afterThaw.push(e));
        // act: A thaws; its Redis is still a primary whose lock names A at the old epoch, but its
        // replica is gone (promoted): with min-replicas-to-write 1 it refuses writes by itself. The old
        // server still believes it holds the lock and writes at once, and keeps writing for a while.
        await w.sb.healRegion(a);
        for (const until = Date.now() + 600; Date.now() < until; await sleep(20)) await old.writeNow();
        const refusedByData = afterThaw.filter((e) => /^NOREPLICAS/.test(e.reason ?? '')).length;
        thawTally.answered += afterThaw.length;
        thawTally.refusedByData += refusedByData;
        thawTally.accepted += afterThaw.filter((e) => e.accepted).length;
        // then the fencing pass names the live holder in A's lock (through the data fence)
        const fence = await fenceStalePrimaries(w.t, w.ports);
        const settled = await fencedState(w, 1_500);
        expectEnd(
          await runFailover(w, { input: { trigger: 'manual', incidentId: 'back-2-rerun' } }),
          'AlreadyActive',
        );
        await expectAgentsOn(w, west);
        // assess: not one write accepted by the old primary after the thaw, every early one refused
        // by the data layer itself, no split brain at all, and the island fenced by the lock as well
        expect(
          afterThaw.filter((e) => e.accepted),
          `writes the old server got accepted after the thaw (of ${afterThaw.length} answered)`,
        ).toEqual([]);
        if (process.env.DEBUG_FENCING) console.log(JSON.stringify(afterThaw.map((e) => e.reason)));
        // (a reply the old server gave up waiting for, on a loaded machine, is no answer from Redis)
        expect(afterThaw.find((e) => e.reason !== 'Command timed out')?.reason).toMatch(/^NOREPLICAS/);
        expect(refusedByData).toBeGreaterThan(0);
        expect(fence.fenced.map((f) => f.region)).toEqual([a]);
        expect(settled).toEqual(FENCED(w));
        thawTally.passed++;
      });

    it('during the failover (thawed right after the promotion): it is fenced by the end of the run', async (ctx) => {
      // prepare
      const w = await faultWorld(ctx);
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
      expectEnd(res, 'FailedOver');
      await expectFenced(w, 1_000);
    });
  });
});
