/**
 * cdk-nag v3 on every synth: `AwsSolutionsChecks` and `ServerlessChecks` as policy-validation
 * plugins, and a helper for acknowledgements (v3's `Validations.of(construct).acknowledge`, one
 * finding per call, each with its reason; v2's `NagSuppressions` no longer exists).
 */
import { Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/** Registers the rule packs on an app (or any scope). */
export function addNagChecks(scope: IConstruct): void {
  Validations.of(scope).addPlugins(new AwsSolutionsChecks(scope), new ServerlessChecks(scope));
}

/** The rule packs, for tests that validate a construct tree directly. */
export function nagPacks(): {
  validateScope(scope: IConstruct): { success: boolean; violations: unknown[] };
}[] {
  return [new AwsSolutionsChecks(), new ServerlessChecks()];
}

/** Acknowledges findings on a construct (and everything under it), each with the same reason. */
export function acknowledge(construct: IConstruct, ids: string | string[], reason: string): void {
  for (const id of Array.isArray(ids) ? ids : [ids]) Validations.of(construct).acknowledge({ id, reason });
}

/**
 * Acknowledges the findings on CDK's shared AwsCustomResource provider function of a stack (its
 * runtime, memory, DLQ, tracing and log settings are CDK's), with the reason it exists there.
 */
export function acknowledgeAwsCustomResourceProvider(scope: IConstruct, why: string): void {
  const provider = Stack.of(scope).node.tryFindChild('AWS679f53fac002430cb0da5b7982bd2287');
  if (!provider) return;
  acknowledge(
    provider,
    [
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      'Serverless-LambdaDefaultMemorySize',
      'Serverless-LambdaDLQ',
      'Serverless-LambdaTracing',
      'AwsSolutions-L1',
      'Serverless-LambdaLatestVersion',
      'Serverless-LambdaLogRetention',
    ],
    why,
  );
}
