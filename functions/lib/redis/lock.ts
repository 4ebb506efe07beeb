/**
 * The Gloo global lock on Redis, with a fencing epoch.
 *
 * Gloo keeps "which management cluster is active" in Redis and `meshctl experimental switch-active`
 * moves it; the key name and value layout are not publicly documented, so both are configurable
 * (topology `lock`, adapter `redis-key`). Default: key `{gloo-mesh}:global-lock` holding the server id, and a
 * fencing epoch in `<key>:epoch` that rises by one on every switch. See docs/modes.md.
 */
import type { Redis } from 'ioredis';
import { LockHeldByOther } from '../errors.ts';
import type { GlobalLock, LockState, LockSwitchRequest, LockSwitchResult } from '../ports.ts';
import { renderLockValue } from '../topology.ts';

/** Where the lock lives and how its value is written. */
export interface LockFormat {
  key: string;
  epochKey: string;
  /** `{serverId}` (or `{cluster}`) and `{glooClusterName}` are replaced by the holder's values. */
  valueFormat: string;
  /** Expiry of the lock key (seconds); absent: none. */
  ttlSeconds?: number;
  /** The servers that may hold the lock (their Gloo cluster names fill `{glooClusterName}`). */
  holders?: readonly { id: string; glooClusterName: string }[];
}

/**
 * One round trip, atomic: compare the holder, set the new one, raise the epoch.
 * KEYS: lock, epoch. ARGV: expected value ('' = absent), new value, force ('1'/'0'),
 * min epoch, TTL in ms (0 = none). Returns {outcome, previous value, previous epoch, epoch}.
 */
const SWITCH_SCRIPT = `
local cur = redis.call('GET', KEYS[1])
local epoch = tonumber(redis.call('GET', KEYS[2]) or '0') or 0
local curv = cur or ''
if cur and cur == ARGV[2] then
  return {'already-held', curv, tostring(epoch), tostring(epoch)}
end
if curv ~= ARGV[1] and ARGV[3] ~= '1' then
  return {'held-by-other', curv, tostring(epoch), tostring(epoch)}
end
local minEpoch = tonumber(ARGV[4]) or 0
local nextEpoch = math.max(epoch, minEpoch) + 1
local ttl = tonumber(ARGV[5]) or 0
if ttl > 0 then redis.call('SET', KEYS[1], ARGV[2], 'PX', ttl) else redis.call('SET', KEYS[1], ARGV[2]) end
redis.call('SET', KEYS[2], tostring(nextEpoch))
return {'switched', curv, tostring(epoch), tostring(nextEpoch)}
`;

/** Renders the lock value for a holder (a server id). */
export function formatLockValue(format: LockFormat, holder: string): string {
  const gloo = format.holders?.find((h) => h.id === holder)?.glooClusterName ?? holder;
  return renderLockValue(format.valueFormat, { id: holder, glooClusterName: gloo });
}

/**
 * The holder (server id) a lock value names: the known holder whose rendering matches, else the
 * id cut out of the value by the template (`{glooClusterName}` matching anything); null when the
 * value does not have the template's shape.
 */
