/**
 * {@link RedisPromoter} for self-managed Redis where one member replicates the other (`REPLICAOF`).
 *
 * Planned (old primary answers): refuse when the target lags more than `maxLagBytes`; pause writes
 * on the old primary, wait for the target to catch up to the exact offset, promote it
 * (`REPLICAOF NO ONE`), point the old primary at it, unpause. No acknowledged write is lost.
 * Unplanned (old primary does not answer): promote the target and report possible data loss.
 *
 * Data-layer fencing: primaries run with `min-replicas-to-write` (default 1) and
 * `min-replicas-max-lag`, so an old primary cut off from its replica refuses writes by itself
 * ("NOREPLICAS") instead of accepting them on an island until the next fencing pass (Redis docs,
 * "Replication": "Allow writes only with N attached replicas"). A member promoted with no replica
 * attached would refuse writes too: the promoter lowers the setting to 0 on the member it promotes,
 * and {@link ReplicaOfPromoter.protect} (run by every fencing pass) restores it once a replica is
 * online again (after the runbook's resync, or the demoted source of a planned switch).
 */
import type { Redis } from 'ioredis';
import { type Clock, systemClock } from '../clock.ts';
import { PromotionFailed, PromotionTimeout, TargetNotReady } from '../errors.ts';
import type {
  PromoteRequest,
  PromotionStatus,
  RedisMemberState,
  RedisPromoter,
  RedisState,
} from '../ports.ts';
import type { Region } from '../topology.ts';
import { parseInfo, type RedisEndpointOptions, splitHostPort, withRedis } from './connect.ts';

/** Settings of the `replicaof` adapter. */
export interface ReplicaOfOptions extends RedisEndpointOptions {
  /** Endpoint (host:port) of each member, by region. */
  members: Partial<Record<Region, string>>;
  /** A planned promotion is refused above this lag. */
  maxLagBytes: number;
  /** How long writes may stay paused on the old primary while the target catches up. */
  catchUpTimeoutMs?: number;
  /** Key written to prove the new primary accepts writes. */
  writeProbeKey?: string;
  /** The `min-replicas-to-write` of a primary with a replica attached; 0 turns data-layer fencing off. @default 1 */
  minReplicasToWrite?: number;
  /** `min-replicas-max-lag`, seconds: a replica silent for longer no longer counts. @default 10 */
  minReplicasMaxLagSeconds?: number;
}

/** What {@link ReplicaOfPromoter.protect} did. */
export interface ProtectResult {
  /** Primaries whose `min-replicas-to-write` was restored. */
  protected: Region[];
  detail: string;
}

interface MemberInfo {
  region: Region;
  endpoint: string;
  reachable: boolean;
  info: Record<string, string>;
  error?: string;
}

/** The key a promotion writes to prove the new primary accepts writes (its only write besides the lock). */
export const WRITE_PROBE_KEY = '{gloo-mesh}:failover:write-probe';

/** Self-managed Redis promotion via REPLICAOF. */
export class ReplicaOfPromoter implements RedisPromoter {
  private readonly clock: Clock;
  private readonly opts: ReplicaOfOptions;
  constructor(opts: ReplicaOfOptions, clock: Clock = systemClock) {
    this.opts = opts;
    this.clock = clock;
  }

  private endpoint(region: Region): string {
    const e = this.opts.members[region];
    if (!e) throw new PromotionFailed(`no Redis member configured for region ${region}`, { region });
    return e;
  }

  private run<T>(region: Region, fn: (r: Redis) => Promise<T>): Promise<T> {
    return withRedis(this.endpoint(region), this.opts, fn);
  }

  private async info(region: Region): Promise<MemberInfo> {
    const endpoint = this.endpoint(region);
    try {
      const text = await this.run(region, (r) => r.info('replication'));
      return { region, endpoint, reachable: true, info: parseInfo(text) };
    } catch (e) {
      return { region, endpoint, reachable: false, info: {}, error: (e as Error).message };
    }
  }

