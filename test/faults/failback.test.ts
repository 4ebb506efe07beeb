/**
 * Fault scenarios around planned promotions: no key acknowledged before a planned promotion is lost
 * (the old primary pauses writes, the target catches up to the exact offset, then roles swap), and
 * failback after an unplanned failover refuses until the old Redis is resynced, then converges.
 */
import '#local/quiet.ts';
import { describe, expect, it } from 'vitest';
import { withRedis } from '#lib/redis/connect.ts';
import { waitReplicating } from '#local/redis-server.ts';
import {
  AckedWriter,
  expectAgentsOn,
  expectEnd,
  expectPlannedSwitch,
  failbackWhileWriting,
  failoverAndHeal,
  faultWorld,
  hostPortOf,
  reportOf,
  runFailback,
  runFailover,
  systemState,
} from './support.ts';

// Scenarios run concurrently (at most FAULT_CONCURRENCY, default 2, at once: see support.ts).
describe.concurrent('fault scenarios', { timeout: 120_000 }, () => {
  describe('planned promotion', () => {
    it('loses no acknowledged key: written before and during a planned failover, all on the new primary', async (ctx) => {
      // prepare: both regions healthy; 300 keys acknowledged by the primary, and a writer that keeps going
      const w = await faultWorld(ctx);
      const [a] = w.sb.regionNames;
      const [, west] = w.sb.clusters;
      const writer = new AckedWriter(w.sb.regions[a].redis.endpoint);
      await writer.writeBatch(300);
      writer.startContinuous();
      // act: a manual, planned failover (the operator verified by other means)
      const res = await runFailover(w, {
        input: {
          trigger: 'manual',
          incidentId: 'planned',
          requestedBy: 'oncall',
          force: { skipVerification: true },
        },
      });
      await writer.stop();
      // assess
      await expectPlannedSwitch(w, res, writer, { to: west, epoch: 2 });
      expect(writer.acked.length).toBeGreaterThan(300);
    });
  });

  describe('failback after an unplanned failover', () => {
    it('refuses until the old Redis is resynced (nothing changed), then converges with every acknowledged key', async (ctx) => {
      // prepare: an outage and its failover, A back empty; then writes acknowledged by the new primary
      const w = await faultWorld(ctx);
      const [a, b] = w.sb.regionNames;
      const [east, west] = w.sb.clusters;
      await failoverAndHeal(w, 'fb');
      const writer = new AckedWriter(w.sb.regions[b].redis.endpoint);
      await writer.writeBatch(200);
      const before = await systemState(w);
      expect(before.locks[a]).toEqual(before.locks[b]);
      // act 1: failback before the resync
      const refused = await runFailback(w);
      // assess 1
      expectEnd(refused, 'TargetNotReady');
      expect(reportOf(refused).nextActions[0]).toMatch(/resync/);
      expect(await systemState(w)).toEqual(before);
      await expectAgentsOn(w, west);
      // act 2: the runbook's resync (re-add A as a replica of B), then failback again
      const [host, port] = hostPortOf(w.sb.regions[b].redis.endpoint);
      await withRedis(w.sb.regions[a].redis.endpoint, {}, (r) => r.call('REPLICAOF', host, port));
      await waitReplicating(w.sb.regions[a].redis);
      const res = await failbackWhileWriting(w, writer);
      // assess 2: back home, planned, epoch still rising, no acknowledged key lost
      await expectPlannedSwitch(w, res, writer, { to: east, epoch: 3 });
    });
  });
});
