/**
 * cdk-nag v3 on every synth: `AwsSolutionsChecks` and `ServerlessChecks` as policy-validation
 * plugins, and a helper for acknowledgements (v3's `Validations.of(construct).acknowledge`, one
 * finding per call, each with its reason; v2's `NagSuppressions` no longer exists).
 */
import { Validations } from 'aws-cdk-lib';
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
