import { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CLIENT_DEFAULTS, ownRegion } from '#lib/aws/clients/defaults.ts';
import { elastiCacheClientFor } from '#lib/aws/clients/elasticache.ts';
import { route53Client } from '#lib/aws/clients/route53.ts';

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

  it("takes the Lambda's own region from AWS_REGION and refuses to guess without it", () => {
    vi.stubEnv('AWS_REGION', 'eu-west-1');
    expect(ownRegion()).toBe('eu-west-1');
    vi.stubEnv('AWS_REGION', '');
    vi.stubEnv('AWS_DEFAULT_REGION', '');
    expect(() => ownRegion()).toThrow(/AWS_REGION is not set/);
  });
});
