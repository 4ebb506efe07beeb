/**
 * The sandbox's stand-in for Gloo's own global lock. Gloo's real key, value and lease are not
 * public (REFERENCE.md, "Not public"); the sandbox picks one concrete shape so that the fake
 * `meshctl` writes it, the simulated servers obey it, and `npm run calibrate` can discover it
 * exactly as it would discover the real one. Nothing in functions/ knows this shape: the product
 * either runs meshctl, or is told the key by the topology (`lock.adapter: "redis-key"`).
 *
 * Value: `<common.cluster>/<server>` where `<server>` is the management server the kube context
 * reaches (with a shared common.cluster, the name alone could not tell the servers apart).
 */
import type { LockFormat } from '#lib/redis/lock.ts';

/** Key, epoch key and value template of the sandbox's Gloo lock. */
export const SANDBOX_GLOO_LOCK: Omit<LockFormat, 'holders'> = {
  key: '{gloo-mesh}:global-lock',
  epochKey: '{gloo-mesh}:global-lock:epoch',
  valueFormat: '{glooClusterName}/{serverId}',
};

/**
 * One round trip: set the lock to ARGV[1] unless it already holds it, and raise the epoch.
 * Returns {'already', epoch} or {'switched', epoch}.
 */
export const SWITCH_ACTIVE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return {'already', redis.call('GET', KEYS[2]) or '0'}
end
redis.call('SET', KEYS[1], ARGV[1])
return {'switched', tostring(redis.call('INCR', KEYS[2]))}
`;
