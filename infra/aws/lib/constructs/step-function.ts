/**
 * One Lambda function of the orchestrator: NodejsFunction (esbuild, ESM, minified, arm64,
 * nodejs24.x) with its own role (no AWS managed policy but the VPC one when placed in a VPC), its own
 * log group with retention, and X-Ray active tracing. Grants are added by the stack, per resource.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { BUNDLE_SETTINGS, esbuildArgs, externalsFor, type SdkMode } from '../bundling.ts';
import { entryOf, FUNCTION_SPECS, type FunctionKey, REPO_ROOT } from '../functions.ts';
import { acknowledge } from '../nag.ts';

/** Lambda allows 4 KB of environment variables in total. */
export const LAMBDA_ENV_LIMIT_BYTES = 4096;

/** Where a function runs in a VPC. */
export interface VpcPlacement {
  vpc: ec2.IVpc;
  subnets: ec2.ISubnet[];
  securityGroups: ec2.ISecurityGroup[];
}

/** Props of {@link StepFunction}. */
export interface StepFunctionProps {
  key: FunctionKey;
  environment: Record<string, string>;
  /** Log retention of the function's log group. */
  logRetention: logs.RetentionDays;
  /** VPC placement; only used when the function's spec says `vpc: true`. Default: no VPC. */
  placement?: VpcPlacement;
  /** Where the SDK comes from. @default 'bundled' (the measured choice, see bundling.ts) */
  sdkMode?: SdkMode;
  /** Overrides the timeout of the spec (e.g. derived from the topology's verification settings). */
  timeout?: Duration;
  /** Prebuilt code instead of bundling (tests). @default NodejsFunction bundles the entry with esbuild */
  code?: lambda.Code;
  /** Reserved concurrent executions (a floor and a ceiling). @default none: the account's unreserved pool */
  reservedConcurrency?: number;
}

/** A deployed function as the workflow, dashboard and tests see it (a NodejsFunction or a container image). */
export interface DeployedFunction {
  readonly fn: lambda.Function;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  allow(actions: string[], resources: string[], conditions?: Record<string, Record<string, unknown>>): void;
}

/** What every function of a stack shares; each concern adds its own environment. */
export interface FunctionDefaults {
  /** TOPOLOGY_JSON (the topology as written; the handlers apply the defaults) and the Powertools settings. */
  environment: Record<string, string>;
  logRetention: logs.RetentionDays;
  placement?: VpcPlacement;
  sdkMode?: SdkMode;
  /** Prebuilt code per function instead of bundling (tests). @default bundle with esbuild */
  codeFor?: (key: FunctionKey) => lambda.Code | undefined;
  /** Reserved concurrency by function (from the deploy config). @default none */
  reservedConcurrency?: Partial<Record<FunctionKey, number>>;
}

/** The environment every function starts from. */
export function baseEnvironment(topologyDocument: unknown): Record<string, string> {
  return {
    TOPOLOGY_JSON: JSON.stringify(topologyDocument),
    POWERTOOLS_SERVICE_NAME: 'gloo-failover',
    POWERTOOLS_LOG_LEVEL: 'INFO',
  };
}

/** A function of the stack with the shared defaults; its construct id is the key in PascalCase. */
export function stepFunction(
  scope: Construct,
  key: FunctionKey,
  defaults: FunctionDefaults,
  environment: Record<string, string>,
  timeout?: Duration,
): StepFunction {
  return new StepFunction(scope, key.charAt(0).toUpperCase() + key.slice(1), {
    key,
    environment,
    logRetention: defaults.logRetention,
    placement: defaults.placement,
    sdkMode: defaults.sdkMode,
    code: defaults.codeFor?.(key),
    reservedConcurrency: defaults.reservedConcurrency?.[key],
    ...(timeout ? { timeout } : {}),
  });
}

