import { Duration } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { describe, expect, it } from 'vitest';
import { Notifications } from '../../../infra/aws/lib/constructs/notifications.ts';
import { WorkflowSteps } from '../../../infra/aws/lib/constructs/workflow-steps.ts';
import {
  deploy,
  functionDefaults,
  resources,
  statementsOf,
  TestStack,
  templateOf,
  topologyWith,
} from './support.ts';

const machines = ['arn:aws:states:us-east-1:123456789012:stateMachine:gloo-mgmt-failover-to-mgmt-east'];

function build(failback: boolean) {
  const stack = new TestStack('us-east-1');
  const topology = topologyWith();
  const notifications = new Notifications(stack, 'Notifications', { topology, region: 'us-east-1' });
  const clustersTable = new dynamodb.Table(stack, 'Clusters', {
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
  });
  const steps = new WorkflowSteps(stack, 'WorkflowSteps', {
    topology,
    deploy,
    own: topology.servers[0]!,
    failback,
    stateMachineArns: machines,
    verifyTimeout: Duration.seconds(55),
    clustersTable,
    notifications,
    functions: functionDefaults(),
  });
  return { steps, t: templateOf(stack) };
}

const allowed = (t: ReturnType<typeof build>['t'], role: string) =>
  statementsOf(t, role).flatMap((s) => [s.Action].flat() as string[]);

describe('workflow steps', () => {
  it('deploys verify-recovered only where the failback workflow lives, with the verify timeout', () => {
    // prepare + act
    const home = build(true);
    const other = build(false);
    // assess
    expect(Object.keys(home.steps.functions)).toContain('verifyRecovered');
    expect(Object.keys(other.steps.functions)).not.toContain('verifyRecovered');
    expect(Object.keys(other.steps.functions)).toEqual([
      'preflight',
      'verifyOutage',
      'promoteRedis',
      'repointDns',
      'confirmReconnect',
      'report',
    ]);
    const verify = resources(home.t, 'AWS::Lambda::Function').filter(([id]) => id.startsWith('Verify'));
    expect(verify.map(([, f]) => f.Properties.Timeout)).toEqual([55, 55]);
  });

  it('lets only promote-redis fail over or disassociate the datastore, and only repoint-dns change the record', () => {
    // prepare + act
    const { t } = build(true);
    // assess
    const roles = resources(t, 'AWS::IAM::Role').map(([id]) => id.replace(/[0-9A-F]{8}$/, ''));
    for (const role of roles) {
      const actions = allowed(t, role);
      expect(actions.includes('elasticache:FailoverGlobalReplicationGroup'), role).toBe(
        role === 'PromoteRedisRole',
      );
      expect(actions.includes('route53:ChangeResourceRecordSets'), role).toBe(role === 'RepointDnsRole');
      expect(actions.includes('sns:Publish'), role).toBe(role === 'ReportRole');
    }
    expect(allowed(t, 'PreflightRole')).toEqual(
      expect.arrayContaining(['states:ListExecutions', 'dynamodb:GetItem']),
    );
  });
});
