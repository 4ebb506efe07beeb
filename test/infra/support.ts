/**
 * Test support for the CDK app: one synthesized app per test file, with bundling skipped (CDK's own
 * `aws:cdk:bundling-stacks` context, as `cdk synth --exclusively` uses) so a synth takes seconds; the
 * bundles themselves are built and measured by bench/bundles.ts.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp, inputsFromContext } from '../../infra/aws/lib/app.ts';
import { nagPacks } from '../../infra/aws/lib/nag.ts';
import type { RegionalStack } from '../../infra/aws/lib/regional-stack.ts';

/** A synthesized app and its stacks. */
export interface SynthedApp {
  app: App;
  stacks: RegionalStack[];
  templates: Map<string, Template>;
}

/** The context of infra/aws/cdk.json (the feature flags), as `cdk synth` passes it to the app. */
export const CDK_JSON_CONTEXT: Record<string, unknown> = JSON.parse(
  readFileSync(new URL('../../infra/aws/cdk.json', import.meta.url), 'utf8'),
).context;

/** Builds the app from the example topology and deploy config (or the given context). */
export function buildTestApp(context: Record<string, unknown> = {}): { app: App; stacks: RegionalStack[] } {
  const app = new App({
    outdir: mkdtempSync(join(tmpdir(), 'gloo-cdk-')),
    context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [], ...context },
  });
  const stacks = buildApp(app, inputsFromContext(app));
  return { app, stacks };
}

/** Builds and synthesizes the app; templates by stack id. */
export function synthTestApp(context: Record<string, unknown> = {}): SynthedApp {
  const { app, stacks } = buildTestApp(context);
  app.synth();
  const templates = new Map(stacks.map((s) => [s.stackName, Template.fromStack(s)]));
  return { app, stacks, templates };
}

/** Every unacknowledged cdk-nag finding of a construct tree, as `rule at path` lines. */
export function nagFindings(app: App): string[] {
  const out: string[] = [];
  for (const pack of nagPacks()) {
    const report = pack.validateScope(app) as {
      violations: { ruleName: string; violatingResources: { constructPath?: string }[] }[];
    };
    for (const v of report.violations)
      for (const r of v.violatingResources) out.push(`${v.ruleName} at ${r.constructPath}`);
  }
  return out.sort();
}