  async describe(): Promise<RedisState> {
    const infos = await Promise.all((Object.keys(this.opts.members) as Region[]).map((r) => this.info(r)));
    const primaries = infos.filter((m) => m.reachable && m.info.role === 'master');
    const members: RedisMemberState[] = infos.map((m) => this.memberState(m, infos));
    let groupStatus = 'available';
    let primaryRegion: Region | null = primaries[0]?.region ?? null;
    if (primaries.length > 1) {
      // Two writable members (e.g. the old primary came back after an unplanned promotion): the one
      // that has replicas attached is the live one; report the split either way.
      groupStatus = 'split';
      const withReplicas = primaries.filter((p) => Number(p.info.connected_slaves ?? 0) > 0);
      primaryRegion = withReplicas.length === 1 ? withReplicas[0]!.region : null;
    } else if (primaries.length === 0) groupStatus = 'no-primary';
    if (infos.some((m) => !m.reachable) && groupStatus === 'available') groupStatus = 'primary-only';
    return { members, primaryRegion, groupStatus };
  }

  private memberState(m: MemberInfo, all: MemberInfo[]): RedisMemberState {
    if (!m.reachable)
      return { region: m.region, role: 'unknown', reachable: false, detail: m.error ?? 'unreachable' };
    if (m.info.role === 'master') {
      // INFO shows min_slaves_good_slaves only while min-replicas-to-write is on ("INFO"
      // replication section); below redis.minReplicasToWrite good replicas the member answers
      // NOREPLICAS to every write.
      const good = m.info.min_slaves_good_slaves;
      const need = this.opts.minReplicasToWrite ?? 1;
      const refusesWrites = good !== undefined && need > 0 && Number(good) < need;
      return {
        region: m.region,
        role: 'primary',
        reachable: true,
        ...(refusesWrites ? { refusesWrites } : {}),
        detail: `connected_slaves=${m.info.connected_slaves ?? 0}${good === undefined ? '' : ` good_replicas=${good}`}${refusesWrites ? ` (refuses writes: min-replicas-to-write ${need})` : ''}`,
      };
    }
    const lag = this.lagOf(m, all);
    const linkUp = m.info.master_link_status === 'up';
    return {
      region: m.region,
      role: 'replica',
      reachable: true,
      inSync: linkUp && lag !== null && lag <= this.opts.maxLagBytes,
      lagBytes: lag,
      detail: `master=${m.info.master_host}:${m.info.master_port} link=${m.info.master_link_status} offset=${m.info.slave_repl_offset}`,
    };
  }

  /** Bytes the replica is behind its primary, when the primary is one of ours and answered. */
  private lagOf(replica: MemberInfo, all: MemberInfo[]): number | null {
    const primary = all.find((p) => p.reachable && p.info.role === 'master' && this.isMasterOf(p, replica));
    if (!primary) return null;
    return Math.max(0, Number(primary.info.master_repl_offset) - Number(replica.info.slave_repl_offset));
  }

  private isMasterOf(primary: MemberInfo, replica: MemberInfo): boolean {
    const { port } = splitHostPort(primary.endpoint);
    return Number(replica.info.master_port) === port;
  }

