import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { loadTopology } from '#lib/topology.ts';
import { buildWorkflow, type WorkflowFunctions } from '#workflows/definition.ts';
import { workflowFor } from '#workflows/from-topology.ts';

const t = loadTopology('infra/topology.example.json');
const arn = (name: string) => `arn:aws:lambda:eu-west-1:123456789012:function:gloo-failover-${name}`;
const functions: WorkflowFunctions = {
  preflight: arn('preflight'),
  verifyOutage: arn('verify-outage'),
  verifyRecovered: arn('verify-recovered'),
  promoteRedis: arn('promote-redis'),
  switchLock: arn('switch-lock'),
  repointDns: arn('repoint-dns'),
  confirmReconnect: arn('confirm-reconnect'),
  report: arn('report'),
  requestApproval: arn('request-approval'),
};

function validate(def: unknown) {
  const { isValid, errors } = aslValidator(structuredClone(def), { checkPaths: true, checkArn: true });
  return { isValid, errors: errors.map((e: { message: string }) => e.message) };
}

describe('workflow definition', () => {
  const failover = workflowFor(t, { direction: 'failover', targetServer: 'mgmt-west' }, functions);
  const failback = workflowFor(t, { direction: 'failback', targetServer: 'mgmt-east' }, functions);

  it('produces valid ASL for failover and failback, with and without gates', () => {
    expect(validate(failover)).toEqual({ isValid: true, errors: [] });
    expect(validate(failback)).toEqual({ isValid: true, errors: [] });
    const noGates = workflowFor(
      { ...t, approvals: { ...t.approvals, gates: [] } },
      { direction: 'failover', targetServer: 'mgmt-west' },
      functions,
    );
    expect(validate(noGates)).toEqual({ isValid: true, errors: [] });
    expect(Object.keys(noGates.States)).not.toContain('SetOutcomeRejected');
    const allGates = workflowFor(
      {
        ...t,
        approvals: {
          ...t.approvals,
          gates: ['before-promotion', 'before-dns'],
          onTimeout: 'proceed-if-alarm',
        },
      },
      { direction: 'failover', targetServer: 'mgmt-west' },
      functions,
    );
    expect(validate(allGates)).toEqual({ isValid: true, errors: [] });
  });

  it('makes failback the mirror of a failover in the same switch order: same steps, regions swapped, recovery check instead of outage check', () => {
    const strictFailover = workflowFor(t, { direction: 'failover', targetServer: 'mgmt-west' }, functions, {
      order: 'strict',
    });
    const swap = (s: string) =>
      s
        .replaceAll('VerifySourceOutage', 'VERIFY')
        .replaceAll('VerifyTargetRecovered', 'VERIFY')
        .replaceAll('OutageNotConfirmed', 'NOTCONFIRMED')
        .replaceAll('RecoveryNotConfirmed', 'NOTCONFIRMED')
        .replaceAll(functions.verifyOutage, 'VERIFYFN')
        .replaceAll(functions.verifyRecovered, 'VERIFYFN')
        .replaceAll('before-promotion', 'GATE')
        .replaceAll('before-failback', 'GATE')
        .replaceAll('failover', 'DIRECTION')
        .replaceAll('failback', 'DIRECTION');
    const normalise = (def: typeof failover, a: [string, string], b: [string, string]) =>
      swap(JSON.stringify({ ...def, Comment: '' }))
        .replaceAll(a[0], 'SOURCE')
        .replaceAll(a[1], 'SOURCE_REGION')
        .replaceAll(b[0], 'TARGET')
        .replaceAll(b[1], 'TARGET_REGION');
    expect(failover.States.DescribeRun).toMatchObject({
      Parameters: { run: { source: { server: 'mgmt-east' }, target: { server: 'mgmt-west' } } },
    });
    expect(failback.States.DescribeRun).toMatchObject({
      Parameters: { run: { source: { server: 'mgmt-west' }, target: { server: 'mgmt-east' } } },
    });
    expect(failover.States).toHaveProperty('VerifySourceOutage');
    expect(failback.States).toHaveProperty('VerifyTargetRecovered');
    expect(normalise(failback, ['mgmt-west', 'us-west-2'], ['mgmt-east', 'us-east-1'])).toBe(
      normalise(strictFailover, ['mgmt-east', 'us-east-1'], ['mgmt-west', 'us-west-2']),
    );
  });

  /** The Task states from the first switch step to the reconnection check, following `Next` and the success branches. */
  const switchPath = (def: typeof failover) => {
    const states = def.States as Record<
      string,
      { Type: string; Next?: string; Default?: string; Choices?: { Next: string }[] }
    >;
    const path: string[] = [];
    let name: string | undefined = (states.CheckAlreadyActive!.Choices ?? [])[1]!.Next;
    while (name && name !== 'ConfirmAgentsReconnected' && path.length < 30) {
      const st: (typeof states)[string] = states[name]!;
      if (st.Type === 'Task') path.push(name);
      // Choice: the first rule is the success branch (complete / dry run); Wait loops are skipped.
      name = st.Type === 'Choice' ? (name === 'CheckDryRun' ? st.Default : st.Choices![0]!.Next) : st.Next;
    }
    return path;
  };

  it('overlaps a failover (DNS first, then the promotion, then the lock) and keeps a failback strict; the lock always moves after the promotion', () => {
    // prepare: write-to-one (the lock step exists) and the example's write-to-all (it does not)
    const one = loadTopology('infra/topology.write-to-one.example.json');
    const route = (direction: 'failover' | 'failback', gates = one.approvals.gates) =>
      workflowFor(
        { ...one, approvals: { ...one.approvals, gates } },
        { direction, targetServer: direction === 'failover' ? 'mgmt-west' : 'mgmt-east' },
        functions,
      );
    const withDnsGate = route('failover', ['before-dns']);
    // act
    const paths = {
      failover: switchPath(route('failover')),
      failback: switchPath(route('failback')),
      withDnsGate: switchPath(withDnsGate),
      writeToAllFailover: switchPath(failover),
      writeToAllFailback: switchPath(failback),
    };
    // assess
    expect(paths).toEqual({
      failover: ['RepointDns', 'StartRedisPromotion', 'SwitchGlobalLock'],
      failback: ['StartRedisPromotion', 'SwitchGlobalLock', 'RepointDns'],
      withDnsGate: ['StartRedisPromotion', 'SwitchGlobalLock', 'ApproveDnsChange', 'RepointDns'],
      writeToAllFailover: ['RepointDns', 'StartRedisPromotion'],
      writeToAllFailback: ['StartRedisPromotion', 'RepointDns'],
    });
    for (const def of [failover, failback, withDnsGate]) {
      // reconnection is polled right after the last switch step: no INSYNC wait in between
      expect(Object.keys(def.States)).not.toContain('WaitForDnsInSync');
      expect(def.States.CheckDryRun).toMatchObject({ Default: 'ConfirmAgentsReconnected' });
    }
    // a DNS failure before the promotion changed nothing else; after it, the run halted after it
    expect(failover.States.RepointDns).toMatchObject({ Catch: [{ Next: 'SetOutcomeDnsChangeFailed' }] });
    expect(failback.States.RepointDns).toMatchObject({ Catch: [{ Next: 'SetOutcomeHaltedAfterPromotion' }] });
  });

  it('puts a TimeoutSeconds and a jittered, bounded Retry on every Task', () => {
    for (const [name, st] of Object.entries(failover.States) as [string, Record<string, unknown>][]) {
      if (st.Type !== 'Task') continue;
      expect(st.TimeoutSeconds, name).toBeGreaterThan(0);
      if (String(st.Resource).includes('waitForTaskToken')) continue; // approvals are never retried
      const r = (st.Retry as Record<string, unknown>[])[0]!;
      expect(r, name).toMatchObject({ JitterStrategy: 'FULL', MaxDelaySeconds: 30 });
    }
  });

  it('keeps polling loops bounded by a Choice on the poll count', () => {
    const def = buildWorkflow({
      direction: 'failover',
      source: { server: 'mgmt-east', region: 'us-east-1' },
      target: { server: 'mgmt-west', region: 'us-west-2' },
      functions,
      gates: [],
      approval: { timeoutSeconds: 900, onTimeout: 'reject' },
      promotion: { seconds: 10, maxPolls: 7 },
      reconnect: { seconds: 5, maxPolls: 3 },
    });
    expect(JSON.stringify(def.States.CheckRedisPromotion)).toContain('"NumericGreaterThanEquals":7');
    expect(def.States.WaitForAgents).toEqual({ Type: 'Wait', Seconds: 5, Next: 'ConfirmAgentsReconnected' });
  });
});
