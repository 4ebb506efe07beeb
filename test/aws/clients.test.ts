import { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { describe, expect, it } from 'vitest';
import { CLIENT_DEFAULTS, elastiCacheClientFor, route53Client } from '#lib/aws/clients.ts';

describe('client factories', () => {
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
});
