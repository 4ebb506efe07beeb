/**
 * The workflow run locally (aws-local-stepfunctions, real handlers) on the sandbox, through every
 * end state, asserting what changed and what did not.
 */
import { describe, expect, it } from 'vitest';
import { FailoverError } from '#lib/errors.ts';
import type { Topology } from '#lib/topology.ts';
import { type LocalRunOptions, runWorkflow } from '#local/runner.ts';
import { useWorld, type World } from '#test/support/world.ts';

const input = (over: Record<string, unknown> = {}) => ({
  trigger: 'manual',
  incidentId: 'wf-test',
  requestedBy: 'test',
  ...over,
});

async function state(w: World) {
  const redis = await w.ports.promoter.describe();
  const lockRegion = redis.primaryRegion ?? 'us-west-2';
  const h = await w.ports.lock(lockRegion);
  const lock = await h.lock.read().finally(() => h.close());
  return {
    primary: redis.primaryRegion,
    holder: lock.holder,
    epoch: lock.epoch,
    dns: w.sb.dns.read()?.values[0],
  };
}

function run(w: World, over: Partial<LocalRunOptions> = {}) {
  return runWorkflow({
    topology: w.t,
    direction: 'failover',
    targetServer: 'mgmt-west',
    input: input(),
    ports: w.ports,
    ...over,
  });
}

const withGates = (t: Topology): Topology => ({
  ...t,
  approvals: {
    ...t.approvals,
    gates: ['before-promotion', 'before-failback'],
    slack: { channel: 'C0SANDBOX1', approvers: ['U0SANDBOX1'], botTokenSecret: 'x', signingSecret: 'y' },
  },
});

