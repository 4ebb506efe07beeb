/**
 * The active-server signal. SSM: `GetParameter` (ParameterNotFound when absent) and `PutParameter`
 * with `Overwrite` (AWS Systems Manager API Reference); mutating calls without SDK retries, state
 * read first (shared/REFERENCE.md, "Lost responses"). Webhook: HMAC-SHA256 over
 * `${timestamp}.${body}`, https only, retried with backoff on the injected clock.
 */

import { readFileSync } from 'node:fs';
import { GetParameterCommand, ParameterNotFound, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type ActiveServerRecord,
  type ActiveSignalPorts,
  SIGNATURE_HEADER,
  signalActiveServer,
  TIMESTAMP_HEADER,
  verifyWebhook,
} from '#lib/active-signal.ts';
import { ssmWriteClientFor } from '#lib/aws/clients/ssm.ts';
import { SsmParameterStore } from '#lib/aws/ssm-parameters.ts';
import { ManualClock } from '#lib/clock.ts';
import { isNamed } from '#lib/errors.ts';
import { inlinePem } from '#lib/readiness.ts';
import { parseTopology, type Topology } from '#lib/topology.ts';

const topology = (signal: unknown): Topology =>
  parseTopology({ ...JSON.parse(readFileSync('infra/topology.example.json', 'utf8')), activeSignal: signal });
const record: ActiveServerRecord = {
  server: 'mgmt-west',
  glooClusterName: 'mgmt-west',
  region: 'us-west-2',
  epoch: 7,
  at: '2026-11-29T16:00:00.000Z',
  execution: 'arn:aws:states:us-west-2:123456789012:execution:failover:INC-1',
};
const KEY = 'test-webhook-key-0123456789';

/** Ports over memory: a parameter map per region, a scripted webhook. */
function fakes(answers: (number | Error)[] = [204]) {
  const clock = new ManualClock();
  const params = new Map<string, string>();
  const puts: string[] = [];
  const posts: { body: string; headers: Record<string, string>; at: number }[] = [];
  const down = new Set<string>();
  const ports: ActiveSignalPorts = {
    clock,
    pem: inlinePem,
    webhookKey: async () => KEY,
    parameters: {
      get: async (region, name) => {
        if (down.has(region)) throw new Error('ssm:GetParameter in us-east-1: UnknownEndpoint');
        return params.get(`${region}${name}`) ?? null;
      },
      put: async (region, name, value) => {
        puts.push(region);
        params.set(`${region}${name}`, value);
      },
    },
    webhook: {
      post: async (req) => {
        posts.push({ body: req.body, headers: req.headers, at: clock.now() });
        const a = answers.shift() ?? 204;
        if (a instanceof Error) throw a;
        return { status: a };
      },
    },
  };
  return { ports, clock, params, puts, posts, down };
}

describe('active-server signal', () => {
  it('writes the parameter in every reachable region and reports the unreachable one; a re-run writes nothing twice', async () => {
    // prepare
    const t = topology({ ssm: { parameterName: '/gloo-failover/gloo-mgmt/active' } });
    const f = fakes();
    f.down.add('us-east-1');
    // act
    const first = await signalActiveServer(record, t, f.ports);
    const again = await signalActiveServer(record, t, f.ports);
    // assess
    expect(first?.ssm).toEqual([
      { region: 'us-east-1', outcome: 'failed', detail: expect.stringMatching(/UnknownEndpoint/) },
      { region: 'us-west-2', outcome: 'written', detail: '/gloo-failover/gloo-mgmt/active = mgmt-west@7' },
    ]);
    expect(JSON.parse(f.params.get('us-west-2/gloo-failover/gloo-mgmt/active')!)).toEqual(record);
    expect(again?.ssm[1]).toMatchObject({ outcome: 'already' });
    expect(f.puts).toEqual(['us-west-2']);
  });

  it('signs the webhook (HMAC-SHA256 over timestamp.body) and retries 503s with backoff on the injected clock', async () => {
    const t = topology({
      webhook: { url: 'https://ci.example.com/hooks/gloo', secret: 'ci/webhook-key', backoffMs: 1_000 },
    });
    const f = fakes([503, new Error('ECONNRESET'), 204]);
    const start = f.clock.now();
    const res = await signalActiveServer(record, t, f.ports);
    expect(res?.webhook).toEqual({
      outcome: 'delivered',
      attempts: 3,
      detail: 'HTTP 204 from ci.example.com',
    });
    expect(f.posts.map((p) => p.at - start)).toEqual([0, 1_000, 3_000]);
    const last = f.posts[2]!;
    expect(
      verifyWebhook(KEY, last.headers[TIMESTAMP_HEADER]!, last.body, last.headers[SIGNATURE_HEADER]!),
    ).toBe(true);
    expect(
      verifyWebhook(
        'another-key-0123456789',
        last.headers[TIMESTAMP_HEADER]!,
        last.body,
        last.headers[SIGNATURE_HEADER]!,
      ),
    ).toBe(false);
  });

  it('gives up after maxAttempts, or at once on a 4xx refusal, and says so without throwing', async () => {
    const t = topology({ webhook: { url: 'https://ci.example.com/h', secret: 'k', maxAttempts: 2 } });
    const down = fakes([503, 503, 503]);
    expect((await signalActiveServer(record, t, down.ports))?.webhook).toEqual({
      outcome: 'failed',
      attempts: 2,
      detail: 'not delivered to ci.example.com: HTTP 503',
    });
    const refused = fakes([401]);
    expect((await signalActiveServer(record, t, refused.ports))?.webhook).toMatchObject({
      outcome: 'failed',
      attempts: 1,
    });
  });

  it('refuses a webhook URL that is not https, naming the field; nothing is posted', () => {
    let err: unknown;
    try {
      topology({ webhook: { url: 'http://ci.example.com/h', secret: 'k' } });
    } catch (e) {
      err = e;
    }
    expect(isNamed(err, 'InvalidTopology')).toBe(true);
    expect((err as Error).message).toMatch(/activeSignal\.webhook\.url: expected an https URL/);
  });
});

describe('SSM parameter store adapter', () => {
  const ssm = mockClient(SSMClient);
  afterEach(() => ssm.reset());

  it('reads a missing parameter as null and overwrites with one attempt (no SDK retries)', async () => {
    // prepare
    ssm.on(GetParameterCommand).rejects(new ParameterNotFound({ message: 'not found', $metadata: {} }));
    ssm.on(PutParameterCommand).resolves({ Version: 1 });
    const store = new SsmParameterStore(ssmWriteClientFor);
    // act
    const before = await store.get('us-west-2', '/gloo-failover/x');
    await store.put('us-west-2', '/gloo-failover/x', '{"server":"mgmt-west"}');
    // assess
    expect(before).toBeNull();
    expect(ssm).toHaveReceivedCommandWith(PutParameterCommand, {
      Name: '/gloo-failover/x',
      Value: '{"server":"mgmt-west"}',
      Type: 'String',
      Overwrite: true,
    });
    expect(await ssmWriteClientFor('us-west-2').config.maxAttempts()).toBe(1);
  });
});
