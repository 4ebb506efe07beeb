import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { freePort } from '#local/redis-server.ts';
import {
  buildBundle,
  buildBundleWithContents,
  EXPECTED_PACKAGES,
  moduleProblems,
  packageProblems,
} from '../../bench/bundles.ts';
import { esbuildOptions } from '../../infra/aws/lib/bundling.ts';
import { FUNCTION_KEYS } from '../../infra/aws/lib/functions.ts';

const run = promisify(execFile);
const outDir = mkdtempSync(join(tmpdir(), 'gloo-bundles-'));
const fixture = readFileSync(
  new URL('../fixtures/cloudwatch-alarm-state-change.json', import.meta.url),
  'utf8',
);

/** Imports a bundle in a fresh Node process, invokes its handler once, prints the result or the error name. */
async function invokeBundle(file: string, event: unknown, env: Record<string, string>): Promise<unknown> {
  const script = `
    const { handler } = await import(${JSON.stringify(pathToFileURL(file).href)});
    const context = { functionName: 'f', awsRequestId: 'r', getRemainingTimeInMillis: () => 10000 };
    try { process.stdout.write(JSON.stringify({ result: await handler(${JSON.stringify(event)}, context) })); }
    catch (e) { process.stdout.write(JSON.stringify({ error: e.name, message: e.message })); }`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    env: {
      PATH: process.env.PATH ?? '',
      AWS_REGION: 'us-west-2',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
      TOPOLOGY_JSON: readFileSync('infra/topology.example.json', 'utf8'),
      ...env,
    },
  });
  return JSON.parse(stdout);
}

describe('Lambda bundles (the esbuild settings NodejsFunction uses)', () => {
  it('holds in each function exactly the SDK clients, Redis and Slack packages its own ports need', async () => {
    // prepare
    const problems: Record<string, string[]> = {};
    // act
    for (const fn of FUNCTION_KEYS) {
      const { packages, inputs } = await buildBundleWithContents(fn, { mode: 'bundled' }, outDir);
      const p = [...packageProblems(fn, packages), ...moduleProblems(inputs)];
      if (p.length) problems[fn] = p;
    }
    // assess
    expect(problems).toEqual({});
    expect(EXPECTED_PACKAGES.switchLock).toEqual([
      '@aws-sdk/client-secrets-manager',
      '@aws-sdk/client-ssm',
      'ioredis',
    ]);
    expect(EXPECTED_PACKAGES.confirmReconnect).toEqual([
      '@aws-sdk/client-dynamodb',
      '@aws-sdk/client-secrets-manager',
      '@aws-sdk/lib-dynamodb',
    ]);
  }, 120_000);

  it('flags a bundle that carries the default credential chain or the X-Ray SDK', () => {
    // prepare: a bundle's contents as the metafile gives them
    const packages = { '@aws-sdk/client-sfn': 1, '@aws-sdk/nested-clients': 1, 'aws-xray-sdk-core': 1 };
    // act
    const problems = packageProblems('trigger', packages);
    // assess
    expect(problems).toEqual([
      '@aws-sdk/nested-clients should not be inside',
      'aws-xray-sdk-core should not be inside',
    ]);
  });

  it('carries zod/mini with only its English messages: no classic zod, no other locale', async () => {
    // prepare: the largest bundle, and a bundle's files as a classic-zod import would list them
    const { inputs } = await buildBundleWithContents('report', { mode: 'bundled' }, outDir);
    const classic = [
      'functions/lib/state.ts',
      'node_modules/zod/v4/classic/schemas.js',
      'node_modules/zod/v4/locales/en.js',
      'node_modules/zod/v4/locales/de.js',
    ];
    // act
    const built = moduleProblems(inputs);
    const flagged = moduleProblems(classic);
    // assess
    expect(built).toEqual([]);
    expect(inputs).toContain('node_modules/zod/v4/mini/schemas.js');
    expect(inputs).toContain('node_modules/zod/v4/locales/en.js');
    expect(flagged).toEqual([
      'zod/v4/classic (use zod/mini via #lib/z.ts) should not be inside (node_modules/zod/v4/classic/schemas.js)',
      'a zod locale other than English should not be inside (node_modules/zod/v4/locales/de.js)',
    ]);
  }, 60_000);

  it('signs with the credentials Lambda puts in the environment and looks nowhere else (Lambda: defined runtime environment variables)', async () => {
    // prepare: an ALARM event makes the trigger call StartExecution; no credentials in the environment
    const file = await buildBundle('trigger', { mode: 'bundled' }, outDir);
    const env = {
      FAILOVER_STATE_MACHINE_ARN:
        'arn:aws:states:us-west-2:123456789012:stateMachine:gloo-mgmt-failover-to-mgmt-west',
      TARGET_SERVER: 'mgmt-west',
      // would be read by the default chain (INI profiles, instance metadata): the bundle must not look
      AWS_CONFIG_FILE: '/nonexistent',
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    // act
    const out = await invokeBundle(file, JSON.parse(fixture), env);
    // assess: the environment provider's own error, before any request is sent
    expect(out).toMatchObject({
      error: 'CredentialsProviderError',
      message: expect.stringMatching(/environment variable credentials/),
    });
  }, 60_000);

  it('keeps ioredis debug output behind DEBUG without the debug package (bundle-time stand-in)', async () => {
    // prepare: ioredis bundled with the deployed settings, pointed at a port nobody listens on
    const entry = 'test/support/ioredis-debug-entry.ts';
    const file = join(outDir, 'ioredis-debug.mjs');
    const result = await build(esbuildOptions(entry, file, 'bundled'));
    const inputs = Object.keys(result.metafile!.inputs);
    const port = String(await freePort());
    const runIt = (env: Record<string, string>) =>
      run(process.execPath, [file, port], { env: { PATH: process.env.PATH ?? '', ...env } });
    // act
    const on = await runIt({ DEBUG: 'ioredis:*' });
    const off = await runIt({});
    // assess: the stand-in is inside, the package is not; DEBUG selects the output as before
    expect(inputs).toContain('functions/lib/redis/ioredis-debug.ts');
    expect(inputs.filter((i) => i.includes('node_modules/debug/'))).toEqual([]);
    expect(on.stderr).toMatch(
      new RegExp(`Z ioredis:redis status\\[127\\.0\\.0\\.1:${port}\\]: wait -> connecting`),
    );
    expect(off.stderr).toBe('');
  }, 60_000);

  it('runs the trigger from its ESM bundle, which holds no Redis code', async () => {
    const file = await buildBundle('trigger', { mode: 'bundled' }, outDir);
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain('REPLICAOF');
    const ok = JSON.parse(fixture);
    ok.detail.state.value = 'OK';
    const out = await invokeBundle(file, ok, {
      FAILOVER_STATE_MACHINE_ARN:
        'arn:aws:states:us-west-2:123456789012:stateMachine:gloo-mgmt-failover-to-mgmt-west',
      TARGET_SERVER: 'mgmt-west',
    });
    expect(out).toEqual({
      result: { started: false, reason: 'alarm gloo-mgmt-east-relay-down went to OK, not ALARM' },
    });
  }, 60_000);

  it('imports the preflight bundle and refuses a bad payload naming the field', async () => {
    const file = await buildBundle('preflight', { mode: 'bundled' }, outDir);
    const out = await invokeBundle(file, { run: { direction: 'sideways' } }, {});
    expect(out).toMatchObject({ error: 'InvalidInput', message: expect.stringMatching(/run\.direction/) });
  }, 60_000);
});
