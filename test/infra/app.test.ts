import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Match } from 'aws-cdk-lib/assertions';
import { CURRENTLY_RECOMMENDED_FLAGS } from 'aws-cdk-lib/cx-api';
import { describe, expect, it } from 'vitest';
import { relayAlarmPeriodSeconds } from '../../infra/aws/lib/regional-stack.ts';
import { CDK_JSON_CONTEXT, synthTestApp } from './support.ts';

const run = promisify(execFile);

describe('CDK app entry (infra/aws)', () => {
  it('synthesizes both regional stacks offline with no account, on Node 24, from the cdk.json app command', async () => {
    const cdkJson = JSON.parse(readFileSync('infra/aws/cdk.json', 'utf8'));
    expect(cdkJson.app).toBe('node bin/app.ts');
    const out = mkdtempSync(join(tmpdir(), 'gloo-cdk-app-'));
    // What `npx cdk synth` does: run the app command in infra/aws with the output dir and context in
    // the environment (bundling skipped here: bench/bundles.ts builds the same bundles).
    await run(process.execPath, ['bin/app.ts'], {
      cwd: 'infra/aws',
      env: {
        PATH: process.env.PATH ?? '',
        CDK_OUTDIR: out,
        CDK_CONTEXT_JSON: JSON.stringify({ ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] }),
      },
    });
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    const stacks = Object.entries(manifest.artifacts as Record<string, { type: string; environment: string }>)
      .filter(([, a]) => a.type === 'aws:cloudformation:stack')
      .map(([id, a]) => `${id} ${a.environment}`)
      .sort();
    expect(stacks).toEqual([
      'gloo-mgmt-mgmt-east aws://unknown-account/us-east-1',
      'gloo-mgmt-mgmt-west aws://unknown-account/us-west-2',
    ]);
  }, 60_000);

  it('takes the topology and deploy config from context: no Slack, no approval endpoint; no network, no VPC; one probe a minute, 1-minute alarm periods', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gloo-topology-'));
    const doc = JSON.parse(readFileSync('infra/topology.example.json', 'utf8'));
    doc.approvals = { gates: [] };
    writeFileSync(join(dir, 'topology.json'), JSON.stringify(doc));
    const kmsKey = 'arn:aws:kms:us-west-2:123456789012:key/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d';
    writeFileSync(
      join(dir, 'deploy.json'),
      JSON.stringify({ logRetentionDays: 7, probe: { samplesPerMinute: 1 }, secretsKmsKeyArn: kmsKey }),
    );
    const { templates } = synthTestApp({
      topology: join(dir, 'topology.json'),
      deploy: join(dir, 'deploy.json'),
    });
    for (const t of templates.values()) {
      t.resourceCountIs('AWS::Lambda::Url', 0);
      const fns = Object.values(t.findResources('AWS::Lambda::Function'));
      expect(fns.some((f) => f.Properties.VpcConfig)).toBe(false);
      const groups = Object.values(t.findResources('AWS::Logs::LogGroup'));
      expect(new Set(groups.map((g) => g.Properties.RetentionInDays))).toEqual(new Set([7]));
      for (const sm of Object.values(t.findResources('AWS::StepFunctions::StateMachine')))
        expect(Object.keys(sm.Properties.DefinitionSubstitutions)).not.toContain('requestApproval');
      // One sample a minute: a 10 s period would be empty five times out of six and never breach.
      t.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'RelayReachable', Period: 60 });
      // Secrets under a customer-managed key: decrypt through Secrets Manager only.
      t.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            {
              Action: 'kms:Decrypt',
              Effect: 'Allow',
              Resource: kmsKey,
              Condition: {
                StringEquals: { 'kms:ViaService': Match.stringLikeRegexp('^secretsmanager[.]us-') },
              },
            },
          ]),
        },
      });
    }
  });

  it('refuses a bad deploy config naming the field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gloo-deploy-'));
    writeFileSync(
      join(dir, 'deploy.json'),
      JSON.stringify({ regions: { 'us-west-2': { vpcId: 'vpc-1', subnets: [] } } }),
    );
    expect(() => synthTestApp({ deploy: join(dir, 'deploy.json') })).toThrow(
      /regions\.us-west-2\.vpcId: expected a VPC id[\s\S]*regions\.us-west-2\.subnets/,
    );
  });
});

describe('CDK feature flags (infra/aws/cdk.json)', () => {
  it('sets every flag aws-cdk-lib recommends, at its recommended value but for two deliberate exceptions', () => {
    // Unset flags make `cdk synth` print "N feature flags are not configured"; a new aws-cdk-lib
    // that brings a flag fails this test until someone decides its value.
    const exceptions: Record<string, unknown> = {
      // Literal `aws` instead of ${AWS::Partition} in every ARN: no behaviour change in the aws
      // partition, but the templates would stop being partition-agnostic and change everywhere.
      '@aws-cdk/core:enablePartitionLiterals': false,
      // No construct-level metadata (property names) sent to AWS with the template.
      '@aws-cdk/core:enableAdditionalMetadataCollection': false,
    };
    const unset = Object.keys(CURRENTLY_RECOMMENDED_FLAGS).filter((k) => !(k in CDK_JSON_CONTEXT));
    expect(unset).toEqual([]);
    for (const [flag, recommended] of Object.entries(CURRENTLY_RECOMMENDED_FLAGS))
      expect(CDK_JSON_CONTEXT[flag], flag).toEqual(flag in exceptions ? exceptions[flag] : recommended);
  });
});

describe('relay alarm period', () => {
  it('is the shortest alarm period that holds a probe sample', () => {
    expect([12, 6, 4, 3, 2, 1].map(relayAlarmPeriodSeconds)).toEqual([10, 10, 30, 30, 30, 60]);
  });
});