  async promote(req: PromoteRequest): Promise<PromotionStatus> {
    const { sourceRegion, targetRegion, dryRun } = req;
    const [target, source] = await Promise.all([this.info(targetRegion), this.info(sourceRegion)]);
    if (!target.reachable)
      throw new TargetNotReady(
        `the target Redis in ${targetRegion} (${target.endpoint}) does not answer: ${target.error}`,
        { region: targetRegion },
      );

    if (target.info.role === 'master') {
      // Already primary. If the old primary is back as a second primary, fence it now.
      if (source.reachable && source.info.role === 'master' && !dryRun)
        await this.demote(sourceRegion, targetRegion);
      return {
        state: 'noop',
        mode: 'none',
        targetRegion,
        detail: `${targetRegion} is already primary${source.reachable && source.info.role === 'master' ? `; ${dryRun ? 'would point' : 'pointed'} ${sourceRegion} at it` : ''}`,
      };
    }

    if (source.reachable && source.info.role === 'master') {
      const lag = Math.max(0, Number(source.info.master_repl_offset) - Number(target.info.slave_repl_offset));
      if (target.info.master_link_status !== 'up')
        throw new TargetNotReady(
          `the target Redis in ${targetRegion} is not replicating (master_link_status=${target.info.master_link_status})`,
          {
            region: targetRegion,
          },
        );
      if (lag > this.opts.maxLagBytes)
        throw new TargetNotReady(
          `the target Redis in ${targetRegion} lags ${lag} bytes behind (bound ${this.opts.maxLagBytes})`,
          { region: targetRegion, lagBytes: lag },
        );
      if (dryRun)
        return {
          state: 'would-promote',
          mode: 'planned',
          targetRegion,
          detail: `would promote ${targetRegion} (lag ${lag} bytes) and demote ${sourceRegion}`,
        };
      await this.plannedSwitch(sourceRegion, targetRegion);
      return this.status({ targetRegion, mode: 'planned' });
    }

    const downFor = target.info.master_link_down_since_seconds;
    const possibleDataLoss = {
      lagBytes: null,
      detail: `old primary ${sourceRegion} unreachable (${source.error ?? `role ${source.info.role}`}); the replica stopped at offset ${target.info.slave_repl_offset}${downFor ? ` with its link down for ${downFor}s` : ''}; writes after that are lost`,
    };
    if (dryRun)
      return {
        state: 'would-promote',
        mode: 'unplanned',
        targetRegion,
        possibleDataLoss,
        detail: `would promote ${targetRegion} without the old primary`,
      };
    await this.unprotect(targetRegion);
    await this.run(targetRegion, (r) => r.call('REPLICAOF', 'NO', 'ONE'));
    const st = await this.status({ targetRegion, mode: 'unplanned' });
    return { ...st, possibleDataLoss };
  }

  /** Pause writes on the source, let the target reach its exact offset, swap roles, unpause. */
  private async plannedSwitch(sourceRegion: Region, targetRegion: Region): Promise<void> {
    const timeout = this.opts.catchUpTimeoutMs ?? 5_000;
    const src = withRedis(this.endpoint(sourceRegion), this.opts, async (s) => {
      await s.call('CLIENT', 'PAUSE', String(timeout + 2_000), 'WRITE');
      try {
        const srcOffset = Number(parseInfo(await s.info('replication')).master_repl_offset);
        const deadline = this.clock.now() + timeout;
        for (;;) {
          const t = await this.info(targetRegion);
          if (t.reachable && Number(t.info.slave_repl_offset) >= srcOffset) break;
          if (this.clock.now() >= deadline)
            throw new PromotionTimeout(
              `the target Redis in ${targetRegion} did not reach offset ${srcOffset} within ${timeout} ms; nothing was switched`,
              {
                region: targetRegion,
              },
            );
          await this.clock.sleep(20);
        }
        await this.unprotect(targetRegion);
        await this.run(targetRegion, (r) => r.call('REPLICAOF', 'NO', 'ONE'));
        const { host, port } = splitHostPort(this.endpoint(targetRegion));
        await s.call('REPLICAOF', host, String(port));
      } finally {
        await s.call('CLIENT', 'UNPAUSE').catch(() => {});
      }
    });
    await src;
  }

