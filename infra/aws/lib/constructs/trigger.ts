/**
 * The alarm trigger: the peer's alarms (the topology's alarmNames, the probe's relay alarm first)
 * reach, through EventBridge, a Lambda that starts one failover execution into this region per
 * incident. Undeliverable events go to the dead-letter queue; failed invocations to the topic.
 */
import { Annotations, ArnFormat, Duration, Stack, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import type { Construct } from 'constructs';
import type { Server, Topology } from '#lib/topology.ts';
import { acknowledge } from '../nag.ts';
import { stateMachineName } from '../names.ts';
import { Concern } from './concern.ts';
import type { Notifications } from './notifications.ts';
import { acknowledgeAsync, type FunctionDefaults, type StepFunction, stepFunction } from './step-function.ts';

/** Props of {@link Trigger}. */
export interface TriggerProps {
  topology: Topology;
  own: Server;
  peer: Server;
  /** The ARN of this region's failover state machine (built from its name: no dependency). */
  failoverStateMachineArn: string;
  notifications: Notifications;
  functions: FunctionDefaults;
}

/** The EventBridge pattern of the alarms that start a failover. */
export function alarmEventPattern(alarmNames: string[]): events.EventPattern {
  return {
    source: ['aws.cloudwatch'],
    detailType: ['CloudWatch Alarm State Change'],
    detail: { alarmName: alarmNames, state: { value: ['ALARM'] } },
  };
}

/** The trigger function and the rule on the peer's alarms. */
export class Trigger extends Concern {
  /** The trigger function. */
  readonly function: StepFunction;
  /** The rule that starts a failover on the peer's alarms (absent without alarm names). */
  readonly alarmRule?: events.Rule;

  constructor(scope: Construct, id: string, props: TriggerProps) {
    super(scope, id);
    const { topology: t, own, peer, notifications } = props;
    this.function = stepFunction(this, 'trigger', props.functions, {
      ...props.functions.environment,
      FAILOVER_STATE_MACHINE_ARN: props.failoverStateMachineArn,
      TARGET_SERVER: own.id,
    });
    const fn = this.function;
    fn.allow(['states:StartExecution'], [props.failoverStateMachineArn]);
    // An incident's earlier runs, to tell "still running" from "ended before this alarm".
    const machine = stateMachineName(t, { direction: 'failover', targetServer: own.id });
    const stack = Stack.of(this);
    const executions = stack.formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${machine}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    fn.allow(['states:DescribeExecution'], [executions]);
    acknowledge(
      fn.role,
      // cdk-nag names the account as written: the pseudo parameter, or the deploy config's account.
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:${stack.region}:${Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account}:execution:${machine}:*]`,
      "states:DescribeExecution (read-only) on this region's failover executions: the trigger reads the status of an incident's earlier run, whose name it only knows at run time.",
    );
    acknowledgeAsync(fn);
    fn.fn.configureAsyncInvoke({
      onFailure: new destinations.SnsDestination(notifications.topic),
      retryAttempts: 2,
      maxEventAge: Duration.minutes(30),
    });

    // decide() only starts runs for the topology's alarm names; the probe's relay alarm is the first.
    if (peer.alarmNames.length === 0) {
      Annotations.of(stack).addWarningV2(
        'gloo-failover:noAlarmTrigger',
        `no alarmNames for ${peer.id}: alarm-triggered failover to ${own.id} is off (start runs by hand)`,
      );
      return;
    }
    this.alarmRule = new events.Rule(this, 'AlarmTrigger', {
      description: `Alarms that mean ${peer.id} (${peer.region}) is down start a failover to ${own.id}`,
      eventPattern: alarmEventPattern(peer.alarmNames),
      targets: [
        new targets.LambdaFunction(fn.fn, {
          deadLetterQueue: notifications.deadLetters,
          retryAttempts: 4,
          maxEventAge: Duration.hours(1),
        }),
      ],
    });
  }
}
