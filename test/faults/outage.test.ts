/**
 * Fault scenarios: a regional outage, a transient blip, a lying probe vantage point. Each runs the
 * failover workflow (the deployed ASL, real handlers) on the sandbox and asserts the end state and
 * the invariants (see support.ts).
 */
import '#local/quiet.ts';
import { describe, expect, it } from 'vitest';
import { decide } from '#functions/trigger/trigger.ts';
import type { AlarmStateChangeEvent } from '#local/sandbox/index.ts';
import {
  expectAgentsOn,
  expectEnd,
  expectInvariants,
  faultWorld,
  reportOf,
  runFailover,
  statesEntered,
  systemState,
  waitFor,
} from './support.ts';

// Scenarios run concurrently (at most FAULT_CONCURRENCY, default 2, at once: see support.ts).
describe.concurrent('fault scenarios', { timeout: 120_000 }, () => {
  describe('regional outage', () => {
    // Every mode where the lock applies (Gloo docs, "CI/CD pipeline configuration"): write-to-one
    // with either lock adapter moves the lock (epoch +1); write-to-all has no lock at all.
    const modes = [
      {
        name: 'write-to-one, redis-key lock',
        opts: { configMode: 'write-to-one', lockAdapter: 'redis-key' },
      },
      { name: 'write-to-one, meshctl lock', opts: { configMode: 'write-to-one', lockAdapter: 'meshctl' } },
      { name: 'write-to-all, no lock', opts: { configMode: 'write-to-all' } },
    ] as const;
    for (const mode of modes)
      it(`fails over and converges (${mode.name}): Redis, lock, DNS and every agent on the new server`, async (ctx) => {
        // prepare
        const w = await faultWorld(ctx, mode.opts);
        const [a, b] = w.sb.regionNames;
        const [east, west] = w.sb.clusters;
        const writeToOne = mode.opts.configMode === 'write-to-one';
        const before = await systemState(w);
        const alarm = new Promise<AlarmStateChangeEvent>((resolve) =>
          w.sb.events.on('alarm', (ev: AlarmStateChangeEvent) => {
            if (ev.detail.state.value === 'ALARM') resolve(ev);
          }),
        );
        // act: the region dies; its alarm fires; the trigger's mapping starts the run
        await w.sb.killRegion(a);
        const decision = decide(await alarm, w.t);
        if (!decision.start) throw new Error(decision.reason);
        const res = await runFailover(w, { input: decision.input, targetServer: decision.targetServer });
        // assess
        expectEnd(res, 'FailedOver');
        expect(statesEntered(res).includes('SwitchGlobalLock')).toBe(writeToOne);
        const after = await systemState(w);
        expect(after).toEqual({
          roles: { [a]: 'unreachable', [b]: 'primary' },
          locks: {
            [a]: null,
            [b]: writeToOne
              ? { holder: west, epoch: before.locks[a]!.epoch + 1 }
              : { holder: null, epoch: 0 },
          },
          dns: [w.t.dns.values[west]],
        });
        expect(before.locks[a]).toEqual(writeToOne ? { holder: east, epoch: 1 } : { holder: null, epoch: 0 });
        await expectAgentsOn(w, west);
        expect(w.sb.regions[b].server.holdsLock).toBe(true);
        expect(reportOf(res).nextActions.some((n) => /Switch the CI\/CD pipeline/.test(n))).toBe(writeToOne);
        expectInvariants(w);
      });
  });

  describe('transient blip (shorter than verification)', () => {
    it('does not fail over: the alarm fires, the quorum says no, nothing changed', async (ctx) => {
      // prepare: probes 1 s apart, so verification (3 probes) outlasts the blip
      const w = await faultWorld(ctx, {}, (t) => ({
        ...t,
        verification: { ...t.verification, probeIntervalSeconds: 1 },
      }));
      const [a] = w.sb.regionNames;
      const [east] = w.sb.clusters;
      const before = await systemState(w);
      const alarm = new Promise<AlarmStateChangeEvent>((resolve) =>
        w.sb.events.on('alarm', (ev: AlarmStateChangeEvent) => {
          if (ev.detail.state.value === 'ALARM') resolve(ev);
        }),
      );
      // act: a 3.5 s freeze; the alarm (3 x 500 ms) fires during it and starts a run
      const blip = w.sb.blip(a, 3_500);
      const decision = decide(await alarm, w.t);
      if (!decision.start) throw new Error(decision.reason);
      const res = await runFailover(w, { input: decision.input });
      await blip;
      // assess
      expectEnd(res, 'OutageNotConfirmed');
      expect(statesEntered(res)).not.toContain('StartRedisPromotion');
      expect(reportOf(res).nextActions).toContain('Nothing changed.');
      expect(await systemState(w)).toEqual(before);
      await expectAgentsOn(w, east);
      expectInvariants(w);
    });
  });

  describe('one probe vantage point lies', () => {
    it('does not fail over when one vantage point reports a healthy server down', async (ctx) => {
      // prepare: one Route 53 checker lies, and the orchestrator's own relay probe path is broken
      // (it reports the relay port refused while the server is up)
      const w = await faultWorld(ctx);
      const [a] = w.sb.regionNames;
      const [east] = w.sb.clusters;
      w.sb.lieProbe(a, true);
      const relay = w.t.servers[0]!.relayAddress;
      const ports = {
        ...w.ports,
        probes: {
          ...w.ports.probes,
          tcpConnect: async (hostPort: string, timeoutMs: number) =>
            hostPort === relay
              ? { ok: false, latencyMs: 1, detail: 'ECONNREFUSED (lying vantage point)' }
              : w.ports.probes.tcpConnect(hostPort, timeoutMs),
        },
      };
      const before = await systemState(w);
      // act
      const res = await runFailover(w, { ports, input: { trigger: 'manual', incidentId: 'liar' } });
      // assess
      expectEnd(res, 'OutageNotConfirmed');
      const verify = res.output.outcome as { error: { Cause: string } };
      expect(verify.error.Cause).toMatch(/relay: down/);
      expect(verify.error.Cause).toMatch(/1 signal\(s\) say down/);
      expect(statesEntered(res)).not.toContain('StartRedisPromotion');
      expect(await systemState(w)).toEqual(before);
      await waitFor('agents still on A', () => w.sb.agents.placement()['workload-1'] === east);
      await expectAgentsOn(w, east);
      expectInvariants(w);
    });
  });
});
