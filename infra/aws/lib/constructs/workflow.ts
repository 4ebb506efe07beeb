/**
 * One workflow (failover or failback into this region): a Standard state machine defined by the
 * workflows/ ASL with the Lambda ARNs substituted at deploy time, its log group, an invoke policy
 * on exactly the functions the definition names, and an alarm on failed runs.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { Topology } from '#lib/topology.ts';
import { type Route, workflowFor } from '#workflows/from-topology.ts';
import type { FunctionKey } from '../functions.ts';
import { acknowledge } from '../nag.ts';
import { PLACEHOLDER_FUNCTIONS, pascal, placeholder, stateMachineName, WORKFLOW_KEYS } from '../names.ts';
import { Concern } from './concern.ts';
import type { DeployedFunction } from './step-function.ts';

/** Props of {@link Workflow}. */
export interface WorkflowProps {
  topology: Topology;
  route: Route;
  /** The functions this region deploys; every one the definition names must be among them. */
  functions: Partial<Record<FunctionKey, DeployedFunction>>;
  logRetention: logs.RetentionDays;
  /** Where the failed-run alarm notifies. */
  notify: cwActions.SnsAction;
}

/** The state machine of one route, its logs and its failed-run alarm. */
export class Workflow extends Concern {
  /** The state machine. */
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: WorkflowProps) {
    super(scope, id);
    const { topology: t, route } = props;
    const name = stateMachineName(t, route);
    // Service-integration ARNs name the stack's partition (aws, aws-us-gov, aws-cn), substituted at deploy.
    const definition = JSON.stringify(
      workflowFor(t, route, PLACEHOLDER_FUNCTIONS, { partition: placeholder('partition') }),
    );
    const used = WORKFLOW_KEYS.filter((k) => definition.includes(placeholder(k)));
    const arnOf = (k: FunctionKey) => {
      const fn = props.functions[k];
      if (!fn)
        throw new Error(`the ${route.direction} workflow uses ${k}, which this region does not deploy`);
      return fn.fn.functionArn;
    };
    const machineId = `${pascal(route.direction)}Workflow`;
    const logGroup = new logs.LogGroup(this, `${machineId}Logs`, {
      logGroupName: `/aws/vendedlogs/states/${name}`,
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stateMachine = new sfn.StateMachine(this, machineId, {
      stateMachineName: name,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromString(definition),
      definitionSubstitutions: {
        ...Object.fromEntries(used.map((k) => [k, arnOf(k)])),
        partition: Stack.of(this).partition,
      },
      // Execution data may carry secrets-adjacent detail (approver ids, lock values): not logged.
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
      tracingEnabled: true,
    });
    // Only the unqualified ARNs the definition names (grantInvoke would add `:*` versions too).
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: used.map(arnOf) }),
    );
    acknowledge(
      this.stateMachine,
      ['AwsSolutions-IAM5[Resource::*]', 'Serverless-StarPermissions'],
      'Added by Step Functions logging and X-Ray: logs:CreateLogDelivery/GetLogDelivery/UpdateLogDelivery/DeleteLogDelivery/ListLogDeliveries/PutResourcePolicy/DescribeResourcePolicies/DescribeLogGroups and xray:PutTraceSegments/PutTelemetryRecords/GetSamplingRules/GetSamplingTargets do not support resource-level permissions.',
    );

    const region = Stack.of(this).region;
    new cloudwatch.Alarm(this, `${pascal(route.direction)}RunFailedAlarm`, {
      alarmName: `${t.name}-${route.direction}-failed-${region}`,
      alarmDescription: `A ${route.direction} run into ${region} ended in a Fail state (see its report on the topic).`,
      metric: this.stateMachine.metricFailed({ period: Duration.minutes(1), statistic: 'Sum' }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }).addAlarmAction(props.notify);
  }
}
