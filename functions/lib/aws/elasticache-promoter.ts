/**
 * {@link RedisPromoter} for an ElastiCache Global Datastore (AWS SDK v3).
 *
 * Promotion is AWS's documented DR action, planned or not: `FailoverGlobalReplicationGroup` sent to
 * the TARGET's own region, naming the target member as the new primary (as the vendor engineer's
 * promoter does). Only the target's regional control plane is asked before and after: the old
 * primary's region may be down, or unreachable by design (interface endpoints only), and what it
 * says (or does not say) never changes what we do.
 *
 * `DisassociateGlobalReplicationGroup` is irreversible (the member leaves the datastore for good,
 * unreplicated writes are lost, it cannot be re-added): it is sent only when the operator asked for
 * it explicitly (`force.detachRedis`), never as a fallback. Mutating calls go out through clients
 * without SDK retries; a lost response is resolved by reading the state again (a repeated call would
 * be refused with `InvalidGlobalReplicationGroupState`). Completion is decided from the target's
 * role plus a write probe, never from the datastore status word (`available`, `modifying`,
 * `primary-only` are all progress) and never from a read taken before the call.
 */
import {
  DescribeGlobalReplicationGroupsCommand,
  DescribeReplicationGroupsCommand,
  DisassociateGlobalReplicationGroupCommand,
  type ElastiCacheClient,
  FailoverGlobalReplicationGroupCommand,
  type GlobalReplicationGroup,
  type GlobalReplicationGroupMember,
  type ReplicationGroup,
} from '@aws-sdk/client-elasticache';
import { PromotionFailed, TransientError } from '../errors.ts';
import type {
  PromoteRequest,
  PromotionStatus,
  RedisMemberState,
  RedisPromoter,
  RedisRole,
  RedisState,
} from '../ports.ts';
import type { Region } from '../topology.ts';
import {
  awsErrorDetails,
  awsErrorName,
  isThrottlingError,
  isUnansweredError,
  transientFrom,
} from './errors.ts';

/** One member of the global datastore, as configured in the topology. */
export interface ElastiCacheMemberConfig {
  replicationGroupId: string;
  /** The member's primary endpoint (host:port). */
  endpoint: string;
}

/** The global datastore the promoter acts on. */
export interface DatastoreRef {
  globalReplicationGroupId: string;
  /** The members by region; their order is the order regions are asked in by `describe`. */
  members: Partial<Record<Region, ElastiCacheMemberConfig>>;
}

/** Settings of {@link ElastiCacheGlobalPromoter}. */
export interface ElastiCacheGlobalPromoterOptions extends DatastoreRef {
  /**
   * The datastore re-protection recorded (a new id and members after a forced detach), read on every
   * call; null or absent -> the static `globalReplicationGroupId` and `members` above.
   */
  registry?: () => Promise<DatastoreRef | null>;
  /** The ElastiCache client of a region, for reads (SDK retries allowed; see `aws/clients/elasticache.ts`). */
  clientFor: (region: Region) => ElastiCacheClient;
  /** The client for mutating calls: no SDK retries (see `aws/clients/defaults.ts`). Defaults to `clientFor`. */
  writeClientFor?: (region: Region) => ElastiCacheClient;
  /** Proves the member accepts a write (the step passes a Redis SET); a throw means "not yet". */
  writeProbe?: (region: Region) => Promise<void>;
}

/** What one region's control plane said about the global datastore. */
type RegionView =
  | { region: Region; kind: 'group'; group: GlobalReplicationGroup }
  | { region: Region; kind: 'not-found'; error: unknown }
  | { region: Region; kind: 'throttled'; error: unknown }
  | { region: Region; kind: 'unanswered'; error: unknown }
  | { region: Region; kind: 'error'; error: unknown };

type RgRead =
  | { kind: 'found'; rg: ReplicationGroup }
  | { kind: 'not-found' | 'unanswered' | 'throttled' | 'error'; error: unknown };

/** The target as its own region sees it. */
type TargetView =
  | { kind: 'member'; role: RedisRole; member: GlobalReplicationGroupMember; group: GlobalReplicationGroup }
  | { kind: 'standalone'; rg: ReplicationGroup }
  | { kind: 'secondary-elsewhere'; rg: ReplicationGroup }
  | { kind: 'unknown'; why: string }
  | { kind: 'silent'; why: string; error: unknown };

