/**
 * The datastore record re-protection writes (an SSM parameter per region), and a short-lived cache
 * of it: every step that reaches Redis reads it, so that after re-protection the promoter, the lock
 * and the write probe act on the new datastore, not the static topology.
 */

import { ownRegion } from '../aws/clients/defaults.ts';
import { ssmClientFor } from '../aws/clients/ssm.ts';
import { datastoreParameterName, SsmDatastoreRegistry } from '../aws/ssm-datastore-registry.ts';
import { type Clock, systemClock } from '../clock.ts';
import type { DatastoreRecord, DatastoreRegistry } from '../ports.ts';
import type { Region, Topology } from '../topology.ts';

/** This region's copy of the record (read), every member region's (written). */
export function ssmDatastorePort(t: Topology): DatastoreRegistry {
  return new SsmDatastoreRegistry({
    parameterName: datastoreParameterName(t.name),
    region: ownRegion(),
    regions: Object.keys(t.redis.members) as Region[],
    clientFor: ssmClientFor,
  });
}

/** The peer region's copy of the record (read by continuous readiness to compare the two). */
export function peerDatastorePort(t: Topology): { region: Region; registry: DatastoreRegistry } | undefined {
  const own = ownRegion();
  const region = (Object.keys(t.redis.members) as Region[]).find((r) => r !== own);
  if (!region) return undefined;
  return {
    region,
    registry: new SsmDatastoreRegistry({
      parameterName: datastoreParameterName(t.name),
      region,
      regions: [region],
      clientFor: ssmClientFor,
    }),
  };
}

/** Reads the record at most once per `ttlMs` (a failed read is not cached). */
export function cachedRecord(
  registry: DatastoreRegistry,
  clock: Clock = systemClock,
  ttlMs = 5_000,
): () => Promise<DatastoreRecord | null> {
  let cached: { at: number; rec: Promise<DatastoreRecord | null> } | undefined;
  return () => {
    if (!cached || clock.now() - cached.at > ttlMs) {
      const rec = registry.read();
      cached = { at: clock.now(), rec };
      rec.catch(() => {
        cached = undefined;
      });
    }
    return cached.rec;
  };
}
