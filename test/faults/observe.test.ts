/**
 * Fault scenarios of what the orchestrator observes on the management plane: two replicas per
 * server (each pod reports only its own agents; the vendor alert sums by `cluster` across pods:
 * shared/REFERENCE.md, "Corrections after the first release"), one of them silent; a TCP-only
 * health check (the vendor's NLB examples check TCP 9900). Run under each metrics source with
 * `SANDBOX_METRICS_SOURCE=scrape|headless|prometheus npm run test:faults`.
 */
import '#local/quiet.ts';
import { describe, expect, it } from 'vitest';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyWebhook } from '#lib/active-signal.ts';
import type { Reconnect } from '#lib/state.ts';
import { SANDBOX_WEBHOOK_KEY } from '#local/signal-standins.ts';
import {
  expectAgentsOn,
  expectEnd,
  expectInvariants,
  faultWorld,
  reportOf,
  runFailover,
  systemState,
} from './support.ts';

describe.concurrent('fault scenarios', { timeout: 120_000 }, () => {
  describe('a replica of the target stops answering its metrics', () => {
    it('reports its clusters unknown (naming the replica), not disconnected, and still fails over by the threshold', async (ctx) => {
      // prepare: 6 agents split over the target's two pods; pod 1's metrics endpoint goes silent
      const w = await faultWorld(ctx, { agents: 6 });
      const [a, b] = w.sb.regionNames;
      const [, west] = w.sb.clusters;
      const target = w.sb.regions[b].server;
      const onPod1 = w.sb.agents.names.filter((n) => target.replicaFor(n) === 1).sort();
      expect(onPod1.length).toBeGreaterThan(0);
      expect(onPod1.length).toBeLessThan(6);
      // The threshold is exactly the share on pod 0: reached only once all of pod 0's agents are back.
      w.t = {
        ...w.t,
        reconnection: { ...w.t.reconnection, minFraction: (6 - onPod1.length) / 6, timeoutSeconds: 30 },
      };
      await target.setReplicaMetricsDown(1, true);
      await w.sb.killRegion(a);
      // act
      const res = await runFailover(w);
      // assess: the switch is decided on the clusters seen; the others are unknown, by name
      expectEnd(res, 'FailedOver');
      const r = res.output.reconnect as Reconnect;
      expect(r.unknown).toBe(onPod1.length);
      expect(r.missing.map((m) => m.cluster).sort()).toEqual(onPod1);
      expect(new Set(r.missing.map((m) => m.reason))).toEqual(
        new Set([expect.stringMatching(/^unknown: replica .+ did not answer$/)]),
      );
      expect(r.missingReplicas).toHaveLength(1);
      expect(reportOf(res).nextActions.join('\n')).toMatch(
        new RegExp(
          `Replica ${r.missingReplicas[0]} of ${west} did not answer.*${onPod1.length} expected cluster\\(s\\) counted unknown`,
        ),
      );
      const after = await systemState(w);
      expect(after.locks[b]?.holder).toBe(west);
      await expectAgentsOn(w, west);
      expectInvariants(w);
    });

    it('with every agent required, ends ReconnectIncomplete calling them unknown, never "not connected"', async (ctx) => {
      const w = await faultWorld(ctx, { agents: 4 }, (t) => ({
        ...t,
        reconnection: { ...t.reconnection, minFraction: 1, timeoutSeconds: 20 },
      }));
      const [a, b] = w.sb.regionNames;
      const target = w.sb.regions[b].server;
      const onPod0 = w.sb.agents.names.filter((n) => target.replicaFor(n) === 0).sort();
      await target.setReplicaMetricsDown(0, true);
      await w.sb.killRegion(a);
      const res = await runFailover(w);
      expectEnd(res, 'ReconnectIncomplete');
      const r = res.output.reconnect as Reconnect;
      // Pod 0's agents are all unknown (and any agent still reconnecting at the last poll is too).
      expect(r.missing.map((m) => m.cluster)).toEqual(expect.arrayContaining(onPod0));
      expect(r.missing.every((m) => m.reason.startsWith('unknown: replica'))).toBe(true);
      const next = reportOf(res).nextActions.join('\n');
      expect(next).toMatch(/is UNKNOWN, not disconnected/);
      expect(next).not.toMatch(/did not reconnect/);
      expectInvariants(w);
    });
  });

  describe('a replica of the target dies during the failover (its pod is killed)', () => {
    it('its agents move to the other replica and the run converges', async (ctx) => {
      const w = await faultWorld(ctx, { agents: 6 });
      const [a, b] = w.sb.regionNames;
      const [, west] = w.sb.clusters;
      await w.sb.killRegion(a);
      await w.sb.regions[b].server.killReplica(1);
      const res = await runFailover(w);
      expectEnd(res, 'FailedOver');
      expect((res.output.reconnect as Reconnect).connected).toBe(6);
      expect(w.sb.regions[b].server.replicaClusters(0)).toHaveLength(6);
      await expectAgentsOn(w, west);
      expectInvariants(w);
    });
  });

  describe('a TCP-only health check (the relay port, as the vendor NLB examples)', () => {
    it('fails over and converges, the relay probe counted once in the quorum', async (ctx) => {
      const w = await faultWorld(ctx, { healthCheck: 'tcp' });
      const [a] = w.sb.regionNames;
      const [, west] = w.sb.clusters;
      expect(w.t.servers.map((s) => s.health)).toEqual([{ kind: 'tcp' }, { kind: 'tcp' }]);
      await w.sb.killRegion(a);
      const res = await runFailover(w);
      expectEnd(res, 'FailedOver');
      const v = res.output.verify as { signals: { kind: string; verdict: string; detail: string }[] };
      expect(v.signals.find((s) => s.kind === 'health')).toMatchObject({
        verdict: 'abstain',
        detail: expect.stringMatching(/counted once, as the relay signal/),
      });
      await expectAgentsOn(w, west);
      expectInvariants(w);
    });
  });

  describe('pipelines learn the active server (SSM parameter, signed webhook)', () => {
    it('after the failover the parameter store holds the new active server and the webhook got one signed request', async (ctx) => {
      // prepare
      const w = await faultWorld(ctx);
      const [a, b] = w.sb.regionNames;
      const [, west] = w.sb.clusters;
      const name = w.t.activeSignal.ssm!.parameterName;
      await w.sb.killRegion(a);
      // act
      const res = await runFailover(w);
      // assess
      expectEnd(res, 'FailedOver');
      const stored = JSON.parse(w.sb.signal.parameters.values(b)[name]!);
      const gloo = w.t.servers.find((s) => s.id === west)!.glooClusterName;
      expect(stored).toMatchObject({ server: west, glooClusterName: gloo, region: b, epoch: 2 });
      expect(w.sb.signal.parameters.values(a)[name]).toBeUndefined(); // its region is down
      const got = w.sb.signal.webhook.received;
      expect(got).toHaveLength(1);
      const ts = String(got[0]!.headers[TIMESTAMP_HEADER]);
      expect(
        verifyWebhook(SANDBOX_WEBHOOK_KEY, ts, got[0]!.body, String(got[0]!.headers[SIGNATURE_HEADER])),
      ).toBe(true);
      expect(JSON.parse(got[0]!.body)).toEqual(stored);
      expect(reportOf(res).nextActions.join('\n')).toMatch(/parameter was not written in us-east-1/);
    });
  });
});