const INVALID_STATE = ['InvalidGlobalReplicationGroupStateFault', 'InvalidGlobalReplicationGroupState'];
const GROUP_NOT_FOUND = ['GlobalReplicationGroupNotFoundFault', 'GlobalReplicationGroupNotFound'];
const RG_NOT_FOUND = ['ReplicationGroupNotFoundFault', 'ReplicationGroupNotFound'];
/** Group statuses after which no promotion can finish. */
const DEAD_GROUP = ['deleting', 'deleted', 'create-failed'];

/**
 * ElastiCache stores replication group ids in lower case ("This parameter is stored as a lowercase
 * string", CreateReplicationGroup API reference); global datastore ids are compared the same way.
 */
export function sameId(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase();
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function roleOf(role: string | undefined): RedisRole {
  const r = role?.toUpperCase();
  return r === 'PRIMARY' ? 'primary' : r === 'SECONDARY' ? 'replica' : 'unknown';
}

/** ElastiCache Global Datastore promotion: `FailoverGlobalReplicationGroup` from the target's region. */
export class ElastiCacheGlobalPromoter implements RedisPromoter {
  private readonly opts: ElastiCacheGlobalPromoterOptions;
  constructor(opts: ElastiCacheGlobalPromoterOptions) {
    this.opts = opts;
  }

  /** The datastore to act on: the registry's record when there is one, else the topology's. */
  async datastore(): Promise<DatastoreRef> {
    const recorded = this.opts.registry ? await this.opts.registry() : null;
    return (
      recorded ?? { globalReplicationGroupId: this.opts.globalReplicationGroupId, members: this.opts.members }
    );
  }

  private write(region: Region): ElastiCacheClient {
    return (this.opts.writeClientFor ?? this.opts.clientFor)(region);
  }

  private member(ds: DatastoreRef, region: Region): ElastiCacheMemberConfig {
    const m = ds.members[region];
    if (!m)
      throw new PromotionFailed(`no ElastiCache member configured for region ${region}`, {
        region,
        configured: Object.keys(ds.members),
      });
    return m;
  }

  private async viewFrom(ds: DatastoreRef, region: Region): Promise<RegionView> {
    try {
      const out = await this.opts.clientFor(region).send(
        new DescribeGlobalReplicationGroupsCommand({
          GlobalReplicationGroupId: ds.globalReplicationGroupId,
          ShowMemberInfo: true,
        }),
      );
      const group = out.GlobalReplicationGroups?.find((g) =>
        sameId(g.GlobalReplicationGroupId, ds.globalReplicationGroupId),
      );
      if (!group) return { region, kind: 'not-found', error: new Error('not in the response') };
      return { region, kind: 'group', group };
    } catch (e) {
      if (isThrottlingError(e)) return { region, kind: 'throttled', error: e };
      if (GROUP_NOT_FOUND.includes(awsErrorName(e))) return { region, kind: 'not-found', error: e };
      if (isUnansweredError(e)) return { region, kind: 'unanswered', error: e };
      return { region, kind: 'error', error: e };
    }
  }

  /** The replication group in its own region, or a reason it could not be read. */
  private async replicationGroup(ds: DatastoreRef, region: Region): Promise<RgRead> {
    const { replicationGroupId } = this.member(ds, region);
    try {
      const out = await this.opts
        .clientFor(region)
        .send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: replicationGroupId }));
      const rg = out.ReplicationGroups?.find((g) => sameId(g.ReplicationGroupId, replicationGroupId));
      return rg ? { kind: 'found', rg } : { kind: 'not-found', error: new Error('not in the response') };
    } catch (e) {
      if (isThrottlingError(e)) return { kind: 'throttled', error: e };
      if (RG_NOT_FOUND.includes(awsErrorName(e))) return { kind: 'not-found', error: e };
      if (isUnansweredError(e)) return { kind: 'unanswered', error: e };
      return { kind: 'error', error: e };
    }
  }

  private static memberIn(
    group: GlobalReplicationGroup | undefined,
    region: Region,
    id: string,
  ): GlobalReplicationGroupMember | undefined {
    return group?.Members?.find(
      (x) => x.ReplicationGroupRegion === region && sameId(x.ReplicationGroupId, id),
    );
  }

  // -------------------------------------------------------------------------------------------
  // describe: every member's region is asked (read-only; any that answers is believed).

  async describe(): Promise<RedisState> {
    const ds = await this.datastore();
    const regions = Object.keys(ds.members) as Region[];
    const list = await Promise.all(regions.map((r) => this.viewFrom(ds, r)));
    const views = new Map(list.map((v) => [v.region, v]));
    const source = list.find((v) => v.kind === 'group') ?? list.find((v) => v.kind === 'not-found');
    if (!source) {
      const throttled = list.find((v) => v.kind === 'throttled');
      if (throttled)
        throw transientFrom(throttled.error, 'elasticache:DescribeGlobalReplicationGroups', {
          region: throttled.region,
        });
      const failed = list.find((v) => v.kind === 'error');
      if (failed) throw failed.error;
    }
    const group = source?.kind === 'group' ? source.group : undefined;
    const rgStatus = new Map<Region, string>();
    const members = await Promise.all(
      regions.map((region) => this.memberState(ds, region, views.get(region)!, source, group, rgStatus)),
    );
    const standalone = members.filter(
      (m) => m.role === 'standalone' && rgStatus.get(m.region) === 'available',
    );
    const groupPrimary = group?.Members?.find((m) => roleOf(m.Role) === 'primary');
    // A configured member that left the group (a forced detach) holds the live data even if the old
    // primary comes back as a (stale) group primary.
    const primaryRegion: Region | null =
      standalone.length === 1
        ? standalone[0]!.region
        : groupPrimary && regions.includes(groupPrimary.ReplicationGroupRegion as Region)
          ? (groupPrimary.ReplicationGroupRegion as Region)
          : null;
    const state: RedisState = { members, primaryRegion };
    if (group) state.groupStatus = group.Status ?? 'unknown';
    else if (source) state.groupStatus = 'not-found';
    return state;
  }

  private async memberState(
    ds: DatastoreRef,
    region: Region,
    view: RegionView,
    source: RegionView | undefined,
    group: GlobalReplicationGroup | undefined,
    rgStatus: Map<Region, string>,
  ): Promise<RedisMemberState> {
    const cfg = this.member(ds, region);
    const answered = view.kind !== 'unanswered';
    const silence = answered
      ? ''
      : `; the ElastiCache control plane in ${region} does not answer (${awsErrorName(view.error)}: ${message(view.error)})`;
    const m = ElastiCacheGlobalPromoter.memberIn(group, region, cfg.replicationGroupId);
    if (m) {
      const role = roleOf(m.Role);
      const s: RedisMemberState = {
        region,
        role,
        reachable: answered,
        detail: `${cfg.replicationGroupId} is ${m.Role ?? 'a member'} of ${ds.globalReplicationGroupId}, membership ${m.Status ?? 'unknown'}${silence}`,
      };
      if (role === 'replica') {
        // ElastiCache reports no replication lag through this API: "associated" is the best signal.
        s.inSync = answered && m.Status === 'associated' && group?.Status === 'available';
        s.lagBytes = null;
      }
      return s;
    }
    if (!answered) return { region, role: 'unknown', reachable: false, detail: `not described${silence}` };
    if (!source)
      return { region, role: 'unknown', reachable: true, detail: 'no region described the global datastore' };
    const r = await this.replicationGroup(ds, region);
    if (r.kind === 'throttled')
      throw transientFrom(r.error, 'elasticache:DescribeReplicationGroups', { region });
    if (r.kind === 'unanswered')
      return {
        region,
        role: 'unknown',
        reachable: false,
        detail: `DescribeReplicationGroups got no answer (${awsErrorName(r.error)})`,
      };
    if (r.kind !== 'found')
      return {
        region,
        role: 'unknown',
        reachable: true,
        detail: `replication group ${cfg.replicationGroupId}: ${awsErrorName(r.error)}: ${message(r.error)}`,
      };
    const status = r.rg.Status ?? 'unknown';
    rgStatus.set(region, status);
    const info = r.rg.GlobalReplicationGroupInfo;
    if (info?.GlobalReplicationGroupId)
      return {
        region,
        role: roleOf(info.GlobalReplicationGroupMemberRole),
        reachable: true,
        detail: `${cfg.replicationGroupId} reports itself ${info.GlobalReplicationGroupMemberRole} of ${info.GlobalReplicationGroupId} (status ${status}), not listed by ${ds.globalReplicationGroupId}`,
      };
    return {
      region,
      role: 'standalone',
      reachable: true,
      detail: `${cfg.replicationGroupId} is a standalone replication group (status ${status}), not in ${ds.globalReplicationGroupId}`,
    };
  }

  // -------------------------------------------------------------------------------------------
  // The target as its own region sees it: the only view promotion decisions are made on.

  private async target(ds: DatastoreRef, region: Region): Promise<TargetView> {
    const cfg = this.member(ds, region);
    const view = await this.viewFrom(ds, region);
    if (view.kind === 'throttled')
      throw transientFrom(view.error, 'elasticache:DescribeGlobalReplicationGroups', { region });
    if (view.kind === 'unanswered')
      return {
        kind: 'silent',
        why: `the ElastiCache control plane in the target region ${region} does not answer (${awsErrorName(view.error)}: ${message(view.error)})`,
        error: view.error,
      };
    if (view.kind === 'error')
      throw new PromotionFailed(
        `DescribeGlobalReplicationGroups failed in ${region}: ${awsErrorName(view.error)}: ${message(view.error)}`,
        { region, ...awsErrorDetails(view.error) },
      );
    if (view.kind === 'group') {
      const m = ElastiCacheGlobalPromoter.memberIn(view.group, region, cfg.replicationGroupId);
      if (m) return { kind: 'member', role: roleOf(m.Role), member: m, group: view.group };
    }
    // Not (or no longer) a member: the replication group itself says what it is.
    const r = await this.replicationGroup(ds, region);
    if (r.kind === 'throttled')
      throw transientFrom(r.error, 'elasticache:DescribeReplicationGroups', { region });
    if (r.kind === 'unanswered')
      return {
        kind: 'silent',
        why: `DescribeReplicationGroups got no answer in ${region} (${awsErrorName(r.error)})`,
        error: r.error,
      };
    if (r.kind !== 'found')
      return {
        kind: 'unknown',
        why: `replication group ${cfg.replicationGroupId} in ${region}: ${awsErrorName(r.error)}: ${message(r.error)}`,
      };
    const info = r.rg.GlobalReplicationGroupInfo;
    if (info?.GlobalReplicationGroupId && roleOf(info.GlobalReplicationGroupMemberRole) !== 'primary')
      return { kind: 'secondary-elsewhere', rg: r.rg };
    return { kind: 'standalone', rg: r.rg };
  }

  private static describeTarget(id: string, t: TargetView, gid: string): string {
    switch (t.kind) {
      case 'member':
        return `${id} is ${t.member.Role} of ${gid} (membership ${t.member.Status ?? 'unknown'}; datastore ${t.group.Status ?? 'unknown'})`;
      case 'standalone':
        return `${id} is a standalone replication group (status ${t.rg.Status ?? 'unknown'})`;
      case 'secondary-elsewhere':
        return `${id} is a secondary of ${t.rg.GlobalReplicationGroupInfo?.GlobalReplicationGroupId} (status ${t.rg.Status})`;
      default:
        return t.why;
    }
  }

  // -------------------------------------------------------------------------------------------
  // promote

  async promote(req: PromoteRequest): Promise<PromotionStatus> {
    const { targetRegion, dryRun } = req;
    const ds = await this.datastore();
    const cfg = this.member(ds, targetRegion);
    const gid = ds.globalReplicationGroupId;
    const t = await this.target(ds, targetRegion);
    const seen = ElastiCacheGlobalPromoter.describeTarget(cfg.replicationGroupId, t, gid);
    if (t.kind === 'silent')
      // The call would go to this region: nothing is sent while it does not answer.
      throw new TransientError(seen, { region: targetRegion, ...awsErrorDetails(t.error) });

    if ((t.kind === 'member' && t.role === 'primary') || t.kind === 'standalone') {
      // Already primary (a re-run, or a lost response of an earlier run): done once it takes a write.
      const mode = t.kind === 'standalone' ? 'unplanned' : 'planned';
      const done = await this.probe(targetRegion, mode, seen);
      return done.state === 'complete'
        ? { state: 'noop', mode: 'none', targetRegion, detail: `already primary: ${done.detail}` }
        : done;
    }
    if (t.kind !== 'member' || t.role !== 'replica')
      throw new PromotionFailed(
        `${cfg.replicationGroupId} in ${targetRegion} is not a secondary of ${gid}: ${seen}`,
        {
          region: targetRegion,
        },
      );
    if (DEAD_GROUP.includes(t.group.Status ?? ''))
      throw new PromotionFailed(`the global datastore ${gid} is ${t.group.Status}: nothing to promote`, {
        groupStatus: t.group.Status,
      });

    if (req.detach) return this.detach(ds, req, t);

    const oldPrimary = t.group.Members?.find((m) => roleOf(m.Role) === 'primary');
    const unplanned = t.group.Status !== 'available' || oldPrimary?.Status !== 'associated';
    const possibleDataLoss = unplanned
      ? {
          lagBytes: null,
          detail: `the datastore was ${t.group.Status} with the old primary ${oldPrimary?.ReplicationGroupId ?? '(none listed)'} ${oldPrimary?.Status ?? ''} when the failover was requested: writes it had not yet replicated to ${targetRegion} may be lost (ElastiCache does not report the lag)`,
        }
      : undefined;
    const mode = unplanned ? 'unplanned' : 'planned';
    const result = (state: PromotionStatus['state'], detail: string): PromotionStatus => ({
      state,
      mode,
      targetRegion,
      detail,
      ...(possibleDataLoss ? { possibleDataLoss } : {}),
    });

    if (t.group.Status === 'modifying')
      // Something (most likely our own earlier call whose response was lost) is changing the
      // datastore: a second call would be refused. Poll roles instead.
      return result('in-progress', `${gid} is modifying; not sending a second failover (${seen})`);

    const what = `FailoverGlobalReplicationGroup sent to ${targetRegion}: ${cfg.replicationGroupId} becomes primary of ${gid}${oldPrimary ? `, ${oldPrimary.ReplicationGroupId} (${oldPrimary.ReplicationGroupRegion}) secondary` : ''}`;
    if (dryRun) return result('would-promote', `would be ${what} (now: ${seen})`);
    try {
      await this.write(targetRegion).send(
        new FailoverGlobalReplicationGroupCommand({
          GlobalReplicationGroupId: gid,
          PrimaryRegion: targetRegion,
          PrimaryReplicationGroupId: cfg.replicationGroupId,
        }),
      );
    } catch (e) {
      return this.afterRefusal(e, ds, 'FailoverGlobalReplicationGroup', targetRegion, mode, possibleDataLoss);
    }
    return result('in-progress', what);
  }

  /** `DisassociateGlobalReplicationGroup` of the target, only on the operator's explicit request. */
  private async detach(
    ds: DatastoreRef,
    req: PromoteRequest,
    t: Extract<TargetView, { kind: 'member' }>,
  ): Promise<PromotionStatus> {
    const { targetRegion, dryRun } = req;
    const cfg = this.member(ds, targetRegion);
    const gid = ds.globalReplicationGroupId;
    const oldPrimary = t.group.Members?.find((m) => roleOf(m.Role) === 'primary');
    const possibleDataLoss = {
      lagBytes: null,
      detail: `IRREVERSIBLE (force.detachRedis): ${cfg.replicationGroupId} in ${targetRegion} left the global datastore ${gid} for good and is a standalone primary. Lost: every write the old primary ${oldPrimary?.ReplicationGroupId ?? '(unknown)'} (${oldPrimary?.ReplicationGroupRegion ?? 'unknown region'}) accepted that had not replicated to ${targetRegion} (ElastiCache does not report how much), and the cross-region protection: ${gid} keeps only the old primary, which becomes a separate island when its region returns. Re-protect (a new global datastore from ${cfg.replicationGroupId} plus a new secondary) before any failback.`,
    };
    const result = (state: PromotionStatus['state'], detail: string): PromotionStatus => ({
      state,
      mode: 'unplanned',
      targetRegion,
      possibleDataLoss,
      detail,
    });
    if (/disassociat/i.test(t.member.Status ?? '') || t.group.Status === 'modifying')
      return result(
        'in-progress',
        `${gid} is ${t.group.Status}, membership ${t.member.Status}: not sending a second call`,
      );
    const what = `DisassociateGlobalReplicationGroup sent to ${targetRegion}: ${cfg.replicationGroupId} leaves ${gid} (irreversible)`;
    if (dryRun) return result('would-promote', `would be ${what}`);
    try {
      await this.write(targetRegion).send(
        new DisassociateGlobalReplicationGroupCommand({
          GlobalReplicationGroupId: gid,
          ReplicationGroupId: cfg.replicationGroupId,
          ReplicationGroupRegion: targetRegion,
        }),
      );
    } catch (e) {
      return this.afterRefusal(
        e,
        ds,
        'DisassociateGlobalReplicationGroup',
        targetRegion,
        'unplanned',
        possibleDataLoss,
      );
    }
    return result('in-progress', what);
  }

  /**
   * A mutating call failed. Throttling: retry (nothing happened). No answer, or
   * `InvalidGlobalReplicationGroupState`: the call may have been applied (a lost response, or our
   * own earlier call in flight) -> read the target again; progress toward it is `in-progress`.
   */
  private async afterRefusal(
    e: unknown,
    ds: DatastoreRef,
    action: string,
    targetRegion: Region,
    mode: PromotionStatus['mode'],
    possibleDataLoss: PromotionStatus['possibleDataLoss'],
  ): Promise<PromotionStatus> {
    const details = { action, sentTo: targetRegion, mode, ...awsErrorDetails(e) };
    if (isThrottlingError(e)) throw transientFrom(e, `elasticache:${action}`, { targetRegion });
    const name = awsErrorName(e);
    const ambiguous = isUnansweredError(e) || INVALID_STATE.includes(name);
    if (!ambiguous) {
      if (GROUP_NOT_FOUND.includes(name))
        throw new PromotionFailed(
          `the global datastore ${ds.globalReplicationGroupId} does not exist (${action})`,
          details,
        );
      throw new PromotionFailed(`${action} failed in ${targetRegion}: ${name}: ${message(e)}`, details);
    }
    let after: TargetView;
    try {
      after = await this.target(ds, targetRegion);
    } catch (re) {
      after = { kind: 'silent', why: message(re), error: re };
    }
    if (after.kind === 'silent')
      // Cannot tell whether the call was applied: retry the step, which reads first.
      throw new TransientError(
        `${action} in ${targetRegion}: ${name} and the state could not be read again (${after.why}); retry`,
        details,
      );
    const cfg = this.member(ds, targetRegion);
    const seen = ElastiCacheGlobalPromoter.describeTarget(
      cfg.replicationGroupId,
      after,
      ds.globalReplicationGroupId,
    );
    const moving =
      after.kind === 'standalone' ||
      (after.kind === 'member' &&
        (after.role === 'primary' ||
          after.group.Status === 'modifying' ||
          /disassociat/i.test(after.member.Status ?? '')));
    if (moving)
      return {
        state: 'in-progress',
        mode,
        targetRegion,
        detail: `${action}: ${name} (${isUnansweredError(e) ? 'response lost' : 'a change is already under way'}); the datastore is moving: ${seen}`,
        ...(possibleDataLoss ? { possibleDataLoss } : {}),
      };
    if (isUnansweredError(e))
      // Not applied as far as we can see: the ASL retries the step, which reads first again.
      throw transientFrom(e, `elasticache:${action}`, { targetRegion, seen });
    throw new PromotionFailed(`${action} refused: ${message(e)} (${seen})`, details);
  }

  // -------------------------------------------------------------------------------------------
  // status: the target's role, read now, plus a write probe. The status word is not completion.

  async status(req: { targetRegion: Region; mode: PromotionStatus['mode'] }): Promise<PromotionStatus> {
    const { targetRegion, mode } = req;
    const ds = await this.datastore();
    const cfg = this.member(ds, targetRegion);
    const inProgress = (detail: string): PromotionStatus => ({
      state: 'in-progress',
      mode,
      targetRegion,
      detail,
    });
    const t = await this.target(ds, targetRegion);
    if (t.kind === 'silent') return inProgress(t.why);
    const seen = ElastiCacheGlobalPromoter.describeTarget(
      cfg.replicationGroupId,
      t,
      ds.globalReplicationGroupId,
    );
    if (t.kind === 'member') {
      if (DEAD_GROUP.includes(t.group.Status ?? ''))
        throw new PromotionFailed(`the global datastore is ${t.group.Status}: ${seen}`, {
          region: targetRegion,
        });
      if (t.role !== 'primary') return inProgress(`not primary yet: ${seen}`);
      return this.probe(targetRegion, mode, seen);
    }
    if (t.kind === 'standalone') {
      if (t.rg.Status !== 'available') return inProgress(`left the datastore, not available yet: ${seen}`);
      return this.probe(targetRegion, mode, seen);
    }
    if (t.kind === 'secondary-elsewhere') return inProgress(seen);
    throw new PromotionFailed(`cannot read the target: ${seen}`, { region: targetRegion });
  }

  private async probe(
    targetRegion: Region,
    mode: PromotionStatus['mode'],
    why: string,
  ): Promise<PromotionStatus> {
    if (this.opts.writeProbe) {
      try {
        await this.opts.writeProbe(targetRegion);
      } catch (e) {
        return {
          state: 'in-progress',
          mode,
          targetRegion,
          detail: `${why}, but it refused a write: ${message(e)}`,
        };
      }
      return { state: 'complete', mode, targetRegion, detail: `${why}, and it accepted a write` };
    }
    return { state: 'complete', mode, targetRegion, detail: why };
  }
}