describe('failover workflow end states (local runner, sandbox)', () => {
  it('FailedOver after a regional outage, then AlreadyActive when run again', async () => {
    const w = await useWorld();
    const before = await state(w);
    await w.sb.killRegion('us-east-1');
    const res = await run(w, { input: input({ trigger: 'alarm' }) });
    expect(res.endState).toBe('FailedOver');
    expect(res.status).toBe('SUCCEEDED');
    expect(await state(w)).toEqual({
      primary: 'us-west-2',
      holder: 'mgmt-west',
      epoch: before.epoch + 1,
      dns: w.t.dns.values['mgmt-west'],
    });
    expect(Object.values(w.sb.agents.placement()).every((p) => p === 'mgmt-west')).toBe(true);
    expect(res.transitions).toBeLessThan(60);
    const again = await run(w);
    expect(again.endState).toBe('AlreadyActive');
    expect((await state(w)).epoch).toBe(before.epoch + 1);
    expect(w.sb.invariants.violations()).toEqual([]);
  });

  it('OutageNotConfirmed when the source is healthy: nothing changed', async () => {
    const w = await useWorld();
    const before = await state(w);
    const res = await run(w);
    expect(res.endState).toBe('OutageNotConfirmed');
    expect((res.output.report as { nextActions: string[] }).nextActions).toContain('Nothing changed.');
    expect(await state(w)).toEqual(before);
  });

  it('DryRunComplete: reports what would change, changes nothing', async () => {
    const w = await useWorld();
    await w.sb.killRegion('us-east-1');
    const before = await state(w);
    const res = await run(w, { input: input({ dryRun: true }) });
    expect(res.endState).toBe('DryRunComplete');
    const out = res.output as Record<string, { state?: string; outcome?: string }>;
    expect(out.promotion?.state).toBe('would-promote');
    expect(out.lock?.outcome).toBe('would-switch');
    expect(out.dns?.outcome).toBe('would-change');
    expect(await state(w)).toEqual(before);
  });

  it('Rejected at the approval gate: nothing changed', async () => {
    const w = await useWorld({}, withGates);
    await w.sb.killRegion('us-east-1');
    const before = await state(w);
    const res = await run(w, {
      approve: async () => {
        throw new FailoverError('ApprovalRejected', 'rejected by U0SANDBOX1');
      },
    });
    expect(res.endState).toBe('Rejected');
    expect(await state(w)).toEqual(before);
  });

  it('approval timeout applies the policy: reject by default, proceed for alarm runs when configured', async () => {
    const timeout = async () => {
      throw new FailoverError('States.Timeout', 'approval timed out');
    };
    const w = await useWorld({}, withGates);
    await w.sb.killRegion('us-east-1');
    const rejected = await run(w, { approve: timeout, input: input({ trigger: 'alarm' }) });
    expect(rejected.endState).toBe('Rejected');
    expect((rejected.output.approval as { timedOut?: boolean }).timedOut).toBe(true);

    const proceedTopology = (t: Topology) => {
      const g = withGates(t);
      return { ...g, approvals: { ...g.approvals, onTimeout: 'proceed-if-alarm' as const } };
    };
    const w2 = await useWorld({}, proceedTopology);
    await w2.sb.killRegion('us-east-1');
    const manual = await run(w2, { approve: timeout });
    expect(manual.endState).toBe('Rejected');
    const alarm = await run(w2, { approve: timeout, input: input({ trigger: 'alarm' }) });
    expect(alarm.endState).toBe('FailedOver');
  });

  it('TargetNotReady when the target region is down: nothing changed', async () => {
    const w = await useWorld();
    await w.sb.killRegion('us-west-2');
    const res = await run(w);
    expect(res.endState).toBe('TargetNotReady');
    expect(res.status).toBe('FAILED');
    expect(w.sb.dns.read()?.values[0]).toBe(w.t.dns.values['mgmt-east']);
  });

  it('InvalidInput for a bad execution input: nothing changed', async () => {
    const w = await useWorld();
    const before = await state(w);
    const res = await run(w, { input: { trigger: 'pager', incidentId: 'x' } });
    expect(res.endState).toBe('InvalidInput');
    expect((res.output.report as { error: { message: string } }).error.message).toMatch(
      /run\.input\.trigger/,
    );
    expect(await state(w)).toEqual(before);
  });

  it('PromotionFailed when the promotion never completes: the lock untouched, DNS already on the target (overlapped failover)', async () => {
    const w = await useWorld();
    await w.sb.killRegion('us-east-1');
    const stuck = async () => ({
      startedAt: new Date().toISOString(),
      endedAt: new Date().toISOString(),
      state: 'in-progress',
      mode: 'unplanned',
      detail: 'modifying',
      polls: 0,
    });
    const res = await run(w, {
      overrides: {
        StartRedisPromotion: stuck,
        PollRedisPromotion: async (p) => {
          const prev = (p as { promotion: { polls: number } }).promotion;
          return { ...(await stuck()), polls: prev.polls + 1 };
        },
      },
      workflow: { promotion: { seconds: 1, maxPolls: 3 } },
    });
    expect(res.endState).toBe('PromotionFailed');
    const s = await state(w);
    expect(s.holder).toBe('mgmt-east');
    expect(s.dns).toBe(w.t.dns.values['mgmt-west']);
    expect((res.output.report as { summary: string }).summary).toMatch(/DNS already repointed/);
  });

  it('DnsChangeFailed when the DNS change is refused before the promotion: nothing else changed', async () => {
    const w = await useWorld();
    await w.sb.killRegion('us-east-1');
    const res = await run(w, {
      overrides: {
        RepointDns: async () => {
          throw new FailoverError('DnsChangeConflict', 'the record changed meanwhile');
        },
      },
    });
    expect(res.endState).toBe('DnsChangeFailed');
    expect(res.events.some((e) => e.state === 'StartRedisPromotion')).toBe(false);
    const s = await state(w);
    expect(s).toMatchObject({ holder: 'mgmt-east', dns: w.t.dns.values['mgmt-east'] });
    expect(s.primary).not.toBe('us-west-2');
    expect((res.output.report as { nextActions: string[] }).nextActions[0]).toMatch(
      /DnsChangeConflict: the record changed meanwhile\); someone else changed it: check who, then re-run\.$/,
    );
  });

  it('HaltedAfterPromotion when a later step fails, and a re-run converges', async () => {
    const w = await useWorld();
    await w.sb.killRegion('us-east-1');
    const res = await run(w, {
      overrides: {
        SwitchGlobalLock: async () => {
          throw new FailoverError('LockHeldByOther', 'the lock moved meanwhile');
        },
      },
    });
    expect(res.endState).toBe('HaltedAfterPromotion');
    const report = res.output.report as { changed: { what: string }[]; nextActions: string[] };
    expect(report.changed.map((c) => c.what)).toEqual(['Redis primary', expect.stringMatching(/^DNS/)]);
    expect(report.nextActions[0]).toMatch(/re-run/);
    expect((await state(w)).holder).toBe('mgmt-east');

    const rerun = await run(w);
    expect(rerun.endState).toBe('FailedOver');
    // the re-run skipped verification (Redis already promoted), switched nothing twice and did the rest
    expect(rerun.events.some((e) => e.state === 'VerifySourceOutage')).toBe(false);
    expect((rerun.output.dns as { outcome: string }).outcome).toBe('already');
    expect((rerun.output.promotion as { state: string }).state).toBe('noop');
    expect((rerun.output.lock as { outcome: string }).outcome).toBe('switched');
  });

  it('ReconnectIncomplete names the agents that never came back', async () => {
    const w = await useWorld({}, (t) => ({
      ...t,
      // 40 polls of a scaled second (8 s): room for the others to reconnect over TLS on a busy
      // machine; the two stopped agents never come back, however long the window
      reconnection: { ...t.reconnection, timeoutSeconds: 40, pollIntervalSeconds: 1 },
    }));
    await w.sb.agents.stopAgents(['workload-2', 'workload-4']);
    await w.sb.killRegion('us-east-1');
    const res = await run(w);
    expect(res.endState).toBe('ReconnectIncomplete');
    const missing = (res.output.reconnect as { missing: { cluster: string }[] }).missing.map(
      (m) => m.cluster,
    );
    expect(missing.sort()).toEqual(['workload-2', 'workload-4']);
    expect((res.output.report as { nextActions: string[] }).nextActions[0]).toMatch(/workload-2/);
  });

  it('failback: refuses until the old Redis is resynced, then returns everything to the home region', async () => {
    const w = await useWorld();
    await w.sb.killRegion('us-east-1');
    expect((await run(w)).endState).toBe('FailedOver');
    await w.sb.healRegion('us-east-1');
    const back = () =>
      runWorkflow({
        topology: w.t,
        direction: 'failback',
        targetServer: 'mgmt-east',
        input: input(),
        ports: w.ports,
      });
    const refused = await back();
    expect(refused.endState).toBe('TargetNotReady');
    expect((refused.output.report as { error: { message: string } }).error.message).toMatch(/resync/);
    // the runbook's manual step: re-add the old member as a replica
    const east = w.sb.regions['us-east-1'].redis.client();
    const [host, port] = w.sb.regions['us-west-2'].redis.endpoint.split(':');
    await east.call('REPLICAOF', host!, port!);
    east.disconnect();
    const { waitReplicating } = await import('#local/redis-server.ts');
    await waitReplicating(w.sb.regions['us-east-1'].redis);
    const res = await back();
    expect(res.endState).toBe('FailedOver');
    expect(await state(w)).toMatchObject({
      primary: 'us-east-1',
      holder: 'mgmt-east',
      dns: w.t.dns.values['mgmt-east'],
    });
    expect(w.sb.invariants.violations()).toEqual([]);
  });
});

