import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
  SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { clearSecretCache, getRedisAuth, getSecretJson, isSecretNotFound } from '#lib/aws/secrets.ts';
import { ManualClock } from '#lib/clock.ts';
import { isNamed } from '#lib/errors.ts';

const sm = mockClient(SecretsManagerClient);
afterEach(() => {
  sm.reset();
  clearSecretCache();
});

const client = new SecretsManagerClient({ region: 'us-east-1' });
const ID = 'gloo/redis-auth';
const PASSWORD = 'p4ss-Very-Secret-9f3a';

function secret(text: string) {
  return {
    ARN: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${ID}-AbCdEf`,
    Name: ID,
    VersionId: 'EXAMPLE1-90ab-cdef-fedc-ba987EXAMPLE',
    SecretString: text,
    VersionStages: ['AWSCURRENT'],
    CreatedDate: new Date('2026-11-01T00:00:00Z'),
  };
}

describe('getSecretJson', () => {
  it('reads a JSON secret once and serves it from the cache until the TTL passes', async () => {
    // prepare
    const clock = new ManualClock();
    sm.on(GetSecretValueCommand).resolves(secret(JSON.stringify({ username: 'gloo', password: PASSWORD })));
    // act
    const a = await getSecretJson(client, ID, 60_000, clock);
    clock.advance(59_000);
    const b = await getSecretJson(client, ID, 60_000, clock);
    clock.advance(2_000);
    await getSecretJson(client, ID, 60_000, clock);
    // assess
    expect(a).toEqual({ username: 'gloo', password: PASSWORD });
    expect(b).toBe(a);
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
    expect(sm).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: ID });
  });

  it('shares one request between concurrent callers', async () => {
    sm.on(GetSecretValueCommand).resolves(secret('{"password":"x"}'));
    await Promise.all([getSecretJson(client, ID), getSecretJson(client, ID), getSecretJson(client, ID)]);
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
  });

  it('refuses a value that is not JSON without quoting it', async () => {
    sm.on(GetSecretValueCommand).resolves(secret(`password=${PASSWORD}`));
    const err = await getSecretJson(client, ID).catch((e) => e);
    expect(isNamed(err, 'InvalidInput')).toBe(true);
    expect(JSON.stringify(err)).not.toContain(PASSWORD);
    expect(err.message).not.toContain(PASSWORD);
    expect(err.stack).not.toContain(PASSWORD);
  });

  it('does not cache a failure', async () => {
    sm.on(GetSecretValueCommand)
      .rejectsOnce(
        new SecretsManagerServiceException({
          name: 'ThrottlingException',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
          message: 'Rate exceeded',
        }),
      )
      .resolves(secret('{"password":"x"}'));
    const err = await getSecretJson(client, ID).catch((e) => e);
    expect(isNamed(err, 'TransientError')).toBe(true);
    expect(await getSecretJson(client, ID)).toEqual({ password: 'x' });
  });

  it('lets ResourceNotFoundException through, recognisably', async () => {
    sm.on(GetSecretValueCommand).rejects(
      new ResourceNotFoundException({
        message: "Secrets Manager can't find the specified secret.",
        $metadata: {},
      }),
    );
    const err = await getSecretJson(client, ID).catch((e) => e);
    expect(isSecretNotFound(err)).toBe(true);
  });
});

describe('getRedisAuth', () => {
  it('returns password and username', async () => {
    sm.on(GetSecretValueCommand).resolves(secret(JSON.stringify({ username: 'gloo', password: PASSWORD })));
    expect(await getRedisAuth(client, ID)).toEqual({ username: 'gloo', password: PASSWORD });
  });

  it('names a bad field without showing any value', async () => {
    sm.on(GetSecretValueCommand).resolves(secret(JSON.stringify({ username: PASSWORD, password: 42 })));
    const err = await getRedisAuth(client, ID).catch((e) => e);
    expect(isNamed(err, 'InvalidInput')).toBe(true);
    expect(err.details).toEqual({ secretId: ID, field: 'password' });
    expect(JSON.stringify(err)).not.toContain(PASSWORD);
  });
});
