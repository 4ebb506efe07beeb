import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { Notifications } from '../../../infra/aws/lib/constructs/notifications.ts';
import { only, resources, TestStack, templateOf, topologyWith } from './support.ts';

describe('notifications', () => {
  it('encrypts the topic with a rotating key that CloudWatch alarms of this account may use, and refuses publishers without TLS', () => {
    // prepare
    const stack = new TestStack();
    // act
    new Notifications(stack, 'Notifications', { topology: topologyWith(), region: 'us-west-2' });
    const t = templateOf(stack);
    // assess
    t.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          }),
        ]),
      },
    });
    t.hasResourceProperties('AWS::SNS::Topic', {
      DisplayName: 'gloo-failover gloo-mgmt (us-west-2)',
      KmsMasterKeyId: Match.anyValue(),
    });
    t.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('keeps undeliverable events 14 days and alarms on the topic as soon as one arrives', () => {
    // prepare
    const stack = new TestStack();
    // act
    new Notifications(stack, 'Notifications', { topology: topologyWith(), region: 'us-west-2' });
    const t = templateOf(stack);
    // assess
    t.hasResourceProperties('AWS::SQS::Queue', {
      MessageRetentionPeriod: 14 * 24 * 3600,
      SqsManagedSseEnabled: true,
    });
    const alarm = only(t, 'AWS::CloudWatch::Alarm');
    expect(alarm.Properties).toMatchObject({
      AlarmName: 'gloo-mgmt-undelivered-events-us-west-2',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [{ Ref: resources(t, 'AWS::SNS::Topic')[0]![0] }],
    });
  });
});
