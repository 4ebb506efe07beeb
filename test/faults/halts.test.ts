/**
 * Fault scenarios where the run must halt at a safe point: the Redis promotion fails or never
 * completes (halt before the lock switch; in the overlapped failover the DNS record was already
 * repointed to the target, the source being verified down), and the DNS record changes under the
 * run (halt with DnsChangeConflict before the promotion, overwrite nothing, change nothing else). The faults are injected at the PORTS the real handlers
 * use (a control plane that refuses or never finishes, a third party writing the record), so the
 * real step code, the ASL Retry/Catch and the report are what is tested.
 */
import '#local/quiet.ts';
import { describe, expect, it } from 'vitest';
import { RecordDnsSwitch } from '#lib/dns/record-switch.ts';
import { PromotionFailed } from '#lib/errors.ts';
import type { DnsPointer, DnsRecord, PromotionStatus } from '#lib/ports.ts';
import { withRedis } from '#lib/redis/connect.ts';
import { formatLockValue } from '#lib/redis/lock.ts';
import type { Ports } from '#lib/wiring.ts';
import {
  caughtError,
  expectEnd,
  expectInvariants,
  faultWorld,
  realStep,
  reportOf,
  runFailover,
  statesEntered,
  systemState,
  type World,
} from './support.ts';

/** Region A killed and its alarm raised: a failover is due. */
async function outage(w: World): Promise<void> {
  await w.sb.killRegion(w.sb.regionNames[0]);
}

