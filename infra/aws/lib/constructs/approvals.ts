/**
 * Approvals: the token table the gated steps write and the Slack callback reads, and, when
 * approvals.slack is configured, the function that posts the request to Slack and the Slack
 * interactivity endpoint (a Function URL with auth NONE: the Slack signature, checked in code, is
 * the authentication) that resumes the waiting run.
 */
import { CfnOutput, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import type { Topology } from '#lib/topology.ts';
import type { DeployConfig } from '../deploy-config.ts';
import { grantSecret, secretRef } from './access.ts';
import { Concern } from './concern.ts';
import {
  acknowledgeSynchronous,
  type FunctionDefaults,
  type StepFunction,
  stepFunction,
} from './step-function.ts';

/** Props of {@link Approvals}. */
export interface ApprovalsProps {
  topology: Topology;
  deploy: DeployConfig;
  /** The state machines whose waiting runs the Slack callback may resume. */
  stateMachineArns: string[];
  functions: FunctionDefaults;
}

/** The approvals table and, with Slack configured, its two functions and endpoint. */
export class Approvals extends Concern {
  /** The approval token table. */
  readonly table: dynamodb.Table;
  /** The function that asks for an approval in Slack and the one Slack calls back (absent without approvals.slack). */
  readonly functions: { requestApproval?: StepFunction; slackCallback?: StepFunction } = {};
  /** The Slack interactivity endpoint (absent without approvals.slack). */
  readonly slackCallbackUrl?: lambda.FunctionUrl;

  constructor(scope: Construct, id: string, props: ApprovalsProps) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Approvals', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: 'expiresAt',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const slack = props.topology.approvals.slack;
    if (!slack) return;
    const env = { ...props.functions.environment, APPROVALS_TABLE: this.table.tableName };
    const request = stepFunction(this, 'requestApproval', props.functions, env);
    const callback = stepFunction(this, 'slackCallback', props.functions, env);
    this.functions = { requestApproval: request, slackCallback: callback };

    grantSecret(secretRef(this, 'SlackBotToken', slack.botTokenSecret), request, props.deploy);
    grantSecret(secretRef(this, 'SlackSigningSecret', slack.signingSecret), callback, props.deploy);
    // SendTask*: the Service Authorization Reference ("Actions, resources, and condition keys for
    // AWS Step Functions") lists no resource type for these actions, which would mean "*". In
    // practice Step Functions authorizes a Lambda callback against the state machine of the token:
    // AccessDenied names "on resource: arn:...:stateMachine:<name>", and the CDK maintainers' test
    // (aws/aws-cdk pull request 8486) found a state-machine scope works for Lambda callbacks. Decision:
    // scope to this region's state machines (least privilege; a token of any other machine is refused).
    callback.allow(
      ['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat'],
      props.stateMachineArns,
    );
    for (const fn of [request, callback])
      this.table.grant(fn.role, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem');
    acknowledgeSynchronous(request, 'step-functions');
    acknowledgeSynchronous(callback, 'function-url');

    this.slackCallbackUrl = callback.fn.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });
    new CfnOutput(this, 'SlackInteractivityUrl', {
      value: this.slackCallbackUrl.url,
      description: `Request URL of the Slack app of ${Stack.of(this).region} (Interactivity & Shortcuts)`,
    });
  }
}
