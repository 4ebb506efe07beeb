/**
 * JSON secrets from Secrets Manager (Redis AUTH, Slack tokens), cached in the container for a short
 * time. No error, log line or detail produced here ever contains the secret's value.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type Clock, systemClock } from '../clock.ts';
import { InvalidInput } from '../errors.ts';
import { awsErrorName, classifyAwsError } from './errors.ts';

/** How long a secret stays cached by default: rotation shows up within this time. */
export const DEFAULT_SECRET_TTL_MS = 5 * 60_000;

interface Entry {
  expires: number;
  value: Promise<Record<string, unknown>>;
}

const cache = new Map<string, Entry>();

/** Forgets every cached secret (tests; or after an AUTH failure that suggests a rotation). */
export function clearSecretCache(secretId?: string): void {
  if (secretId === undefined) cache.clear();
  else cache.delete(secretId);
}

async function fetchJson(client: SecretsManagerClient, secretId: string): Promise<Record<string, unknown>> {
  let text: string | undefined;
  try {
    const out = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    text =
      out.SecretString ?? (out.SecretBinary ? Buffer.from(out.SecretBinary).toString('utf8') : undefined);
  } catch (e) {
    // SDK messages name the secret, never its value.
    throw classifyAwsError(e, 'secretsmanager:GetSecretValue');
  }
  if (text === undefined) throw new InvalidInput(`secret ${secretId} has no value`, { secretId });
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // JSON.parse's own message quotes the input: never let it out.
    throw new InvalidInput(`secret ${secretId} is not valid JSON`, { secretId });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new InvalidInput(`secret ${secretId} is not a JSON object`, { secretId });
  return parsed as Record<string, unknown>;
}

/**
 * The secret `secretId` parsed as a JSON object, cached for `ttlMs` (default 5 min) per container.
 * Concurrent callers share one request; a failed read is not cached.
 */
export async function getSecretJson<T extends Record<string, unknown> = Record<string, unknown>>(
  client: SecretsManagerClient,
  secretId: string,
  ttlMs: number = DEFAULT_SECRET_TTL_MS,
  clock: Clock = systemClock,
): Promise<T> {
  const now = clock.now();
  const hit = cache.get(secretId);
  if (hit && hit.expires > now) return (await hit.value) as T;
  const value = fetchJson(client, secretId);
  const entry = { expires: now + ttlMs, value };
  cache.set(secretId, entry);
  try {
    return (await value) as T;
  } catch (e) {
    if (cache.get(secretId) === entry) cache.delete(secretId);
    throw e;
  }
}

/** Redis AUTH credentials as stored in the secret (`password`, optional `username`). */
export interface RedisAuthSecret {
  password: string;
  username?: string;
}

/** Reads Redis AUTH credentials; a missing or non-string field is named, its value never shown. */
export async function getRedisAuth(
  client: SecretsManagerClient,
  secretId: string,
  ttlMs: number = DEFAULT_SECRET_TTL_MS,
  clock: Clock = systemClock,
): Promise<RedisAuthSecret> {
  const s = await getSecretJson(client, secretId, ttlMs, clock);
  if (typeof s.password !== 'string' || s.password === '')
    throw new InvalidInput(`secret ${secretId}: "password" must be a non-empty string`, {
      secretId,
      field: 'password',
    });
  if (s.username !== undefined && typeof s.username !== 'string')
    throw new InvalidInput(`secret ${secretId}: "username" must be a string`, {
      secretId,
      field: 'username',
    });
  return s.username ? { password: s.password, username: s.username } : { password: s.password };
}

/** True when `err` means the secret does not exist (useful to name the topology field at fault). */
export function isSecretNotFound(err: unknown): boolean {
  return awsErrorName(err) === 'ResourceNotFoundException';
}
