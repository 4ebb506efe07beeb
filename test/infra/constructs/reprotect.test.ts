import * as logs from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { Notifications } from '../../../infra/aws/lib/constructs/notifications.ts';
import { Reprotect } from '../../../infra/aws/lib/constructs/reprotect.ts';
import { type StepFunction, stepFunction } from '../../../infra/aws/lib/constructs/step-function.ts';
import type { FunctionKey } from '../../../infra/aws/lib/functions.ts';
import {
  deploy,
  functionDefaults,
  resources,
  statementsOf,
  TestStack,
  templateOf,
  topologyWith,
} from './support.ts';

const topology = topologyWith();
const own = topology.servers.find((s) => s.region === 'us-west-2')!;
const peer = topology.servers.find((s) => s !== own)!;

function build() {
  const stack = new TestStack('us-west-2');
  const notifications = new Notifications(stack, 'Notifications', { topology, region: 'us-west-2' });
  const functions: Partial<Record<FunctionKey, StepFunction>> = {};
  for (const k of ['preflight', 'promoteRedis', 'switchLock', 'report', 'requestApproval'] as const)
    functions[k] = stepFunction(stack, k, functionDefaults(), {});
  new Reprotect(stack, 'Reprotect', {
    topology,
    own,
    peer,
    deploy,
    stateMachineName: `${topology.name}-reprotect-from-${own.id}`,
    functions,
    defaults: functionDefaults(),
    logRetention: logs.RetentionDays.ONE_MONTH,
    notify: notifications.notify,
  });
  return templateOf(stack);
}

const actions = (s: { Action: string | string[] }) => [s.Action].flat();
const res = (s: { Resource: unknown }) => [s.Resource].flat().map((r) => JSON.stringify(r));

describe('reprotect (the third state machine)', () => {
  it('defines the reprotect state machine from workflows/reprotect.ts with its function and the partition substituted', () => {
    const t = build();
    const sm = resources(t, 'AWS::StepFunctions::StateMachine').map(([, r]) => r);
    expect(sm).toHaveLength(1);
    expect(sm[0].Properties.StateMachineName).toBe('gloo-mgmt-reprotect-from-mgmt-west');
    expect(Object.keys(sm[0].Properties.DefinitionSubstitutions).sort()).toEqual([
      'partition',
      'reprotect',
      'requestApproval',
    ]);
    expect(sm[0].Properties.DefinitionSubstitutions.partition).toEqual({ Ref: 'AWS::Partition' });
    const asl = JSON.stringify(sm[0].Properties.DefinitionString);
    expect(asl).not.toContain('arn:aws:');
    expect(asl).toContain('AdvanceReprotection');
  });

  it('lets the reprotect function create and delete only the static datastore and the generation patterns', () => {
    const t = build();
    const st = statementsOf(t, 'ReprotectRole');
    const create = st.filter((s) => actions(s).includes('elasticache:CreateGlobalReplicationGroup'));
    expect(create).toHaveLength(1);
    const arns = res(create[0]).join('\n');
    expect(arns).toContain('globalreplicationgroup:*gloo-mgmt-g*');
    expect(arns).toContain('replicationgroup:gloo-mgmt-east-g*');
    expect(arns).toContain('globalreplicationgroup:ldgnf-gloo-mgmt');
    expect(arns).not.toMatch(/replicationgroup:\*"/);
    for (const s of st.filter((x) => res(x).includes('"*"')))
      expect(actions(s).every((a) => a.startsWith('xray:'))).toBe(true); // tracing only
    const put = st.filter((s) => actions(s).includes('ssm:PutParameter'));
    expect(put.flatMap(res).join('\n')).toMatch(
      /us-east-1.*parameter\/gloo-failover\/gloo-mgmt\/redis-datastore/,
    );
    expect(put.flatMap(res).join('\n')).toMatch(
      /us-west-2.*parameter\/gloo-failover\/gloo-mgmt\/redis-datastore/,
    );
  });

  it('lets every step that reaches Redis read the datastore record of its own region, and the promoter follow the new datastore', () => {
    const t = build();
    for (const prefix of ['PreflightRole', 'PromoteRedisRole', 'SwitchLockRole', 'ReportRole']) {
      const get = statementsOf(t, prefix).filter((s) => actions(s).includes('ssm:GetParameter'));
      expect(get.flatMap(res).join('\n'), prefix).toMatch(/us-west-2.*redis-datastore/);
    }
    const failover = statementsOf(t, 'PromoteRedisRole').filter((s) =>
      actions(s).includes('elasticache:FailoverGlobalReplicationGroup'),
    );
    expect(failover.flatMap(res).join('\n')).toContain('globalreplicationgroup:*gloo-mgmt-g*');
  });

  it('alarms when a re-protection run fails', () => {
    const t = build();
    const names = resources(t, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties.AlarmName);
    expect(names).toContain('gloo-mgmt-reprotect-failed-us-west-2');
  });
});
