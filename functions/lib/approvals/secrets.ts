/**
 * A tiny cached Secrets Manager reader for the Slack bot token and signing secret (values are never
 * logged). A secret holds the value itself, or a JSON object with exactly one string field.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { InvalidInput } from '../errors.ts';

/** Extracts the value from a secret string (plain, or JSON with a single string field). */
export function secretValue(name: string, raw: string | undefined): string {
  if (!raw) throw new InvalidInput(`secret ${name} has no SecretString`);
  const trimmed = raw.trim();
  if (!trimmed.startsWith('{')) return trimmed;
  let doc: unknown;
  try {
    doc = JSON.parse(trimmed);
  } catch {
    return trimmed;
  }
  const strings = Object.values(doc as Record<string, unknown>).filter((v) => typeof v === 'string');
  if (strings.length !== 1)
    throw new InvalidInput(`secret ${name} holds JSON with ${strings.length} string fields; expected one`);
  return strings[0] as string;
}

/** Returns a reader that fetches each secret once per `ttlMs` (default 5 min) and caches it. */
export function cachedSecretReader(
  client: SecretsManagerClient,
  ttlMs = 300_000,
): (name: string) => Promise<string> {
  const cache = new Map<string, { at: number; value: Promise<string> }>();
  return (name) => {
    const hit = cache.get(name);
    if (hit && Date.now() - hit.at < ttlMs) return hit.value;
    const value = client
      .send(new GetSecretValueCommand({ SecretId: name }))
      .then((out) => secretValue(name, out.SecretString));
    // A failed read is not cached: the next invocation tries again.
    value.catch(() => cache.delete(name));
    cache.set(name, { at: Date.now(), value });
    return value;
  };
}
