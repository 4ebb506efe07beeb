/**
 * Partition and reserved concurrency in the synthesized templates.
 * - ARNs are built with the partition (`arn:${AWS::Partition}`, or the stack's partition): a
 *   GovCloud (`aws-us-gov`) or China (`aws-cn`) account rejects an `arn:aws:` ARN ("Amazon Resource
 *   Names (ARNs)", IAM User Guide: the partition is part of every ARN).
 * - Reserved concurrency ("Configuring reserved concurrency for a function", AWS Lambda Developer
 *   Guide) on the public Slack callback and on every function the workflow invokes.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { parseTopology } from '#lib/topology.ts';
import { WORKFLOW_FUNCTION_KEYS } from '#workflows/definition.ts';
import { buildApp } from '../../infra/aws/lib/app.ts';
import { parseDeployConfig } from '../../infra/aws/lib/deploy-config.ts';
import { placeholder } from '../../infra/aws/lib/names.ts';
import type { RegionalStack } from '../../infra/aws/lib/regional-stack.ts';
import { nagFindings, synthTestApp } from './support.ts';

/** The example topology moved to GovCloud (us-gov-west-1 home, us-gov-east-1 peer). */
function govApp() {
  const doc = JSON.parse(readFileSync('infra/topology.example.json', 'utf8'));
  const regions: Record<string, string> = { 'us-east-1': 'us-gov-west-1', 'us-west-2': 'us-gov-east-1' };
  const text = JSON.stringify(doc).replace(/us-(east-1|west-2)/g, (r) => regions[r]!);
  const topologyDocument = JSON.parse(text);
  // No Slack approvals: their endpoint is a Lambda Function URL, a resource type CloudFormation does
  // not offer in the GovCloud regions (synth reports F3006 "AWS::Lambda::Url does not exist in
  // us-gov-west-1"); approvals in GovCloud need another endpoint (see the README).
  topologyDocument.approvals = { gates: [] };
  const app = new App({
    outdir: mkdtempSync(join(tmpdir(), 'gloo-cdk-gov-')),
    context: { 'aws:cdk:bundling-stacks': [] },
  });
  const stacks = buildApp(app, {
    topology: parseTopology(topologyDocument, 'gov topology'),
    topologyDocument,
    deploy: parseDeployConfig({ account: '123456789012' }, 'gov deploy config'),
  });
  return { app, stacks };
}

const literalArns = (template: unknown) =>
  [...JSON.stringify(template).matchAll(/arn:aws:[^"\\]*/g)].map((m) => m[0]);

describe('partition', () => {
  it('synthesizes no arn:aws: literal for an aws-us-gov account in us-gov-west-1, cdk-nag clean, the workflow substituting the partition', () => {
    // prepare / act
    const { app, stacks } = govApp();
    app.synth();
    // assess
    expect(stacks.map((s) => s.region).sort()).toEqual(['us-gov-east-1', 'us-gov-west-1']);
    for (const s of stacks) {
      const t = Template.fromStack(s).toJSON();
      expect(literalArns(t), s.stackName).toEqual([]);
      const machines = Object.values(
        Template.fromStack(s).findResources('AWS::StepFunctions::StateMachine'),
      ) as { Properties: { DefinitionSubstitutions: Record<string, unknown> } }[];
      expect(machines.length).toBeGreaterThan(0);
      // the stack's partition: a literal for a known region, else the AWS::Partition pseudo parameter
      for (const m of machines) {
        const p = m.Properties.DefinitionSubstitutions.partition;
        expect(
          p === 'aws-us-gov' || JSON.stringify(p) === '{"Ref":"AWS::Partition"}',
          JSON.stringify(p),
        ).toBe(true);
      }
    }
    expect(nagFindings(app)).toEqual([]);
  }, 120_000);

  it('synthesizes no arn:aws: literal for the example (commercial) deployment either; its approval gates name the partition placeholder', () => {
    const { templates } = synthTestApp();
    for (const [name, t] of templates) {
      expect(literalArns(t.toJSON()), name).toEqual([]);
      // the approval gate's service integration names the partition placeholder
      const machines = Object.values(t.findResources('AWS::StepFunctions::StateMachine'));
      for (const m of machines)
        expect(JSON.stringify(m)).toContain(
          `arn:${placeholder('partition')}:states:::lambda:invoke.waitForTaskToken`,
        );
    }
  }, 120_000);
});

describe('reserved concurrency', () => {
  it('reserves concurrency for every function the workflow invokes and caps the public Slack callback (deploy-config defaults 5 and 10)', () => {
    // prepare / act
    const { stacks } = synthTestApp();
    // assess
    const reserved = (s: RegionalStack, k: string) => {
      const fn = s.functions[k as keyof typeof s.functions];
      if (!fn) return 'absent';
      return Stack.of(fn.fn).resolve((fn.fn.node.defaultChild as CfnFunction).reservedConcurrentExecutions);
    };
    for (const s of stacks) {
      for (const k of WORKFLOW_FUNCTION_KEYS) {
        const r = reserved(s, k);
        if (r !== 'absent') expect(r, `${s.stackName} ${k}`).toBe(5);
      }
      expect(reserved(s, 'slackCallback'), s.stackName).toBe(10);
      expect(reserved(s, 'preflight')).toBe(5);
      // the probe and the trigger are not the workflow's: they share the account's pool
      expect(reserved(s, 'healthProbe')).toBeUndefined();
      const t = Template.fromStack(s);
      const withReservation = Object.values(t.findResources('AWS::Lambda::Function')).filter(
        (r) =>
          (r as { Properties: { ReservedConcurrentExecutions?: number } }).Properties
            .ReservedConcurrentExecutions,
      );
      expect(withReservation.length).toBeGreaterThanOrEqual(8);
    }
  }, 120_000);

  it('takes the values from the deploy config and refuses a zero (which would throttle every call)', () => {
    expect(parseDeployConfig({ reservedConcurrency: { slackCallback: 3 } }).reservedConcurrency).toEqual({
      slackCallback: 3,
      workflowSteps: 5,
    });
    expect(() => parseDeployConfig({ reservedConcurrency: { workflowSteps: 0 } })).toThrow(
      /reservedConcurrency\.workflowSteps/,
    );
  });
});
