/**
 * How the Redis ports reach a member: its endpoint from the topology, TLS and timeouts, and Redis
 * AUTH from the Secrets Manager secret `redis.authSecret` (read lazily, cached by `getRedisAuth`).
 */

import { ownRegion } from '../aws/clients/defaults.ts';
import { secretsManagerClientFor } from '../aws/clients/secrets-manager.ts';
import { getRedisAuth } from '../aws/secrets.ts';
import type { DatastoreRecord } from '../ports.ts';
import type { RedisAuth, RedisEndpointOptions } from '../redis/connect.ts';
import type { Region, Topology } from '../topology.ts';
import { cachedRecord, ssmDatastorePort } from './datastore.ts';

/** Options of the Redis port factories. */
export interface RedisWiring {
  /** Redis AUTH (default: the topology's `redis.authSecret` from Secrets Manager; none without one). */
  auth?: () => Promise<RedisAuth | undefined>;
  /**
   * The datastore record re-protection wrote (new members, endpoints, global datastore id); default:
   * this region's SSM parameter, read at most every 5 s. Null -> the static topology.
   */
  datastore?: () => Promise<DatastoreRecord | null>;
}

let ssmRecord: (() => Promise<DatastoreRecord | null>) | undefined;
/** The record reader of a wiring (the SSM parameter unless the caller injects one). */
export function datastoreRecord(t: Topology, w: RedisWiring = {}): () => Promise<DatastoreRecord | null> {
  if (w.datastore) return w.datastore;
  return () => {
    ssmRecord ??= cachedRecord(ssmDatastorePort(t));
    return ssmRecord();
  };
}

/** The endpoint of a region's member now: the recorded one after re-protection, else the topology's. */
export async function redisEndpointNow(t: Topology, region: Region, w: RedisWiring = {}): Promise<string> {
  const recorded = (await datastoreRecord(t, w)())?.members[region]?.endpoint;
  return recorded ?? redisEndpointOf(t, region);
}

/** The connection options for every member of the topology's Redis. */
export function redisEndpointOptions(t: Topology, w: RedisWiring = {}): () => Promise<RedisEndpointOptions> {
  const r = t.redis;
  const auth =
    w.auth ??
    (async () =>
      r.authSecret ? getRedisAuth(secretsManagerClientFor(ownRegion()), r.authSecret) : undefined);
  return async () => ({
    tls: r.tls,
    auth: await auth(),
    connectTimeoutMs: r.connectTimeoutMs,
    commandTimeoutMs: r.commandTimeoutMs,
  });
}

/** The endpoint of a region's member; a region without one is a topology error. */
export function redisEndpointOf(t: Topology, region: Region): string {
  const m = t.redis.members[region];
  if (!m) throw new Error(`no Redis member for region ${region}`);
  return m.endpoint;
}

/** Every member's endpoint by region, as the topology gives them. */
export function redisEndpoints(t: Topology): Partial<Record<Region, string>> {
  return Object.fromEntries(Object.entries(t.redis.members).map(([region, m]) => [region, m.endpoint]));
}
