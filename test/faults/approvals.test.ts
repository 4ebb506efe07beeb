/**
 * Fault scenario: the approval gate says no. The gate is answered end to end through the REAL
 * request-approval and slack-callback handlers, the local Slack stand-in (signed clicks) and local
 * task-token callbacks; a rejection or an unanswered request must leave everything as it was.
 */
import '#local/quiet.ts';
import { describe, expect, it, type TestContext } from 'vitest';
import type { Topology } from '#lib/topology.ts';
import { startLocalApprovals } from '#local/approvals-local.ts';
import {
  expectEnd,
  expectInvariants,
  faultWorld,
  reportOf,
  runFailover,
  statesEntered,
  systemState,
  type World,
} from './support.ts';

const APPROVER = 'U0SANDBOX1';
const withGate = (t: Topology): Topology => ({
  ...t,
  approvals: {
    ...t.approvals,
    gates: ['before-promotion', 'before-failback'],
    onTimeout: 'reject',
    slack: { channel: 'C0SANDBOX1', approvers: [APPROVER], botTokenSecret: 'x', signingSecret: 'y' },
  },
});

async function gatedOutage(
  ctx: Pick<TestContext, 'onTestFinished'>,
): Promise<{ w: World; a: Awaited<ReturnType<typeof startLocalApprovals>> }> {
  const w = await faultWorld(ctx, {}, withGate);
  const a = await startLocalApprovals({ topology: w.t, users: { [APPROVER]: 'oncall.sre' } });
  ctx.onTestFinished(() => a.stop());
  await w.sb.killRegion(w.sb.regionNames[0]);
  return { w, a };
}

// Scenarios run concurrently (at most FAULT_CONCURRENCY, default 2, at once: see support.ts).
describe.concurrent('fault scenarios', { timeout: 120_000 }, () => {
  describe('approval rejected / timed out', () => {
    it('changes nothing when the approver clicks Reject in Slack', async (ctx) => {
      // prepare
      const { w, a } = await gatedOutage(ctx);
      const before = await systemState(w);
      const off = a.standIn.onPost((m) => void a.standIn.clickButton(m.ts, 'reject', APPROVER));
      ctx.onTestFinished(off);
      // act
      const res = await runFailover(w, {
        input: { trigger: 'alarm', incidentId: 'reject' },
        approve: (p) => a.runApprovalTask(p),
        onApprovalTimeout: (p) => a.runApprovalTimeout(p),
      });
      // assess
      expectEnd(res, 'Rejected');
      expect(statesEntered(res)).toContain('ApproveSwitch');
      expect(statesEntered(res)).not.toContain('StartRedisPromotion');
      expect(reportOf(res).summary).toMatch(/rejected; nothing changed/);
      const [message] = a.standIn.messages();
      expect(message!.text).toContain('rejected by oncall.sre');
      expect(await systemState(w)).toEqual(before);
      expectInvariants(w);
    });

    it('changes nothing when nobody answers before the gate times out (policy: reject)', async (ctx) => {
      // prepare: the approval task times out after 300 ms (the topology says 900 s; time is scaled)
      const { w, a } = await gatedOutage(ctx);
      const before = await systemState(w);
      // act
      const res = await runFailover(w, {
        input: { trigger: 'alarm', incidentId: 'timeout' },
        approve: (p) => a.runApprovalTask(p, { timeoutMs: 300 }),
        onApprovalTimeout: (p) => a.runApprovalTimeout(p),
      });
      // assess
      expectEnd(res, 'Rejected');
      expect(statesEntered(res)).toContain('RecordApproveSwitchTimeout');
      expect(statesEntered(res)).not.toContain('StartRedisPromotion');
      // the real timeout handler throws ApprovalTimedOut, caught into $.approvalTimeoutError: the
      // report says it timed out; the Slack message says the policy rejected it
      expect(reportOf(res).summary).toMatch(/rejected \(approval timed out\); nothing changed/);
      const [message] = a.standIn.messages();
      expect(JSON.stringify(message!.blocks)).toContain('the policy rejected the step; nothing was changed');
      expect(a.callbacks.sent).toEqual([]);
      expect(await systemState(w)).toEqual(before);
      expectInvariants(w);
    });
  });
});
