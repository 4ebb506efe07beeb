/**
 * Fault scenarios of the meshctl lock adapter (write-to-one): the vendor's command fails, hangs,
 * or is run again after it succeeded. The sandbox's fake meshctl accepts exactly the documented
 * command line (Gloo docs, "CI/CD pipeline configuration"); its faults are injected per sandbox.
 */
import '#local/quiet.ts';
import { describe, expect, it } from 'vitest';
import type { Topology } from '#lib/topology.ts';
import { sandboxPorts } from '#local/sandbox/ports.ts';
import {
  caughtError,
  expectAgentsOn,
  expectEnd,
  expectInvariants,
  faultWorld,
  reportOf,
  runFailover,
  statesEntered,
  systemState,
  type World,
} from './support.ts';

const MESHCTL = { configMode: 'write-to-one', lockAdapter: 'meshctl' } as const;
/** Redis timeouts of 2 s (sandbox: 500 ms): these runs start right after the kill, on a loaded machine. */
const patient = (t: Topology): Topology => ({
  ...t,
  redis: { ...t.redis, connectTimeoutMs: 2_000, commandTimeoutMs: 2_000 },
});

async function outage(w: World): Promise<void> {
  await w.sb.killRegion(w.sb.regionNames[0]);
}

describe.concurrent('fault scenarios', { timeout: 120_000 }, () => {
  describe('the lock command fails (meshctl)', () => {
    it('ends HaltedAfterPromotion with meshctl stderr in the report when it exits non-zero; the lock is not moved', async (ctx) => {
      // prepare
      const w = await faultWorld(ctx, MESHCTL, patient);
      const [, b] = w.sb.regionNames;
      w.sb.meshctl.setFault({
        mode: 'fail',
        exitCode: 1,
        stderr: 'Error: failed to get lock lease: context deadline exceeded',
      });
      await outage(w);
      // act
      const res = await runFailover(w, {
        input: { trigger: 'manual', incidentId: 'meshctl-fails', force: { skipVerification: true } },
      });
      // assess
      expectEnd(res, 'HaltedAfterPromotion');
      expect(caughtError(res).Error).toBe('LockSwitchFailed');
      const report = reportOf(res) as ReturnType<typeof reportOf> & { error?: { message: string } };
      expect(report.error?.message).toMatch(
        /exited with code 1: Error: failed to get lock lease: context deadline exceeded/,
      );
      // the overlapped failover repointed DNS before the promotion (the vendor runbook's order)
      const entered = statesEntered(res);
      expect(entered.indexOf('RepointDns')).toBeLessThan(entered.indexOf('SwitchGlobalLock'));
      expect(w.sb.dns.read()?.values).toEqual([w.t.dns.values[w.sb.clusters[1]]]);
      expect((await systemState(w)).locks[b]).toEqual({ holder: w.sb.clusters[0], epoch: 1 });
      expectInvariants(w);
    });

    it('kills a hanging meshctl at its timeout and ends HaltedAfterPromotion; a re-run converges', async (ctx) => {
      // prepare: a 1 s timeout (topology lock.timeoutSeconds), and a fake that never returns
      const w = await faultWorld(ctx, { ...MESHCTL, meshctlTimeoutSeconds: 1 }, patient);
      w.sb.meshctl.setFault({ mode: 'hang' });
      await outage(w);
      const input = { trigger: 'manual', incidentId: 'meshctl-hangs', force: { skipVerification: true } };
      // act
      const started = performance.now();
      const res = await runFailover(w, { input });
      // assess
      expectEnd(res, 'HaltedAfterPromotion');
      expect(caughtError(res).Cause).toMatch(/was killed at its 1 s timeout/);
      expect(performance.now() - started).toBeLessThan(30_000);
      // act 2: the operator fixes the cause (and gives meshctl its normal time) and re-runs
      w.sb.meshctl.setFault(null);
      const topology = { ...w.t, lock: { ...w.t.lock, timeoutSeconds: 20 } } as Topology;
      const again = await runFailover(w, {
        topology,
        ports: sandboxPorts(topology),
        input: { ...input, incidentId: 'meshctl-hangs-r2' },
      });
      expectEnd(again, 'FailedOver');
      await expectAgentsOn(w, w.sb.clusters[1]);
      expectInvariants(w);
    });

    it('is harmless to run again after a success: the re-run sets the same holder and changes nothing else', async (ctx) => {
      // prepare
      const w = await faultWorld(ctx, MESHCTL, patient);
      const [, b] = w.sb.regionNames;
      await outage(w);
      const input = { trigger: 'manual', incidentId: 'meshctl-twice', force: { skipVerification: true } };
      expectEnd(await runFailover(w, { input }), 'FailedOver');
      const after1 = await systemState(w);
      // act: the same failover again (a redrive, or an operator unsure it worked)
      const res = await runFailover(w, { input: { ...input, incidentId: 'meshctl-twice-r2' } });
      // assess: same end, same state; meshctl ran again with the same argv and wrote nothing
      expectEnd(res, 'FailedOver');
      expect(await systemState(w)).toEqual(after1);
      expect(after1.locks[b]).toEqual({ holder: w.sb.clusters[1], epoch: 2 });
      const calls = w.sb.meshctl.calls();
      expect(calls).toHaveLength(2);
      expect(calls[1]).toEqual(calls[0]);
      expect((res.output.lock as { command: { stdout: string } }).command.stdout).toMatch(/already active/);
      expectInvariants(w);
    });
  });
});