describe('fencing a returning old primary', () => {
  it('fences the old region that thaws after an unplanned failover: a re-run demotes it and it refuses writes', async () => {
    // the sandbox's automatic fencer (the health probe's job) is off: this proves the run itself fences
    const w = await useWorld({ autoFence: false });
    await w.sb.killRegion('us-east-1', 'freeze');
    const res = await run(w);
    expect(res.endState).toBe('FailedOver');
    expect((res.output.lock as { sourceFence: string }).sourceFence).toBe('unreachable');
    // the old region thaws: its Redis is a second primary whose lock still names mgmt-east
    await w.sb.healRegion('us-east-1');
    const again = await run(w);
    expect(again.endState).toBe('FailedOver');
    expect((again.output.plan as { warnings: string[] }).warnings.join(' ')).toMatch(/fences it/);
    const east = w.sb.regions['us-east-1'].redis.client();
    const role = (await east.info('replication')).match(/role:(\w+)/)?.[1];
    east.disconnect();
    expect(role).toBe('slave');
    // the old server is passive now: asked to write, it refuses
    const before = w.sb.regions['us-east-1'].server.refusedWrites;
    await new Promise((r) => setTimeout(r, 300));
    await w.sb.regions['us-east-1'].server.writeNow();
    expect(w.sb.regions['us-east-1'].server.refusedWrites).toBeGreaterThan(before);
    expect(Object.values(w.sb.agents.placement()).every((p) => p === 'mgmt-west')).toBe(true);
  });
});
