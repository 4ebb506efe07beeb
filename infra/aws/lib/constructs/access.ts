/**
 * Grants shared by several concerns: the Redis AUTH secret, the ElastiCache resources, and secret
 * references (by name or ARN; never created here).
 */
import { type Stack, Stack as StackClass } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { Topology } from '#lib/topology.ts';
import type { DeployConfig } from '../deploy-config.ts';
import type { StepFunction } from './step-function.ts';

/** A secret referenced by the topology (name or ARN); never created here. */
export function secretRef(scope: Construct, id: string, ref: string): secretsmanager.ISecret {
  if (!ref.startsWith('arn:')) return secretsmanager.Secret.fromSecretNameV2(scope, id, ref);
  // A complete ARN ends with the 6-character suffix Secrets Manager adds to the name.
  return /-[A-Za-z0-9]{6}$/.test(ref)
    ? secretsmanager.Secret.fromSecretCompleteArn(scope, id, ref)
    : secretsmanager.Secret.fromSecretPartialArn(scope, id, ref);
}

/** Lets `fn` read `secret`, and decrypt it when the deploy config names a customer managed key. */
export function grantSecret(secret: secretsmanager.ISecret, fn: StepFunction, deploy: DeployConfig): void {
  secret.grantRead(fn.role);
  if (deploy.secretsKmsKeyArn)
    fn.allow(['kms:Decrypt'], [deploy.secretsKmsKeyArn], {
      StringEquals: { 'kms:ViaService': `secretsmanager.${StackClass.of(fn).region}.amazonaws.com` },
    });
}

/** Lets each function read the Redis AUTH secret, when the topology has one. */
export function grantRedisAuth(
  scope: Construct,
  t: Topology,
  deploy: DeployConfig,
  fns: StepFunction[],
): void {
  if (!t.redis.authSecret) return;
  const secret = secretRef(scope, 'RedisAuthSecret', t.redis.authSecret);
  for (const fn of fns) grantSecret(secret, fn, deploy);
}

/** The global datastore and its members' replication groups (elasticache-global only). */
export function elastiCacheArns(stack: Stack, t: Topology): string[] {
  if (t.redis.kind !== 'elasticache-global') return [];
  return [
    `arn:${stack.partition}:elasticache::${stack.account}:globalreplicationgroup:${t.redis.globalReplicationGroupId}`,
    ...Object.entries(t.redis.members).map(
      ([region, m]) =>
        `arn:${stack.partition}:elasticache:${region}:${stack.account}:replicationgroup:${m!.replicationGroupId}`,
    ),
  ];
}

/** The read-only ElastiCache actions (preflight, report, the probe's fencing pass). */
export const ELASTICACHE_DESCRIBE = [
  'elasticache:DescribeGlobalReplicationGroups',
  'elasticache:DescribeReplicationGroups',
];
