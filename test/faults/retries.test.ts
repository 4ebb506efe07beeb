/**
 * Fault scenarios: the process running a step dies mid-step, and a step fails transiently. Every
 * mutating step reads state first and is idempotent, so the ASL Retry (same run) or a re-run (new
 * execution) converges without switching anything twice: the lock epoch rises by exactly one.
 */
import '#local/quiet.ts';
import { describe, expect, it } from 'vitest';
import { RecordDnsSwitch } from '#lib/dns/record-switch.ts';
import type { DnsPointer } from '#lib/ports.ts';
import {
  expectAgentsOn,
  expectEnd,
  expectInvariants,
  faultWorld,
  namedError,
  realStep,
  reportOf,
  runFailover,
  statesEntered,
  systemState,
} from './support.ts';

// Scenarios run concurrently (at most FAULT_CONCURRENCY, default 2, at once: see support.ts).
describe.concurrent('fault scenarios', { timeout: 120_000 }, () => {
  describe('the process running a step dies mid-step / the step is retried', () => {
    it('converges in the same run when switch-lock did its work and then timed out (ASL Retry re-runs it)', async (ctx) => {
      // prepare
      const w = await faultWorld(ctx);
      const [a, b] = w.sb.regionNames;
      const [, west] = w.sb.clusters;
      await w.sb.killRegion(a);
      const switchLock = realStep(w, 'switchLock');
      let calls = 0;
      // act: the first invocation switches the lock, then the Lambda times out before answering
      const res = await runFailover(w, {
        input: { trigger: 'alarm', incidentId: 'dies-lock' },
        overrides: {
          SwitchGlobalLock: async (p) => {
            const out = await switchLock(p);
            if (++calls === 1) throw namedError('States.Timeout', 'Task timed out after 30.00 seconds');
            return out;
          },
        },
      });
      // assess
      expectEnd(res, 'FailedOver');
      expect(calls).toBe(2);
      expect(res.events.some((e) => e.kind === 'state-retried' && e.state === 'SwitchGlobalLock')).toBe(true);
      expect((res.output.lock as { outcome: string }).outcome).toBe('already-held');
      expect((await systemState(w)).locks[b]).toEqual({ holder: west, epoch: 2 });
      await expectAgentsOn(w, west);
      expectInvariants(w);
    });

    it('converges on a re-run when the promotion happened and its Lambda died before answering', async (ctx) => {
      // prepare
      const w = await faultWorld(ctx);
      const [a, b] = w.sb.regionNames;
      const [east, west] = w.sb.clusters;
      await w.sb.killRegion(a);
      const promote = realStep(w, 'promoteRedis');
      // act 1: the promotion is done, then the process dies (an error the ASL does not retry)
      const first = await runFailover(w, {
        input: { trigger: 'alarm', incidentId: 'dies-promo' },
        overrides: {
          StartRedisPromotion: async (p) => {
            await promote(p);
            throw namedError('Lambda.Unknown', 'The process exited before completing the request');
          },
        },
      });
      // assess 1: halted before the lock (DNS was repointed first: overlapped failover); the
      // report tells the truth about Redis
      expectEnd(first, 'PromotionFailed');
      const mid = await systemState(w);
      expect(mid.roles[b]).toBe('primary');
      expect(mid.locks[b]).toEqual({ holder: east, epoch: 1 });
      expect(mid.dns).toEqual([w.t.dns.values[west]]);
      expect(reportOf(first).changed.map((c) => c.what)).toEqual([
        'Redis primary',
        expect.stringMatching(/^DNS/),
      ]);
      // act 2: a re-run
      const again = await runFailover(w, { input: { trigger: 'manual', incidentId: 'dies-promo-rerun' } });
      // assess 2: straight to the switch steps (DNS and promotion no-ops), then the lock and the
      // agents; nothing twice
      expectEnd(again, 'FailedOver');
      expect(statesEntered(again)).not.toContain('VerifySourceOutage');
      expect((again.output.dns as { outcome: string }).outcome).toBe('already');
      expect((again.output.promotion as { state: string }).state).toBe('noop');
      const end = await systemState(w);
      expect(end.locks[b]).toEqual({ holder: west, epoch: 2 });
      expect(end.dns).toEqual([w.t.dns.values[west]]);
      await expectAgentsOn(w, west);
      expectInvariants(w);
    });

    it('retries a transient control-plane failure (HTTP 503 on the DNS change) with the ASL Retry and converges', async (ctx) => {
      // prepare: the DNS control plane fails its next mutating call, right when repoint-dns makes it
      const w = await faultWorld(ctx);
      const [a, b] = w.sb.regionNames;
      const [, west] = w.sb.clusters;
      await w.sb.killRegion(a);
      const casErrors: string[] = [];
      const dns: DnsPointer = {
        read: () => w.ports.dns.read(),
        changeStatus: (id: string) => w.ports.dns.changeStatus(id),
        compareAndSwap: (r) =>
          w.ports.dns.compareAndSwap(r).catch((e: Error) => {
            casErrors.push(e.name);
            throw e;
          }),
      };
      // the step switches through the record switch (dns.switch.mode route53-record) on that pointer
      const ports = { ...w.ports, dns, dnsSwitch: new RecordDnsSwitch(w.sb.topology, dns) };
      const repointDns = realStep(w, 'repointDns', ports);
      let armed = false;
      // act
      const res = await runFailover(w, {
        ports,
        input: { trigger: 'alarm', incidentId: 'transient' },
        overrides: {
          RepointDns: async (p) => {
            if (!armed) {
              armed = true;
              w.sb.faults.controlPlane.failNext = 1;
            }
            return repointDns(p);
          },
        },
      });
      // assess
      expectEnd(res, 'FailedOver');
      expect(casErrors).toEqual(['TransientError']);
      const retried = res.events.filter((e) => e.kind === 'state-retried').map((e) => e.state);
      expect(retried).toEqual(['RepointDns']);
      expect(w.sb.faults.controlPlane.failNext).toBe(0);
      expect((await systemState(w)).locks[b]).toEqual({ holder: west, epoch: 2 });
      expect(w.sb.dns.read()?.values).toEqual([w.t.dns.values[west]]);
      await expectAgentsOn(w, west);
      expectInvariants(w);
    });
  });
});
