/**
 * Fault scenarios: agents reconnect slowly, and some never reconnect.
 *
 * Time scaling. In production an agent backs off up to about 30 s between reconnect attempts and
 * the reconnection timeout is 300 s (infra/topology.example.json): the timeout is 10x the backoff.
 * Here both are scaled down 10x in real time: agents back off up to 3 s (full jitter), and the
 * workflow's confirmation budget is 30 s of real time: the topology says 150 s of timeout polled
 * every 10 s, and the local runner scales Wait states by 0.2 (15 polls, 2 s apart). The test thus
 * keeps the production ratio while taking seconds, not minutes.
 */
import '#local/quiet.ts';
import { describe, expect, it } from 'vitest';
import type { Reconnect } from '#lib/state.ts';
import {
  expectAgentsOn,
  expectEnd,
  expectInvariants,
  faultWorld,
  reportOf,
  runFailover,
  systemState,
} from './support.ts';

// Scenarios run concurrently (at most FAULT_CONCURRENCY, default 2, at once: see support.ts).
describe.concurrent('fault scenarios', { timeout: 120_000 }, () => {
  describe('agents reconnect slowly (backoff 30 s, scaled)', () => {
    it('waits for them: the confirmation polls until every agent is back, within its timeout', async (ctx) => {
      // prepare
      const w = await faultWorld(ctx, { agents: 8 }, (t) => ({
        ...t,
        reconnection: { ...t.reconnection, timeoutSeconds: 150, pollIntervalSeconds: 10 },
      }));
      const [a, b] = w.sb.regionNames;
      const [, west] = w.sb.clusters;
      w.sb.agents.setBackoff({ baseMs: 3_000, maxMs: 3_000 });
      await w.sb.killRegion(a);
      // act
      const res = await runFailover(w, { input: { trigger: 'alarm', incidentId: 'slow' }, waitScale: 0.2 });
      // assess
      expectEnd(res, 'FailedOver');
      const r = res.output.reconnect as Reconnect;
      expect(r).toMatchObject({ done: true, connected: 8, expected: 8, missing: [], maxPolls: 15 });
      expect(r.polls).toBeGreaterThan(1); // it had to wait for stragglers
      expect(r.polls).toBeLessThan(r.maxPolls);
      expect((await systemState(w)).locks[b]).toEqual({ holder: west, epoch: 2 });
      await expectAgentsOn(w, west);
      expectInvariants(w);
    });
  });

  describe('some agents never reconnect', () => {
    it('ends ReconnectIncomplete naming exactly the missing clusters, after its full timeout', async (ctx) => {
      // prepare: lock and DNS will switch; two agents are gone for good once the region dies
      const w = await faultWorld(ctx, { agents: 6 }, (t) => ({
        ...t,
        reconnection: { ...t.reconnection, timeoutSeconds: 30, pollIntervalSeconds: 3 },
      }));
      const [a, b] = w.sb.regionNames;
      const [, west] = w.sb.clusters;
      await w.sb.killRegion(a);
      await w.sb.agents.stopAgents(['workload-2', 'workload-5']);
      // act
      const res = await runFailover(w, { input: { trigger: 'alarm', incidentId: 'never' } });
      // assess
      expectEnd(res, 'ReconnectIncomplete');
      const r = res.output.reconnect as Reconnect;
      expect(r.polls).toBe(r.maxPolls);
      expect(r.missing.map((m) => m.cluster).sort()).toEqual(['workload-2', 'workload-5']);
      expect(r.connected).toBe(4);
      expect(reportOf(res).nextActions[0]).toMatch(/workload-2.*workload-5|workload-5.*workload-2/);
      expect((await systemState(w)).locks[b]).toEqual({ holder: west, epoch: 2 });
      expect(w.sb.dns.read()?.values).toEqual([w.t.dns.values[west]]);
      await expectAgentsOn(w, west); // every agent still running is on the new server
      expectInvariants(w);
    });
  });
});
