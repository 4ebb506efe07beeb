/**
 * {@link RedisPromoter} for an ElastiCache Global Datastore (AWS SDK v3).
 *
 * Planned (the current primary's regional control plane answers): `FailoverGlobalReplicationGroup`
 * sent to that region, naming the member that is to *become* primary. Unplanned (it does not answer):
 * `DisassociateGlobalReplicationGroup` of the target member, sent to the target's region; the target
 * becomes a standalone primary and writes not yet replicated are lost. Both return `in-progress`:
 * the workflow polls {@link ElastiCacheGlobalPromoter.status} (Wait + Choice), nothing sleeps here.
 */
import {
  DescribeGlobalReplicationGroupsCommand,
  DescribeReplicationGroupsCommand,
  DisassociateGlobalReplicationGroupCommand,
  type ElastiCacheClient,
  FailoverGlobalReplicationGroupCommand,
  type GlobalReplicationGroup,
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

/** Settings of {@link ElastiCacheGlobalPromoter}. */
export interface ElastiCacheGlobalPromoterOptions {
  globalReplicationGroupId: string;
  /** The configured members by region; their order is the order regions are asked in. */
  members: Partial<Record<Region, ElastiCacheMemberConfig>>;
  /** The ElastiCache client of a region (built once per container, see `clients.ts`). */
  clientFor: (region: Region) => ElastiCacheClient;
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

interface Snapshot {
  state: RedisState;
  /** The global datastore as seen by the first region (in configured order) that answered. */
  group: GlobalReplicationGroup | undefined;
  views: Map<Region, RegionView>;
  /** Replication group status of members described on their own (detached / not in the group). */
  rgStatus: Map<Region, string>;
}

const INVALID_STATE = ['InvalidGlobalReplicationGroupStateFault', 'InvalidGlobalReplicationGroupState'];
const GROUP_NOT_FOUND = ['GlobalReplicationGroupNotFoundFault', 'GlobalReplicationGroupNotFound'];
const RG_NOT_FOUND = ['ReplicationGroupNotFoundFault', 'ReplicationGroupNotFound'];

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function roleOf(role: string | undefined): RedisRole {
  const r = role?.toUpperCase();
  return r === 'PRIMARY' ? 'primary' : r === 'SECONDARY' ? 'replica' : 'unknown';
}

/** ElastiCache Global Datastore promotion: planned failover or unplanned disassociation. */
export class ElastiCacheGlobalPromoter implements RedisPromoter {
  private readonly opts: ElastiCacheGlobalPromoterOptions;
  constructor(opts: ElastiCacheGlobalPromoterOptions) {
    this.opts = opts;
  }

  private get regions(): Region[] {
    return Object.keys(this.opts.members) as Region[];
  }

  private member(region: Region): ElastiCacheMemberConfig {
    const m = this.opts.members[region];
    if (!m)
      throw new PromotionFailed(`no ElastiCache member configured for region ${region}`, {
        region,
        configured: this.regions,
      });
    return m;
  }

  private async viewFrom(region: Region): Promise<RegionView> {
    try {
      const out = await this.opts.clientFor(region).send(
        new DescribeGlobalReplicationGroupsCommand({
          GlobalReplicationGroupId: this.opts.globalReplicationGroupId,
          ShowMemberInfo: true,
        }),
      );
      const group = out.GlobalReplicationGroups?.find(
        (g) => g.GlobalReplicationGroupId === this.opts.globalReplicationGroupId,
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
  private async replicationGroup(
    region: Region,
  ): Promise<
    | { kind: 'found'; rg: ReplicationGroup }
    | { kind: 'not-found' | 'unanswered' | 'throttled' | 'error'; error: unknown }
  > {
    const { replicationGroupId } = this.member(region);
    try {
      const out = await this.opts
        .clientFor(region)
        .send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: replicationGroupId }));
      const rg = out.ReplicationGroups?.find(
        (g) => g.ReplicationGroupId?.toLowerCase() === replicationGroupId.toLowerCase(),
      );
      return rg ? { kind: 'found', rg } : { kind: 'not-found', error: new Error('not in the response') };
    } catch (e) {
      if (isThrottlingError(e)) return { kind: 'throttled', error: e };
      if (RG_NOT_FOUND.includes(awsErrorName(e))) return { kind: 'not-found', error: e };
      if (isUnansweredError(e)) return { kind: 'unanswered', error: e };
      return { kind: 'error', error: e };
    }
  }

  /** Asks every member's region at once; the first (in configured order) that describes the group is believed. */
  private async snapshot(): Promise<Snapshot> {
    const regions = this.regions;
    const list = await Promise.all(regions.map((r) => this.viewFrom(r)));
    const views = new Map(list.map((v) => [v.region, v]));
    // A region that sees the group knows more than one that does not (e.g. a member that left it).
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
      regions.map((region) => this.memberState(region, views.get(region)!, source, group, rgStatus)),
    );

    const standalone = members.filter(
      (m) => m.role === 'standalone' && rgStatus.get(m.region) === 'available',
    );
    const groupPrimary = group?.Members?.find((m) => roleOf(m.Role) === 'primary');
    // A configured member that left the group on its own is what an unplanned promotion leaves
    // behind: it holds the live data even if the old primary comes back as a (stale) group primary.
    const primaryRegion: Region | null =
      standalone.length === 1
        ? standalone[0]!.region
        : groupPrimary && regions.includes(groupPrimary.ReplicationGroupRegion as Region)
          ? (groupPrimary.ReplicationGroupRegion as Region)
          : null;
    const state: RedisState = { members, primaryRegion };
    if (group) state.groupStatus = group.Status ?? 'unknown';
    else if (source) state.groupStatus = 'not-found';
    return { state, group, views, rgStatus };
  }

  private async memberState(
    region: Region,
    view: RegionView,
    source: RegionView | undefined,
    group: GlobalReplicationGroup | undefined,
    rgStatus: Map<Region, string>,
  ): Promise<RedisMemberState> {
    const cfg = this.member(region);
    const answered = view.kind !== 'unanswered';
    const silence = answered
      ? ''
      : `; the ElastiCache control plane in ${region} does not answer (${awsErrorName(view.error)}: ${message(view.error)})`;
    const m = group?.Members?.find(
      (x) => x.ReplicationGroupRegion === region && x.ReplicationGroupId === cfg.replicationGroupId,
    );
    if (m) {
      const role = roleOf(m.Role);
      const s: RedisMemberState = {
        region,
        role,
        reachable: answered,
        detail: `${cfg.replicationGroupId} is ${m.Role ?? 'a member'} of ${this.opts.globalReplicationGroupId}, membership ${m.Status ?? 'unknown'}${silence}`,
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
      return { region, role: 'unknown', reachable: true, detail: `no region described the global datastore` };
    // Not (or no longer) a member: ask the replication group itself.
    const r = await this.replicationGroup(region);
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
        detail: `${cfg.replicationGroupId} reports itself ${info.GlobalReplicationGroupMemberRole} of ${info.GlobalReplicationGroupId} (status ${status}), not listed by the global datastore`,
      };
    return {
      region,
      role: 'standalone',
      reachable: true,
      detail: `${cfg.replicationGroupId} is a standalone replication group (status ${status}), not in ${this.opts.globalReplicationGroupId}`,
    };
  }

  async describe(): Promise<RedisState> {
    return (await this.snapshot()).state;
  }

  async promote(req: PromoteRequest): Promise<PromotionStatus> {
    const { targetRegion, dryRun } = req;
    const target = this.member(targetRegion);
    const snap = await this.snapshot();
    const t = snap.state.members.find((m) => m.region === targetRegion)!;
    const tView = snap.views.get(targetRegion)!;
    if (tView.kind === 'unanswered' || !t.reachable)
      throw new TransientError(
        `the ElastiCache control plane in the target region ${targetRegion} does not answer: ${t.detail}`,
        { region: targetRegion, ...(tView.kind === 'unanswered' ? awsErrorDetails(tView.error) : {}) },
      );

    if (t.role === 'primary' || t.role === 'standalone') {
      const mode = t.role === 'standalone' ? 'unplanned' : 'planned';
      const settled =
        t.role === 'standalone'
          ? snap.rgStatus.get(targetRegion) === 'available'
          : snap.group?.Status === 'available';
      if (settled)
        return {
          state: 'noop',
          mode: 'none',
          targetRegion,
          detail: `${target.replicationGroupId} in ${targetRegion} is already primary (${t.detail})`,
        };
      return {
        state: 'in-progress',
        mode,
        targetRegion,
        detail: `${target.replicationGroupId} in ${targetRegion} is becoming primary (${t.detail}; global datastore ${snap.state.groupStatus})`,
      };
    }
    if (t.role !== 'replica')
      throw new PromotionFailed(
        `${target.replicationGroupId} in ${targetRegion} is not a secondary of ${this.opts.globalReplicationGroupId}: ${t.detail}`,
        { region: targetRegion, role: t.role },
      );

    const primary = snap.group?.Members?.find((m) => roleOf(m.Role) === 'primary');
    if (!primary?.ReplicationGroupRegion || !primary.ReplicationGroupId)
      throw new PromotionFailed(
        `the global datastore ${this.opts.globalReplicationGroupId} has no primary member`,
        {
          groupStatus: snap.state.groupStatus,
        },
      );
    const primaryRegion = primary.ReplicationGroupRegion as Region;
    const pView = snap.views.get(primaryRegion) ?? (await this.viewFrom(primaryRegion));
    if (pView.kind === 'throttled')
      throw transientFrom(pView.error, 'elasticache:DescribeGlobalReplicationGroups', {
        region: primaryRegion,
      });
    const note =
      primaryRegion === req.sourceRegion ? '' : ` (the request named ${req.sourceRegion} as the source)`;

    if (pView.kind !== 'unanswered') {
      const detail = `FailoverGlobalReplicationGroup sent to ${primaryRegion}${note}: ${target.replicationGroupId} in ${targetRegion} becomes primary, ${primary.ReplicationGroupId} becomes secondary`;
      if (dryRun)
        return { state: 'would-promote', mode: 'planned', targetRegion, detail: `would be ${detail}` };
      try {
        await this.opts.clientFor(primaryRegion).send(
          new FailoverGlobalReplicationGroupCommand({
            GlobalReplicationGroupId: this.opts.globalReplicationGroupId,
            PrimaryRegion: targetRegion,
            PrimaryReplicationGroupId: target.replicationGroupId,
          }),
        );
      } catch (e) {
        throw await this.refusal(e, 'FailoverGlobalReplicationGroup', primaryRegion, targetRegion, 'planned');
      }
      return { state: 'in-progress', mode: 'planned', targetRegion, detail };
    }

    const possibleDataLoss = {
      lagBytes: null,
      detail: `the old primary ${primary.ReplicationGroupId} in ${primaryRegion} did not answer (${awsErrorName(pView.error)}: ${message(pView.error)}); writes it had not yet replicated to ${targetRegion} are lost (RPO typically under 1 s; ElastiCache does not report the bytes). Before failing back, ${primaryRegion} must be re-added as a secondary and caught up.`,
    };
    const detail = `DisassociateGlobalReplicationGroup sent to ${targetRegion}: ${target.replicationGroupId} leaves ${this.opts.globalReplicationGroupId} and becomes a standalone primary`;
    if (dryRun)
      return {
        state: 'would-promote',
        mode: 'unplanned',
        targetRegion,
        possibleDataLoss,
        detail: `would be ${detail}`,
      };
    try {
      await this.opts.clientFor(targetRegion).send(
        new DisassociateGlobalReplicationGroupCommand({
          GlobalReplicationGroupId: this.opts.globalReplicationGroupId,
          ReplicationGroupId: target.replicationGroupId,
          ReplicationGroupRegion: targetRegion,
        }),
      );
    } catch (e) {
      throw await this.refusal(
        e,
        'DisassociateGlobalReplicationGroup',
        targetRegion,
        targetRegion,
        'unplanned',
      );
    }
    return { state: 'in-progress', mode: 'unplanned', targetRegion, possibleDataLoss, detail };
  }

  /** Maps an error of a mutating call to the error the workflow routes on. */
  private async refusal(
    e: unknown,
    action: string,
    sentTo: Region,
    targetRegion: Region,
    mode: 'planned' | 'unplanned',
  ): Promise<unknown> {
    const qualified = `elasticache:${action}`;
    const details = { action, sentTo, targetRegion, mode, ...awsErrorDetails(e) };
    if (isThrottlingError(e) || isUnansweredError(e))
      return transientFrom(e, qualified, { sentTo, targetRegion });
    const name = awsErrorName(e);
    if (INVALID_STATE.includes(name)) {
      // A previous action may still be modifying the datastore. Retrying helps only when that action
      // is taking our target to primary; anything else needs a person.
      let after: Snapshot | undefined;
      try {
        after = await this.snapshot();
      } catch {
        after = undefined;
      }
      const t = after?.state.members.find((m) => m.region === targetRegion);
      const membership = after?.group?.Members?.find(
        (m) => m.ReplicationGroupRegion === targetRegion,
      )?.Status;
      const toward =
        t?.role === 'primary' ||
        t?.role === 'standalone' ||
        (mode === 'unplanned' && /disassociat/i.test(membership ?? ''));
      const seen = after
        ? `global datastore ${after.state.groupStatus}; target ${t?.role ?? 'unknown'} (${t?.detail ?? ''})`
        : 'the datastore could not be described again';
      if (toward)
        return new TransientError(
          `${action} refused while a previous action is still moving ${targetRegion} to primary (${seen}); retry`,
          { ...details, groupStatus: after?.state.groupStatus },
        );
      return new PromotionFailed(`${action} refused: ${message(e)} (${seen})`, {
        ...details,
        groupStatus: after?.state.groupStatus,
      });
    }
    if (GROUP_NOT_FOUND.includes(name))
      return new PromotionFailed(
        `the global datastore ${this.opts.globalReplicationGroupId} does not exist (${action} in ${sentTo})`,
        details,
      );
    return new PromotionFailed(`${action} failed in ${sentTo}: ${name}: ${message(e)}`, details);
  }

  async status(req: { targetRegion: Region; mode: PromotionStatus['mode'] }): Promise<PromotionStatus> {
    const { targetRegion, mode } = req;
    const target = this.member(targetRegion);
    const inProgress = (detail: string): PromotionStatus => ({
      state: 'in-progress',
      mode,
      targetRegion,
      detail,
    });

    if (mode === 'unplanned') {
      const r = await this.replicationGroup(targetRegion);
      if (r.kind === 'throttled')
        throw transientFrom(r.error, 'elasticache:DescribeReplicationGroups', { region: targetRegion });
      if (r.kind === 'unanswered')
        return inProgress(
          `the ElastiCache control plane in ${targetRegion} does not answer (${awsErrorName(r.error)})`,
        );
      if (r.kind !== 'found')
        throw new PromotionFailed(
          `cannot read replication group ${target.replicationGroupId} in ${targetRegion}: ${awsErrorName(r.error)}: ${message(r.error)}`,
          { region: targetRegion, ...awsErrorDetails(r.error) },
        );
      const info = r.rg.GlobalReplicationGroupInfo;
      if (r.rg.Status !== 'available') return inProgress(`replication group status is ${r.rg.Status}`);
      if (info?.GlobalReplicationGroupId && roleOf(info.GlobalReplicationGroupMemberRole) !== 'primary')
        return inProgress(
          `still ${info.GlobalReplicationGroupMemberRole ?? 'a member'} of ${info.GlobalReplicationGroupId}`,
        );
      return this.probe(targetRegion, mode, `${target.replicationGroupId} is a standalone primary`);
    }

    const snap = await this.snapshot();
    const t = snap.state.members.find((m) => m.region === targetRegion)!;
    if (mode === 'none' && t.role === 'standalone' && snap.rgStatus.get(targetRegion) === 'available')
      return this.probe(targetRegion, mode, `${target.replicationGroupId} is a standalone primary`);
    if (t.role !== 'primary') return inProgress(`target role is ${t.role}: ${t.detail}`);
    if (snap.group?.Status !== 'available')
      return inProgress(`target is PRIMARY; global datastore status is ${snap.state.groupStatus}`);
    return this.probe(
      targetRegion,
      mode,
      `${target.replicationGroupId} is PRIMARY and the datastore available`,
    );
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
          detail: `${why} but refused a write: ${message(e)}`,
        };
      }
      return { state: 'complete', mode, targetRegion, detail: `${why} and accepted a write` };
    }
    return { state: 'complete', mode, targetRegion, detail: why };
  }
}
