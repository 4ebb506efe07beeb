/** Redis connections that fail fast: a dead or frozen member must not hang a step. */
import { Redis } from 'ioredis';
import { splitHostPort } from '../net.ts';

/** Credentials for Redis AUTH (from Secrets Manager in AWS). */
export interface RedisAuth {
  username?: string;
  password: string;
}

/** How to reach one Redis member. */
export interface RedisEndpointOptions {
  tls?: boolean;
  auth?: RedisAuth;
  connectTimeoutMs?: number;
  commandTimeoutMs?: number;
}

export { splitHostPort } from '../net.ts';

/**
 * A client for one member: no automatic reconnection loops, no offline queue, bounded connect and
 * command timeouts. Callers own it and must `disconnect()` it (see {@link withRedis}).
 */
export function connectRedis(endpoint: string, opts: RedisEndpointOptions = {}): Redis {
  const { host, port } = splitHostPort(endpoint);
  return new Redis({
    host,
    port,
    username: opts.auth?.username,
    password: opts.auth?.password,
    tls: opts.tls ? { servername: host } : undefined,
    connectTimeout: opts.connectTimeoutMs ?? 2_000,
    commandTimeout: opts.commandTimeoutMs ?? 2_000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: true,
    retryStrategy: () => null,
    lazyConnect: true,
    enableReadyCheck: false,
  });
}

/** Runs `fn` with a fresh connection to `endpoint` and always closes it. */
export async function withRedis<T>(
  endpoint: string,
  opts: RedisEndpointOptions,
  fn: (r: Redis) => Promise<T>,
): Promise<T> {
  const r = connectRedis(endpoint, opts);
  r.on('error', () => {}); // errors surface through the awaited commands
  try {
    await r.connect();
    return await fn(r);
  } finally {
    r.disconnect();
  }
}

/** Parses `INFO <section>` output into a flat record. */
export function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    if (!line || line.startsWith('#')) continue;
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}
