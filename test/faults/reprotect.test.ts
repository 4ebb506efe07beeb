/**
 * Re-protection after an unplanned failover (the sandbox models it with REPLICAOF onto the fresh
 * member that comes back in the recovered region): the reprotect workflow (the deployed ASL, the
 * real handler) makes it follow the survivor and records the datastore; the mirrored failback then
 * converges, planned, with no key acknowledged after re-protection lost.
 */
import '#local/quiet.ts';
import { describe, expect, it } from 'vitest';
import { withRedis } from '#lib/redis/connect.ts';
import { runReprotect } from '#local/reprotect-runner.ts';
import {
  AckedWriter,
  expectEnd,
  expectPlannedSwitch,
  failbackWhileWriting,
  failoverAndHeal,
  faultWorld,
  runFailover,
  systemState,
} from './support.ts';

describe.concurrent('fault scenarios', { timeout: 120_000 }, () => {
  describe('re-protect after an unplanned failover', () => {
    it('re-protect then failback converges with no acknowledged key lost after re-protect', async (ctx) => {
      // prepare: an outage and its (unplanned) failover; A comes back empty; writes go on at B
      const w = await faultWorld(ctx);
      const [a, b] = w.sb.regionNames;
      const [east, west] = w.sb.clusters;
      await failoverAndHeal(w, 'rp');
      const writer = new AckedWriter(w.sb.regions[b].redis.endpoint);
      await writer.writeBatch(100);
      // act 1: the reprotect workflow in B's region
      const rp = await runReprotect({
        topology: w.t,
        survivorServer: west,
        input: { incidentId: 'rp', requestedBy: 'oncall' },
        ports: w.ports,
      });
      // assess 1
      expect(rp.endState, JSON.stringify(rp.output.report ?? rp.output)).toBe('Reprotected');
      expect(rp.states).toContain('AdvanceReprotection');
      expect(rp.states).not.toContain('ApproveOldRedisDeletion');
      expect(await w.ports.datastores!.read()).toMatchObject({
        generation: 1,
        recordedBy: expect.any(String),
      });
      expect((await systemState(w)).roles).toEqual({ [a]: 'replica', [b]: 'primary' });
      // act 2: acknowledged writes after re-protection, during the failback
      await writer.writeBatch(200);
      const res = await failbackWhileWriting(w, writer);
      // assess 2
      await expectPlannedSwitch(w, res, writer, { to: east, epoch: 3 });
    });

    it('refuses to wipe a member that holds its own keys unless the operator chose delete (approval-gated)', async (ctx) => {
      // prepare: after the failover, A's Redis comes back and takes a key of its own (an island;
      // data-layer fencing off, redis.minReplicasToWrite 0, else the island refuses the write). No
      // automatic fencing pass either: it would demote A (as the health probe's next sample does)
      // and the full resync would wipe the island's key before the re-protect run looks at it.
      const slack = {
        channel: 'C0OPSFAIL1',
        approvers: ['U0A1B2C3D'],
        botTokenSecret: 'gloo/slack-bot',
        signingSecret: 'gloo/slack-signing',
      };
      const w = await faultWorld(ctx, { dataFencing: false, autoFence: false }, (t) => ({
        ...t,
        approvals: { ...t.approvals, slack },
      }));
      const [a] = w.sb.regionNames;
      const [, west] = w.sb.clusters;
      await w.sb.killRegion(a);
      expectEnd(await runFailover(w, { input: { trigger: 'alarm', incidentId: 'rp2' } }), 'FailedOver');
      await w.sb.healRegion(a);
      await withRedis(w.sb.regions[a].redis.endpoint, {}, (r) => r.set('island-key', '1'));
      // act 1: keep (the default) -> refused, nothing touched
      const kept = await runReprotect({
        topology: w.t,
        survivorServer: west,
        input: { incidentId: 'rp2' },
        ports: w.ports,
      });
      // act 2: delete, approval rejected -> nothing touched
      const rejected = await runReprotect({
        topology: w.t,
        survivorServer: west,
        input: { incidentId: 'rp2', oldRedis: 'delete' },
        ports: w.ports,
        approve: async () => {
          throw Object.assign(new Error('rejected by U0TEST'), { name: 'ApprovalRejected' });
        },
      });
      const islandAfterRejection = await withRedis(w.sb.regions[a].redis.endpoint, {}, (r) =>
        r.get('island-key'),
      );
      // act 3: delete, approved -> re-protected, the report names what was discarded
      const approved = await runReprotect({
        topology: w.t,
        survivorServer: west,
        input: { incidentId: 'rp2', oldRedis: 'delete' },
        ports: w.ports,
      });
      // assess
      expect(kept.endState).toBe('ReprotectFailed');
      expect(JSON.stringify(kept.output)).toMatch(/holds 1 key\(s\) of its own/);
      expect(rejected.endState).toBe('Rejected');
      expect(islandAfterRejection).toBe('1');
      expect(approved.endState).toBe('Reprotected');
      expect(approved.states).toContain('ApproveOldRedisDeletion');
      expect((approved.output.report as { removed?: string }).removed).toMatch(/1 key\(s\)/);
    });
  });
});