/** The function, its role and its log group. */
export class StepFunction extends Construct {
  /** The Lambda function. */
  readonly fn: nodejs.NodejsFunction;
  /** Its execution role. */
  readonly role: iam.Role;
  /** Its log group. */
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: StepFunctionProps) {
    super(scope, id);
    const spec = FUNCTION_SPECS[props.key];
    const envBytes = Object.entries(props.environment).reduce((n, [k, v]) => n + k.length + v.length, 0);
    if (envBytes > LAMBDA_ENV_LIMIT_BYTES)
      throw new Error(
        `the environment of ${props.key} is ${envBytes} bytes, over Lambda's ${LAMBDA_ENV_LIMIT_BYTES}: shorten the topology file (TOPOLOGY_JSON)`,
      );

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `gloo-failover ${props.key}: ${spec.description}`.slice(0, 1000),
    });
    // Only its own log group (no AWSLambdaBasicExecutionRole, which allows every log group).
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );

    const inVpc = spec.vpc && props.placement;
    if (inVpc) {
      this.role.addManagedPolicy(
        iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaVPCAccessExecutionRole'),
      );
      acknowledge(
        this.role,
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
        'Lambda creates and deletes the ENIs of a VPC function with its execution role; AWS documents these EC2 actions as needing Resource "*" (ec2:DescribeNetworkInterfaces cannot be scoped) and maintains this policy for exactly that. The function code never calls EC2.',
      );
    }

    const sdkMode = props.sdkMode ?? 'bundled';
    this.fn = new nodejs.NodejsFunction(this, 'Function', {
      description: spec.description.slice(0, 256),
      entry: entryOf(props.key),
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: `${REPO_ROOT}/package-lock.json`,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: spec.memoryMB,
      ...(props.reservedConcurrency !== undefined
        ? { reservedConcurrentExecutions: props.reservedConcurrency }
        : {}),
      timeout: props.timeout ?? Duration.seconds(spec.timeoutSeconds),
      role: this.role,
      logGroup: this.logGroup,
      tracing: lambda.Tracing.ACTIVE,
      environment: props.environment,
      ...(props.code ? { code: props.code } : {}),
      bundling: {
        format: nodejs.OutputFormat.ESM,
        target: BUNDLE_SETTINGS.target,
        minify: BUNDLE_SETTINGS.minify,
        keepNames: BUNDLE_SETTINGS.keepNames,
        sourceMap: BUNDLE_SETTINGS.sourcemap,
        mainFields: [...BUNDLE_SETTINGS.mainFields],
        banner: BUNDLE_SETTINGS.banner,
        externalModules: externalsFor(sdkMode),
        esbuildArgs: esbuildArgs(),
      },
      ...(inVpc
        ? {
            vpc: props.placement!.vpc,
            vpcSubnets: { subnets: props.placement!.subnets },
            securityGroups: props.placement!.securityGroups,
          }
        : {}),
    });
    acknowledge(
      this.role,
      ['AwsSolutions-IAM5[Resource::*]', 'Serverless-StarPermissions'],
      'X-Ray active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords do not support resource-level permissions (added by Lambda tracing).',
    );
  }

  /** Adds a statement to the function's role. */
  allow(actions: string[], resources: string[], conditions?: Record<string, Record<string, unknown>>): void {
    this.role.addToPolicy(
      new iam.PolicyStatement({ actions, resources, ...(conditions ? { conditions } : {}) }),
    );
  }
}

/**
 * Acknowledges what an asynchronously invoked function (trigger, probe) does instead of a DLQ, and
 * its publishing to the KMS-encrypted topic (its OnFailure destination).
 */
export function acknowledgeAsync(fn: StepFunction): void {
  acknowledge(
    fn,
    'Serverless-LambdaDLQ',
    'Asynchronous failures go to the OnFailure destination (the notification topic), which carries the error and supersedes a DLQ; EventBridge delivery failures go to the events dead-letter queue.',
  );
  acknowledgeEncryptedPublish(fn);
}

/** Acknowledges the KMS data-key actions that publishing to the encrypted topic needs. */
export function acknowledgeEncryptedPublish(fn: StepFunction): void {
  acknowledge(
    fn.role,
    'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
    "sns:Publish to the KMS-encrypted notification topic: topic.grantPublish grants kms:Decrypt and kms:GenerateDataKey* (the data-key variants SNS uses) on that one key's ARN only.",
  );
}

/** Acknowledges that a synchronously invoked function has no asynchronous failure to capture. */
export function acknowledgeSynchronous(fn: StepFunction, invokedBy: 'step-functions' | 'function-url'): void {
  acknowledge(
    fn,
    ['Serverless-LambdaDLQ', 'Serverless-LambdaAsyncFailureDestination'],
    invokedBy === 'function-url'
      ? 'Invoked synchronously through its Function URL (Slack waits for the answer); there is no asynchronous invocation to capture.'
      : 'Invoked synchronously by Step Functions; failures are routed by the workflow (Retry/Catch on the error name), never lost.',
  );
}
