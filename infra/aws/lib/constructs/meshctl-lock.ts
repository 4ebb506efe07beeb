/**
 * The lock step for the `meshctl` lock adapter (write-to-one): a Lambda container image (CDK
 * `DockerImageFunction`, arm64) holding the bundled switch-lock handler and a pinned meshctl
 * (infra/aws/lock-image/Dockerfile, version from the topology's `lock.version` as a build argument).
 * Synth stays offline: the handler is bundled with esbuild into a staging directory next to the
 * Dockerfile and CDK only stages that directory as an image asset; the image is built and pushed
 * by `cdk deploy` (docker needed there, and network to fetch the meshctl release).
 *
 * Kube access: the function writes a kubeconfig for this region's management cluster with a token
 * it signs itself (functions/lib/lock/eks-token.ts), and this construct creates the EKS access
 * entry that lets its role in: `AWS::EKS::AccessEntry` on the named cluster, type STANDARD, with the
 * configured access policy (default AmazonEKSEditPolicy) scoped to the configured namespaces
 * (default gloo-mesh). What switch-active needs in the cluster is not public: both are configurable.
 */
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as eks from 'aws-cdk-lib/aws-eks';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { buildSync } from 'esbuild';
import type { Server, Topology } from '#lib/topology.ts';
import { esbuildOptions } from '../bundling.ts';
import { entryOf, REPO_ROOT } from '../functions.ts';
import { acknowledge } from '../nag.ts';
import type { VpcPlacement } from './step-function.ts';

/** The directory holding the Dockerfile of the lock image. */
export const LOCK_IMAGE_DIR = join(REPO_ROOT, 'infra', 'aws', 'lock-image');

/** Props of {@link MeshctlLockFunction}. */
export interface MeshctlLockFunctionProps {
  topology: Topology;
  /** This region's server: its EKS cluster gets the access entry (failover and failback both target it). */
  own: Server;
  environment: Record<string, string>;
  logRetention: logs.RetentionDays;
  /** VPC placement (it reaches the EKS API endpoint and Redis). Default: no VPC. */
  placement?: VpcPlacement;
}

/** The meshctl lock function, its role, log group and EKS access entry. */
export class MeshctlLockFunction extends Construct {
  /** The Lambda function (a container image). */
  readonly fn: lambda.DockerImageFunction;
  /** Its execution role. */
  readonly role: iam.Role;
  /** Its log group. */
  readonly logGroup: logs.LogGroup;
  /** The EKS access entry of its role on this region's management cluster (absent without `eks`). */
  readonly accessEntry?: eks.CfnAccessEntry;

  constructor(scope: Construct, id: string, props: MeshctlLockFunctionProps) {
    super(scope, id);
    const l = props.topology.lock;
    if (l.adapter !== 'meshctl') throw new Error('MeshctlLockFunction needs lock.adapter "meshctl"');
    if (!l.version)
      throw new Error(
        'lock.version: required to deploy the meshctl lock function (the pinned meshctl version, e.g. v2.6.7)',
      );
    const settings = l.servers[props.own.id];

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `gloo-failover switchLock: meshctl experimental switch-active for ${props.own.id}`,
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    if (props.placement) {
      this.role.addManagedPolicy(
        iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaVPCAccessExecutionRole'),
      );
      acknowledge(
        this.role,
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
        'Lambda creates and deletes the ENIs of a VPC function with its execution role; AWS documents these EC2 actions as needing Resource "*" and maintains this policy for exactly that. The function code never calls EC2.',
      );
    }

    this.fn = new lambda.DockerImageFunction(this, 'Function', {
      description: `Step 5 (write-to-one): meshctl experimental switch-active (meshctl ${l.version})`,
      code: lambda.DockerImageCode.fromImageAsset(stageImageContext(), {
        buildArgs: { MESHCTL_VERSION: l.version },
        platform: Platform.LINUX_ARM64,
      }),
      architecture: lambda.Architecture.ARM_64,
      memorySize: 512,
      // Below the ASL Task's timeout (meshctl timeout + 30 s), above meshctl's own.
      timeout: Duration.seconds(l.timeoutSeconds + 15),
      role: this.role,
      logGroup: this.logGroup,
      tracing: lambda.Tracing.ACTIVE,
      environment: props.environment,
      ...(props.placement
        ? {
            vpc: props.placement.vpc,
            vpcSubnets: { subnets: props.placement.subnets },
            securityGroups: props.placement.securityGroups,
          }
        : {}),
    });
    acknowledge(
      this.role,
      ['AwsSolutions-IAM5[Resource::*]', 'Serverless-StarPermissions'],
      'X-Ray active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords do not support resource-level permissions (added by Lambda tracing).',
    );

    if (settings?.eks) {
      const partition = Stack.of(this).partition;
      this.accessEntry = new eks.CfnAccessEntry(this, 'AccessEntry', {
        clusterName: settings.eks.clusterName,
        principalArn: this.role.roleArn,
        type: 'STANDARD',
        accessPolicies: [
          {
            policyArn: `arn:${partition}:eks::aws:cluster-access-policy/${settings.eks.accessPolicy}`,
            accessScope: { type: 'namespace', namespaces: settings.eks.namespaces },
          },
        ],
      });
    }
  }

  /** Adds a statement to the function's role. */
  allow(actions: string[], resources: string[], conditions?: Record<string, Record<string, unknown>>): void {
    this.role.addToPolicy(
      new iam.PolicyStatement({ actions, resources, ...(conditions ? { conditions } : {}) }),
    );
  }
}

/** The Docker build context: the Dockerfile and the esbuild bundle of the switch-lock handler. */
function stageImageContext(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gloo-lock-image-'));
  copyFileSync(join(LOCK_IMAGE_DIR, 'Dockerfile'), join(dir, 'Dockerfile'));
  buildSync({
    ...esbuildOptions(entryOf('switchLock'), join(dir, 'index.mjs'), 'bundled'),
    metafile: false,
  });
  return dir;
}
