import { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { awsClients, CLIENT_DEFAULTS, elastiCacheClientFor, route53Client } from '#lib/aws/clients.ts';

describe('client factories', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('builds one client per region and reuses it', async () => {
    const a = elastiCacheClientFor('us-east-1');
    const b = elastiCacheClientFor('us-east-1');
    const c = elastiCacheClientFor('us-west-2');
    expect(a).toBe(b);
    expect(c).not.toBe(a);
    expect(a).toBeInstanceOf(ElastiCacheClient);
    expect(await a.config.region()).toBe('us-east-1');
    expect(await c.config.region()).toBe('us-west-2');
    expect(await a.config.maxAttempts()).toBe(CLIENT_DEFAULTS.maxAttempts);
  });

  it('serves Route 53 from its partition control plane', async () => {
    expect(route53Client('eu-west-1')).toBe(route53Client());
    expect(await route53Client().config.region()).toBe('us-east-1');
    expect(await route53Client('us-gov-east-1').config.region()).toBe('us-gov-west-1');
  });

  it("defaults to the Lambda's own region", async () => {
    vi.stubEnv('AWS_REGION', 'eu-west-1');
    expect(awsClients.elasticache()).toBe(elastiCacheClientFor('eu-west-1'));
    expect(await awsClients.cloudwatch().config.region()).toBe('eu-west-1');
    expect(await awsClients.route53().config.region()).toBe('us-east-1');
  });
});