  /**
   * Lets the member about to be promoted accept writes with no replica attached
   * (`min-replicas-to-write 0`); {@link protect} restores the setting once a replica is online.
   * Runs while it is still a replica, where the setting has no effect.
   */
  private async unprotect(region: Region): Promise<void> {
    if ((this.opts.minReplicasToWrite ?? 1) === 0) return;
    try {
      await this.run(region, (r) => r.call('CONFIG', 'SET', 'min-replicas-to-write', '0'));
    } catch (e) {
      throw new PromotionFailed(
        `cannot set min-replicas-to-write 0 on the Redis in ${region} before promoting it (${(e as Error).message}): promoted with no replica attached, it would refuse every write. Allow CONFIG SET to the orchestrator's Redis user, or set redis.minReplicasToWrite to 0 in the topology.`,
        { region },
      );
    }
  }

  /**
   * Re-protect: every primary that runs unprotected (`min-replicas-to-write` below the configured
   * value, as a promoted member is left) and has at least that many online replicas within the lag
   * bound gets the configured `min-replicas-to-write` and `min-replicas-max-lag` back. Never lowers
   * anything: only a promotion does, on the member it promotes. Safe to run any time.
   */
  async protect(): Promise<ProtectResult> {
    const want = this.opts.minReplicasToWrite ?? 1;
    const maxLag = this.opts.minReplicasMaxLagSeconds ?? 10;
    if (want === 0) return { protected: [], detail: 'data-layer fencing off (minReplicasToWrite 0)' };
    const done: Region[] = [];
    const notes: string[] = [];
    for (const region of Object.keys(this.opts.members) as Region[]) {
      // One connection per member and pass (the fencing pass runs often): INFO, then CONFIG only
      // on a primary with enough online replicas.
      const note = await this.run(region, async (r) => {
        const info = parseInfo(await r.info('replication'));
        if (info.role !== 'master') return undefined;
        const online = Object.entries(info).filter(
          ([k, v]) =>
            /^slave\d+$/.test(k) &&
            /(^|,)state=online(,|$)/.test(v) &&
            Number(/lag=(\d+)/.exec(v)?.[1] ?? Infinity) <= maxLag,
        ).length;
        const [, value] = (await r.call('CONFIG', 'GET', 'min-replicas-to-write')) as [string, string];
        const current = Number(value);
        if (current >= want) return undefined;
        if (online < want)
          return `${region}: unprotected (min-replicas-to-write ${current}), ${online} online replica(s)`;
        await r.call('CONFIG', 'SET', 'min-replicas-max-lag', String(maxLag));
        await r.call('CONFIG', 'SET', 'min-replicas-to-write', String(want));
        done.push(region);
        return `${region}: min-replicas-to-write ${current} -> ${want} (${online} online replica(s))`;
      }).catch((e) => `${region}: not checked (${(e as Error).message})`);
      if (note) notes.push(note);
    }
    return { protected: done, detail: notes.join('; ') || 'every primary protected' };
  }

  /** Points `region`'s member at `primaryRegion` (it becomes a read-only replica). */
  private async demote(region: Region, primaryRegion: Region): Promise<void> {
    const { host, port } = splitHostPort(this.endpoint(primaryRegion));
    await this.run(region, (r) => r.call('REPLICAOF', host, String(port)));
  }

  async status(req: { targetRegion: Region; mode: PromotionStatus['mode'] }): Promise<PromotionStatus> {
    const { targetRegion, mode } = req;
    const t = await this.info(targetRegion);
    if (!t.reachable)
      return { state: 'in-progress', mode, targetRegion, detail: `target does not answer: ${t.error}` };
    if (t.info.role !== 'master')
      return { state: 'in-progress', mode, targetRegion, detail: `target role is ${t.info.role}` };
    try {
      await this.run(targetRegion, (r) =>
        r.set(this.opts.writeProbeKey ?? WRITE_PROBE_KEY, String(this.clock.now()), 'PX', 60_000),
      );
    } catch (e) {
      return {
        state: 'in-progress',
        mode,
        targetRegion,
        detail: `target is master but refused a write: ${(e as Error).message}`,
      };
    }
    return {
      state: 'complete',
      mode,
      targetRegion,
      detail: `${targetRegion} is primary and accepted a write`,
    };
  }
}
