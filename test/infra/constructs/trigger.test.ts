import { describe, expect, it } from 'vitest';
import { Notifications } from '../../../infra/aws/lib/constructs/notifications.ts';
import { Trigger } from '../../../infra/aws/lib/constructs/trigger.ts';
import {
  functionDefaults,
  only,
  resources,
  statementsOf,
  TestStack,
  templateOf,
  topologyWith,
  warningsOf,
} from './support.ts';

const failover = 'arn:aws:states:us-west-2:123456789012:stateMachine:gloo-mgmt-failover-to-mgmt-west';

function build(alarmNames?: string[]) {
  const stack = new TestStack();
  const topology = topologyWith((d) => {
    if (alarmNames) d.servers[0].alarmNames = alarmNames;
  });
  const [east, west] = topology.servers as [(typeof topology.servers)[0], (typeof topology.servers)[0]];
  const notifications = new Notifications(stack, 'Notifications', { topology, region: 'us-west-2' });
  const trigger = new Trigger(stack, 'Trigger', {
    topology,
    own: west,
    peer: east,
    failoverStateMachineArn: failover,
    notifications,
    functions: functionDefaults(),
  });
  return { stack, trigger };
}

describe('alarm trigger', () => {
  it("starts the failover on the peer's alarms going to ALARM, retrying delivery into the dead-letter queue", () => {
    // prepare + act
    const { stack } = build(['gloo-mgmt-east-relay-down', 'gloo-mgmt-east-health']);
    // assess
    const t = templateOf(stack);
    const rule = only(t, 'AWS::Events::Rule');
    expect(rule.Properties.EventPattern).toEqual({
      source: ['aws.cloudwatch'],
      'detail-type': ['CloudWatch Alarm State Change'],
      detail: {
        alarmName: ['gloo-mgmt-east-relay-down', 'gloo-mgmt-east-health'],
        state: { value: ['ALARM'] },
      },
    });
    const [target] = rule.Properties.Targets;
    expect(target!.RetryPolicy).toEqual({ MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 4 });
    expect(target!.DeadLetterConfig).toEqual({
      Arn: { 'Fn::GetAtt': [resources(t, 'AWS::SQS::Queue')[0]![0], 'Arn'] },
    });
    const starts = statementsOf(t, 'TriggerRole').filter((s) =>
      [s.Action].flat().includes('states:StartExecution'),
    );
    expect(starts.map((s) => s.Resource)).toEqual([failover]);
  });

  it('creates no rule, and warns, when the peer has no alarm names (runs start by hand)', () => {
    // prepare + act
    const { stack, trigger } = build([]);
    // assess
    expect(trigger.alarmRule).toBeUndefined();
    templateOf(stack).resourceCountIs('AWS::Events::Rule', 0);
    expect(warningsOf(stack)).toEqual([
      expect.stringMatching(/^no alarmNames for mgmt-east: alarm-triggered failover/),
    ]);
  });
});
