/**
 * Test support for the regional stack's constructs: one construct at a time in a small stack that
 * allocates logical ids as the regional stack does, with the example topology and deploy config
 * (or variants of them) and inline function code (no bundling).
 */
import { readFileSync } from 'node:fs';
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { parseTopology, type Topology } from '#lib/topology.ts';
import { logicalIdWithoutConcerns } from '../../../infra/aws/lib/constructs/concern.ts';
import { baseEnvironment, type FunctionDefaults } from '../../../infra/aws/lib/constructs/step-function.ts';
import { type DeployConfig, loadDeployConfig } from '../../../infra/aws/lib/deploy-config.ts';
import { CDK_JSON_CONTEXT } from '../support.ts';

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON and topology documents
export type Json = any;

/** The example topology, changed by `patch` (a copy of the document). */
export function topologyWith(patch: (doc: Json) => void = () => {}): Topology {
  const doc = JSON.parse(readFileSync('infra/topology.example.json', 'utf8'));
  patch(doc);
  return parseTopology(doc, 'test topology');
}

/** The example deploy config. */
export const deploy: DeployConfig = loadDeployConfig('infra/aws/deploy.example.json');

/** A stack of `region` that allocates logical ids as the regional stack does. */
export class TestStack extends Stack {
  constructor(region = 'us-west-2') {
    super(new App({ context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] } }), 'test', {
      env: { region },
    });
  }
  protected override allocateLogicalId(element: CfnElement): string {
    return logicalIdWithoutConcerns(this, element);
  }
}

/** Function defaults with inline code (nothing to bundle). */
export function functionDefaults(retention = 30): FunctionDefaults {
  return {
    environment: baseEnvironment({ name: 'test' }),
    logRetention: retention as logs.RetentionDays,
    codeFor: () => lambda.Code.fromInline('export const handler = async () => ({});'),
  };
}

/** The template of a stack. */
export const templateOf = (stack: Stack) => Template.fromStack(stack);

/** The resources of a type, as [logical id, resource]. */
export const resources = (t: Template, type: string): [string, Json][] =>
  Object.entries(t.findResources(type)) as [string, Json][];

/** Every statement of every identity policy whose logical id starts with `prefix`. */
export function statementsOf(t: Template, prefix: string): Json[] {
  return resources(t, 'AWS::IAM::Policy')
    .filter(([id]) => id.startsWith(prefix))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
}

/** The warnings annotated on a stack itself (not its children), without their ids. */
export function warningsOf(stack: Stack): string[] {
  return stack.node.metadata
    .filter((m) => m.type === 'aws:cdk:warning')
    .map((m) => String(m.data).replace(/ \[ack: .*\]$/, ''));
}

/** The one resource of a type (fails when there is not exactly one). */
export function only(t: Template, type: string): Json {
  const found = resources(t, type);
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0]![1];
}
