/**
 * Where notices and failures go: an encrypted SNS topic that refuses publishers without TLS (run
 * reports, alarms, asynchronous Lambda failures), and the dead-letter queue of the EventBridge
 * targets (undeliverable alarm and schedule events) with the alarm that says it holds anything.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { Topology } from '#lib/topology.ts';
import { acknowledge } from '../nag.ts';
import { Concern } from './concern.ts';

/** Props of {@link Notifications}. */
export interface NotificationsProps {
  topology: Topology;
  /** The region of the stack (named in the topic's display name and the alarm's name). */
  region: string;
}

/** The notification topic and the events dead-letter queue. */
export class Notifications extends Concern {
  /** The run-notification topic (KMS-encrypted, TLS only). */
  readonly topic: sns.Topic;
  /** The alarm action that publishes to the topic. */
  readonly notify: cwActions.SnsAction;
  /** The dead-letter queue of the EventBridge targets. */
  readonly deadLetters: sqs.Queue;

  constructor(scope: Construct, id: string, props: NotificationsProps) {
    super(scope, id);
    const t = props.topology;
    const key = new kms.Key(this, 'NotifyKey', {
      description: `gloo-failover ${t.name}: run notifications and alarms`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // CloudWatch alarms publish to the encrypted topic.
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    this.topic = new sns.Topic(this, 'Notifications', {
      displayName: `gloo-failover ${t.name} (${props.region})`,
      masterKey: key,
      enforceSSL: true,
    });
    this.notify = new cwActions.SnsAction(this.topic);

    this.deadLetters = new sqs.Queue(this, 'EventsDeadLetters', {
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    acknowledge(
      this.deadLetters,
      ['AwsSolutions-SQS3', 'Serverless-SQSRedrivePolicy'],
      'This queue IS the dead-letter queue of the EventBridge targets (undeliverable alarm and schedule events); a DLQ has no DLQ of its own. An alarm notifies when it holds anything.',
    );
    new cloudwatch.Alarm(this, 'DeadLettersAlarm', {
      alarmName: `${t.name}-undelivered-events-${props.region}`,
      alarmDescription:
        'An alarm or schedule event could not be delivered to its Lambda (see the dead-letter queue).',
      metric: this.deadLetters.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: 'Maximum',
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }).addAlarmAction(this.notify);
  }
}
