import { describe, expect, it } from 'vitest';
import { Approvals } from '../../../infra/aws/lib/constructs/approvals.ts';
import {
  deploy,
  functionDefaults,
  resources,
  statementsOf,
  TestStack,
  templateOf,
  topologyWith,
} from './support.ts';

const machines = ['arn:aws:states:us-west-2:123456789012:stateMachine:gloo-mgmt-failover-to-mgmt-west'];

describe('approvals', () => {
  it('keeps only the token table when Slack is not configured: no function, no public endpoint', () => {
    // prepare
    const stack = new TestStack();
    const topology = topologyWith((d) => {
      d.approvals = { gates: [] };
    });
    // act
    const approvals = new Approvals(stack, 'Approvals', {
      topology,
      deploy,
      stateMachineArns: machines,
      functions: functionDefaults(),
    });
    // assess
    const t = templateOf(stack);
    t.resourceCountIs('AWS::DynamoDB::Table', 1);
    t.resourceCountIs('AWS::Lambda::Function', 0);
    expect(approvals.slackCallbackUrl).toBeUndefined();
    expect(approvals.functions).toEqual({});
  });

  it('exposes the Slack callback as a Function URL that may only resume the given state machines', () => {
    // prepare
    const stack = new TestStack();
    // act
    new Approvals(stack, 'Approvals', {
      topology: topologyWith(),
      deploy,
      stateMachineArns: machines,
      functions: functionDefaults(),
    });
    // assess
    const t = templateOf(stack);
    t.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'NONE' });
    expect(Object.keys(t.findOutputs('*'))).toEqual(['SlackInteractivityUrl']);
    const callback = statementsOf(t, 'SlackCallbackRole');
    expect(callback.find((s) => [s.Action].flat().includes('states:SendTaskSuccess')).Resource).toEqual(
      machines[0],
    );
    expect(
      statementsOf(t, 'RequestApprovalRole').some((s) =>
        [s.Action].flat().includes('states:SendTaskSuccess'),
      ),
    ).toBe(false);
    const table = resources(t, 'AWS::DynamoDB::Table')[0]![0];
    for (const role of ['SlackCallbackRole', 'RequestApprovalRole'])
      expect(
        [
          statementsOf(t, role).find((s) => [s.Action].flat().includes('dynamodb:UpdateItem')).Resource,
        ].flat(),
      ).toContainEqual({ 'Fn::GetAtt': [table, 'Arn'] });
  });
});