export function parseLockValue(format: LockFormat, value: string): string | null {
  for (const h of format.holders ?? []) if (formatLockValue(format, h.id) === value) return h.id;
  const parts = format.valueFormat.split(/(\{serverId\}|\{cluster\}|\{glooClusterName\})/);
  let idGroups = 0;
  const pattern = parts
    .map((p) => {
      if (p === '{serverId}' || p === '{cluster}') return idGroups++ === 0 ? '(?<id>.+?)' : '\\k<id>';
      if (p === '{glooClusterName}') return '.+?';
      return p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('');
  if (idGroups === 0) return null;
  return new RegExp(`^${pattern}$`, 's').exec(value)?.groups?.id ?? null;
}

/** {@link GlobalLock} on one Redis connection (the writable member). */
export class RedisGlobalLock implements GlobalLock {
  private readonly redis: Redis;
  private readonly format: LockFormat;
  constructor(redis: Redis, format: LockFormat) {
    this.redis = redis;
    this.format = format;
  }

  async read(): Promise<LockState> {
    const [raw, epoch] = await this.redis.mget(this.format.key, this.format.epochKey);
    return this.state(raw ?? null, Number(epoch ?? 0));
  }

  async switch(req: LockSwitchRequest): Promise<LockSwitchResult> {
    const expected = req.expectedHolder === null ? '' : formatLockValue(this.format, req.expectedHolder);
    const next = formatLockValue(this.format, req.newHolder);
    // A dry run may target a read-only replica (the target before promotion): decide from plain
    // reads with the same rules as the script, and write nothing.
    const res = req.dryRun
      ? await this.decideDry(expected, next, req)
      : await this.evalSwitch(expected, next, req);
    const [outcome, prevRaw, prevEpoch, epoch] = res;
    const previous = this.state(prevRaw === '' ? null : prevRaw, Number(prevEpoch));
    if (outcome === 'held-by-other') {
      throw new LockHeldByOther(
        `the global lock is held by ${previous.holder ?? `an unrecognised value ${JSON.stringify(prevRaw)}`}, not ${req.expectedHolder ?? '(nobody)'}; pass force to take it anyway`,
        {
          holder: previous.holder,
          rawValue: previous.rawValue,
          epoch: previous.epoch,
          expectedHolder: req.expectedHolder,
        },
      );
    }
    return {
      outcome: outcome as LockSwitchResult['outcome'],
      previous,
      holder: outcome === 'would-switch' ? (previous.holder ?? '') : req.newHolder,
      epoch: Number(epoch),
    };
  }

  private async evalSwitch(
    expected: string,
    next: string,
    req: LockSwitchRequest,
  ): Promise<[string, string, string, string]> {
    const args = [
      SWITCH_SCRIPT,
      2,
      this.format.key,
      this.format.epochKey,
      expected,
      next,
      req.force ? '1' : '0',
      String(req.minEpoch ?? 0),
      String((this.format.ttlSeconds ?? 0) * 1000),
    ] as const;
    try {
      return (await this.redis.eval(...args)) as [string, string, string, string];
    } catch (e) {
      if (!req.throughReplicaFence || !/^NOREPLICAS/.test((e as Error).message)) throw e;
    }
    // An island that refuses writes by itself: lower the fence, switch and restore it atomically
    // (a MULTI/EXEC runs without any other client's command in between).
    const [, value] = (await this.redis.call('CONFIG', 'GET', 'min-replicas-to-write')) as [string, string];
    const results = await this.redis
      .multi()
      .call('CONFIG', 'SET', 'min-replicas-to-write', '0')
      .eval(...args)
      .call('CONFIG', 'SET', 'min-replicas-to-write', value)
      .exec();
    const failed = results?.find(([err]) => err);
    if (!results || failed) throw failed?.[0] ?? new Error('the fencing transaction was discarded');
    return results[1]![1] as [string, string, string, string];
  }

  private async decideDry(
    expected: string,
    next: string,
    req: LockSwitchRequest,
  ): Promise<[string, string, string, string]> {
    const [raw, epochText] = await this.redis.mget(this.format.key, this.format.epochKey);
    const cur = raw ?? '';
    const epoch = Number(epochText ?? 0) || 0;
    if (raw !== null && raw === next) return ['already-held', cur, String(epoch), String(epoch)];
    if (cur !== expected && !req.force) return ['held-by-other', cur, String(epoch), String(epoch)];
    return ['would-switch', cur, String(epoch), String(Math.max(epoch, req.minEpoch ?? 0) + 1)];
  }

  private state(raw: string | null, epoch: number): LockState {
    return {
      holder: raw === null ? null : parseLockValue(this.format, raw),
      rawValue: raw,
      epoch: Number.isFinite(epoch) ? epoch : 0,
    };
  }
}
