import * as logs from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { Notifications } from '../../../infra/aws/lib/constructs/notifications.ts';
import { type StepFunction, stepFunction } from '../../../infra/aws/lib/constructs/step-function.ts';
import { Workflow } from '../../../infra/aws/lib/constructs/workflow.ts';
import type { FunctionKey } from '../../../infra/aws/lib/functions.ts';
import { functionDefaults, only, TestStack, templateOf, topologyWith } from './support.ts';

const topology = topologyWith();
const route = { direction: 'failover', targetServer: 'mgmt-west' } as const;

function build(keys: FunctionKey[]) {
  const stack = new TestStack();
  const notifications = new Notifications(stack, 'Notifications', { topology, region: 'us-west-2' });
  const functions: Partial<Record<FunctionKey, StepFunction>> = {};
  for (const k of keys) functions[k] = stepFunction(stack, k, functionDefaults(), {});
  const workflow = () =>
    new Workflow(stack, 'Failover', {
      topology,
      route,
      functions,
      logRetention: logs.RetentionDays.ONE_MONTH,
      notify: notifications.notify,
    });
  return { stack, workflow };
}

const ALL: FunctionKey[] = [
  'preflight',
  'verifyOutage',
  'promoteRedis',
  'switchLock',
  'repointDns',
  'confirmReconnect',
  'report',
  'requestApproval',
];

describe('workflow', () => {
  it('refuses a definition that names a function the region does not deploy', () => {
    // prepare
    const { workflow } = build(ALL.filter((k) => k !== 'requestApproval'));
    // act + assess
    expect(workflow).toThrow('the failover workflow uses requestApproval, which this region does not deploy');
  });

  it('names, logs without execution data, traces, and alarms on failed runs', () => {
    // prepare
    const { stack, workflow } = build(ALL);
    // act
    workflow();
    // assess
    const t = templateOf(stack);
    const sm = only(t, 'AWS::StepFunctions::StateMachine');
    expect(sm.Properties).toMatchObject({
      StateMachineName: 'gloo-mgmt-failover-to-mgmt-west',
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: false },
    });
    t.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: '/aws/vendedlogs/states/gloo-mgmt-failover-to-mgmt-west',
    });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'gloo-mgmt-failover-failed-us-west-2',
      MetricName: 'ExecutionsFailed',
    });
  });
});