// Scenarios run concurrently (at most FAULT_CONCURRENCY, default 2, at once: see support.ts).
describe.concurrent('fault scenarios', { timeout: 120_000 }, () => {
  describe('promotion fails or times out', () => {
    it('halts before the lock switch when the control plane refuses the promotion; DNS already on the target; the report says so', async (ctx) => {
      // prepare: the promoter answers as ElastiCache does for a group in the wrong state
      const w = await faultWorld(ctx);
      await outage(w);
      const before = await systemState(w);
      const ports: Ports = {
        ...w.ports,
        promoter: {
          ...w.ports.promoter,
          describe: () => w.ports.promoter.describe(),
          status: (r) => w.ports.promoter.status(r),
          promote: async () => {
            throw new PromotionFailed(
              'InvalidGlobalReplicationGroupState: the global datastore ldgnf-gloo-mgmt is modifying',
            );
          },
        },
      };
      // act
      const res = await runFailover(w, { ports, input: { trigger: 'alarm', incidentId: 'promo-fail' } });
      // assess
      expectEnd(res, 'PromotionFailed');
      expect(caughtError(res).Error).toBe('PromotionFailed');
      expect(statesEntered(res)).not.toContain('SwitchGlobalLock');
      const report = reportOf(res);
      expect(report.summary).toMatch(/lock not switched, DNS already repointed/);
      expect(report.nextActions[0]).toMatch(
        /lock was not switched; the relay DNS record already points at mgmt-west.*InvalidGlobalReplicationGroupState/,
      );
      expect(report.changed.map((c) => c.what)).toEqual([expect.stringMatching(/^DNS/)]);
      expect(await systemState(w)).toEqual({ ...before, dns: [w.t.dns.values[w.sb.clusters[1]]] });
      expectInvariants(w);
    });

    it('halts before the lock switch when the promotion never completes (bounded polls); DNS already on the target', async (ctx) => {
      // prepare: the promotion starts and stays in progress, as a stuck global datastore would
      const w = await faultWorld(ctx);
      await outage(w);
      const before = await systemState(w);
      let polls = 0;
      const stuck = (region: string): PromotionStatus => ({
        state: 'in-progress',
        mode: 'unplanned',
        targetRegion: region as PromotionStatus['targetRegion'],
        detail: 'global datastore status modifying',
      });
      const ports: Ports = {
        ...w.ports,
        promoter: {
          describe: () => w.ports.promoter.describe(),
          promote: async (r) => stuck(r.targetRegion),
          status: async (r) => {
            polls++;
            return stuck(r.targetRegion);
          },
        },
      };
      // act
      const res = await runFailover(w, {
        ports,
        input: { trigger: 'alarm', incidentId: 'promo-timeout' },
        workflow: { promotion: { seconds: 1, maxPolls: 4 } },
      });
      // assess
      expectEnd(res, 'PromotionFailed');
      expect(polls).toBe(4);
      expect(statesEntered(res)).not.toContain('SwitchGlobalLock');
      expect(reportOf(res).summary).toMatch(/failed or timed out; lock not switched, DNS already repointed/);
      expect(await systemState(w)).toEqual({ ...before, dns: [w.t.dns.values[w.sb.clusters[1]]] });
      expectInvariants(w);
    });
  });

  describe('the global lock moves under the run (someone ran switch-active by hand)', () => {
    it('halts with LockHeldByOther after the promotion; the hand-set lock is not overwritten', async (ctx) => {
      // prepare: right after the promotion, a person moves the lock on the new primary by hand
      const w = await faultWorld(ctx);
      await outage(w);
      const [, b] = w.sb.regionNames;
      const promote = realStep(w, 'promoteRedis');
      // act
      const res = await runFailover(w, {
        input: { trigger: 'alarm', incidentId: 'lock-moved' },
        overrides: {
          StartRedisPromotion: async (p) => {
            const out = await promote(p);
            await withRedis(w.sb.regions[b].redis.endpoint, {}, (r) =>
              r.set(w.sb.lockFormat.key, formatLockValue(w.sb.lockFormat, 'mgmt-south')),
            );
            return out;
          },
        },
      });
      // assess
      expectEnd(res, 'HaltedAfterPromotion');
      expect(caughtError(res).Error).toBe('LockHeldByOther');
      const entered = statesEntered(res);
      expect(entered.indexOf('RepointDns')).toBeLessThan(entered.indexOf('StartRedisPromotion'));
      expect((await systemState(w)).locks[b]).toEqual({ holder: 'mgmt-south', epoch: 1 });
      expect(w.sb.dns.read()?.values).toEqual([w.t.dns.values[w.sb.clusters[1]]]);
      expectInvariants(w);
    });
  });

  describe('DNS change conflicts (someone changed the record meanwhile)', () => {
    /** A value that is neither server: a person pointed the record at a maintenance page. */
    const maintenance = (w: World) =>
      `${w.sb.topology.dns.values[w.sb.clusters[0]]!.replace(/\.\d+$/, '.99')}`;

    it('halts with DnsChangeConflict when the record changes between the read and the swap; nothing overwritten, nothing else changed', async (ctx) => {
      // prepare: the DNS step's read arms a third party that changes the record right after the
      // step has read it (before its compare-and-swap)
      const w = await faultWorld(ctx);
      await outage(w);
      // The record switch reads twice (its state, then right before the swap): the change lands
      // after the second read, so only the compare-and-swap can notice it.
      let readsUntilChange = 0;
      let foreign: DnsRecord | null = null;
      const dns: DnsPointer = {
        read: async () => {
          const current = await w.ports.dns.read();
          if (readsUntilChange > 0 && --readsUntilChange === 0 && current) {
            foreign = { ttl: current.ttl, values: [maintenance(w)] };
            expect(w.sb.dns.compareAndSwap(current, foreign).ok).toBe(true);
          }
          return current;
        },
        compareAndSwap: (r) => w.ports.dns.compareAndSwap(r),
        changeStatus: (id) => w.ports.dns.changeStatus(id),
      };
      // the step switches through the record switch (dns.switch.mode route53-record) on that pointer
      const ports: Ports = { ...w.ports, dns, dnsSwitch: new RecordDnsSwitch(w.sb.topology, dns) };
      const repointDns = realStep(w, 'repointDns', ports);
      const before = await systemState(w);
      // act
      const res = await runFailover(w, {
        ports,
        input: { trigger: 'alarm', incidentId: 'dns-race' },
        overrides: {
          RepointDns: async (p) => {
            readsUntilChange = 2;
            return repointDns(p);
          },
        },
      });
      // assess
      expectEnd(res, 'DnsChangeFailed');
      expect(caughtError(res).Error).toBe('DnsChangeConflict');
      expect(caughtError(res).Cause).toMatch(/nothing was changed/);
      expect(statesEntered(res)).not.toContain('StartRedisPromotion');
      expect(w.sb.dns.read()).toEqual(foreign);
      expect(await systemState(w)).toEqual({ ...before, dns: [maintenance(w)] });
      // the report re-reads the world: the record changed, but to the third party's value, not ours
      const report = reportOf(res);
      expect(report.changed.map((c) => c.what)).toEqual([expect.stringMatching(/^DNS/)]);
      expect(report.changed[0]!.after).toBe(maintenance(w));
      expect(report.nextActions[0]).toMatch(/re-run/);
      expectInvariants(w);
    });

    it('halts when the record was pointed elsewhere between steps; the foreign value is not overwritten', async (ctx) => {
      // prepare: a person repoints the record by hand right before the DNS step
      const w = await faultWorld(ctx);
      await outage(w);
      const repointDns = realStep(w, 'repointDns');
      let foreign: DnsRecord | null = null;
      // act
      const res = await runFailover(w, {
        input: { trigger: 'alarm', incidentId: 'dns-hand' },
        overrides: {
          RepointDns: async (p) => {
            const current = w.sb.dns.read()!;
            foreign = { ttl: current.ttl, values: [maintenance(w)] };
            expect(w.sb.dns.compareAndSwap(current, foreign).ok).toBe(true);
            return repointDns(p);
          },
        },
      });
      // assess
      expectEnd(res, 'DnsChangeFailed');
      expect(statesEntered(res)).not.toContain('StartRedisPromotion');
      expect(caughtError(res).Error).toBe('DnsRecordUnexpected');
      expect(caughtError(res).Cause).toMatch(/selects neither server.*; pass force\.dns/);
      expect(w.sb.dns.read()).toEqual(foreign);
      expectInvariants(w);
    });
  });
});
