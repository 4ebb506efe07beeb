/**
 * {@link RedisReprotector} for an ElastiCache Global Datastore, after a forced detach left the
 * survivor standalone. AWS does not add an existing cluster as a secondary ("wipes data"), so
 * re-protection is: a NEW global datastore from the survivor (`CreateGlobalReplicationGroup`; AWS
 * prefixes the id with a region-dependent code, e.g. "virxk" in us-west-1, "Using global
 * datastores (CLI)"), optionally the removal of the old cluster in the recovered region (operator's
 * choice, approval-gated; a final snapshot is kept), then a NEW secondary there
 * (`CreateReplicationGroup` with `GlobalReplicationGroupId`), then wait until it is associated.
 *
 * Every `advance` reads first and takes at most one action; every name is derived from the
 * generation (suffix `<name>-g<N>`, replication group `<id>-g<N>`), so a retried or re-run step
 * finds what an earlier one created (a lost response included) instead of creating it twice.
 */
import {
  CreateGlobalReplicationGroupCommand,
  CreateReplicationGroupCommand,
  DeleteGlobalReplicationGroupCommand,
  DeleteReplicationGroupCommand,
  DescribeGlobalReplicationGroupsCommand,
  DescribeReplicationGroupsCommand,
  type ElastiCacheClient,
  type GlobalReplicationGroup,
  type ReplicationGroup,
} from '@aws-sdk/client-elasticache';
import { ReprotectFailed, TransientError } from '../errors.ts';
import type { RedisReprotector, ReprotectRequest, ReprotectStatus } from '../ports.ts';
import type { Region } from '../topology.ts';
import type { DatastoreRef } from './elasticache-promoter.ts';
import { sameId } from './elasticache-promoter.ts';
import { awsErrorName, isThrottlingError, isUnansweredError, transientFrom } from './errors.ts';

/** Where a new secondary goes, per region (topology `redis.members[region]`). */
export interface SecondaryPlacement {
  cacheSubnetGroupName?: string;
  securityGroupIds?: string[];
}

/** Settings of {@link ElastiCacheReprotector}. */
export interface ElastiCacheReprotectorOptions {
  /** The datastore now (registry record or static topology). */
  datastore: () => Promise<DatastoreRef>;
  /** The static members: base names of new replication groups. */
  staticMembers: Partial<Record<Region, { replicationGroupId: string } & SecondaryPlacement>>;
  /** Suffix stem of new global datastores (the topology name): `<stem>-g<generation>`. */
  suffixStem: string;
  clientFor: (region: Region) => ElastiCacheClient;
  /** No-SDK-retry clients for mutating calls (clients.ts). */
  writeClientFor: (region: Region) => ElastiCacheClient;
}

/** The global datastore suffix of a generation. */
export function datastoreSuffix(stem: string, generation: number): string {
  return `${stem.toLowerCase()}-g${generation}`;
}

/** The id of the new secondary of a generation: the static id with `-g<N>` (40 characters at most). */
export function secondaryId(base: string, generation: number): string {
  const tail = `-g${generation}`;
  const stem = base.toLowerCase().replace(/-g\d+$/, '');
  return `${stem.slice(0, 40 - tail.length).replace(/-+$/, '')}${tail}`;
}

const ALREADY = [
  'GlobalReplicationGroupAlreadyExistsFault',
  'ReplicationGroupAlreadyExistsFault',
  'ReplicationGroupAlreadyExists',
  'InvalidReplicationGroupStateFault',
  'InvalidReplicationGroupState',
  'InvalidGlobalReplicationGroupStateFault',
  'InvalidGlobalReplicationGroupState',
];
const NOT_FOUND = ['ReplicationGroupNotFoundFault', 'ReplicationGroupNotFound'];
const GROUP_NOT_FOUND = ['GlobalReplicationGroupNotFoundFault', 'GlobalReplicationGroupNotFound'];

/** ElastiCache re-protection: new global datastore, optional removal of the old cluster, new secondary. */
export class ElastiCacheReprotector implements RedisReprotector {
  private readonly o: ElastiCacheReprotectorOptions;
  constructor(o: ElastiCacheReprotectorOptions) {
    this.o = o;
  }

  private async rg(region: Region, id: string): Promise<ReplicationGroup | null> {
    try {
      const out = await this.o
        .clientFor(region)
        .send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: id }));
      return out.ReplicationGroups?.find((g) => sameId(g.ReplicationGroupId, id)) ?? null;
    } catch (e) {
      if (NOT_FOUND.includes(awsErrorName(e))) return null;
      if (isThrottlingError(e) || isUnansweredError(e))
        throw transientFrom(e, 'elasticache:DescribeReplicationGroups', { region });
      throw e;
    }
  }

  private async group(region: Region, id: string): Promise<GlobalReplicationGroup | null> {
    try {
      const out = await this.o
        .clientFor(region)
        .send(
          new DescribeGlobalReplicationGroupsCommand({ GlobalReplicationGroupId: id, ShowMemberInfo: true }),
        );
      return out.GlobalReplicationGroups?.find((g) => sameId(g.GlobalReplicationGroupId, id)) ?? null;
    } catch (e) {
      if (GROUP_NOT_FOUND.includes(awsErrorName(e))) return null;
      if (isThrottlingError(e) || isUnansweredError(e))
        throw transientFrom(e, 'elasticache:DescribeGlobalReplicationGroups', { region });
      throw e;
    }
  }

  /** Sends one mutating call; a lost response or "already exists / already changing" is progress. */
  private async act(region: Region, action: string, send: () => Promise<unknown>): Promise<string> {
    try {
      await send();
      return `${action} sent to ${region}`;
    } catch (e) {
      if (isThrottlingError(e)) throw transientFrom(e, `elasticache:${action}`, { region });
      if (isUnansweredError(e))
        return `${action} sent to ${region}; its response was lost (the next read decides)`;
      if (ALREADY.includes(awsErrorName(e)))
        return `${action} in ${region}: ${awsErrorName(e)} (an earlier call is under way)`;
      throw new ReprotectFailed(
        `${action} failed in ${region}: ${awsErrorName(e)}: ${(e as Error).message}`,
        {
          region,
          action,
        },
      );
    }
  }

  async advance(req: ReprotectRequest): Promise<ReprotectStatus> {
    const { survivorRegion: S, recoveredRegion: R, generation, dryRun } = req;
    const ds = await this.o.datastore();
    const survivorId = ds.members[S]?.replicationGroupId;
    const oldRId = ds.members[R]?.replicationGroupId;
    const baseR = this.o.staticMembers[R]?.replicationGroupId;
    if (!survivorId || !oldRId || !baseR)
      throw new ReprotectFailed(`no ElastiCache member configured for ${!survivorId ? S : R}`, { S, R });
    const suffix = datastoreSuffix(this.o.suffixStem, generation);
    const newRId = secondaryId(baseR, generation);
    const plan = [
      `CreateGlobalReplicationGroup in ${S}: a new global datastore "<${S} prefix>-${suffix}" from ${survivorId}`,
      ...(req.oldMember === 'delete'
        ? [`delete the old cluster ${oldRId} in ${R} (final snapshot ${oldRId}-final-g${generation})`]
        : []),
      `CreateReplicationGroup ${newRId} in ${R} as its secondary`,
      'wait until it is associated, then record the new datastore id',
    ];
    const progress = (
      phase: ReprotectStatus['phase'],
      detail: string,
      removed?: string,
    ): ReprotectStatus => ({
      state: 'in-progress',
      phase,
      detail,
      ...(removed ? { removed } : {}),
    });

    // 1. The survivor: standalone -> create the new datastore; primary of ours -> go on.
    const s = await this.rg(S, survivorId);
    if (!s) throw new ReprotectFailed(`the survivor ${survivorId} does not exist in ${S}`, { S });
    const info = s.GlobalReplicationGroupInfo;
    const gid = info?.GlobalReplicationGroupId;
    if (!gid) {
      if (dryRun)
        return { state: 'would-reprotect', phase: 'create-datastore', detail: `would: ${plan.join('; ')}` };
      if (s.Status !== 'available')
        return progress('create-datastore', `${survivorId} is ${s.Status}; waiting`);
      const did = await this.act(S, 'CreateGlobalReplicationGroup', () =>
        this.o.writeClientFor(S).send(
          new CreateGlobalReplicationGroupCommand({
            GlobalReplicationGroupIdSuffix: suffix,
            PrimaryReplicationGroupId: survivorId,
            GlobalReplicationGroupDescription:
              `gloo-failover re-protection generation ${generation} (${req.executionId})`.slice(0, 255),
          }),
        ),
      );
      return progress('create-datastore', did);
    }
    if (info?.GlobalReplicationGroupMemberRole?.toUpperCase() !== 'PRIMARY')
      throw new ReprotectFailed(
        `the survivor ${survivorId} is ${info?.GlobalReplicationGroupMemberRole} of ${gid}, not a primary`,
        { gid },
      );
    if (!gid.toLowerCase().endsWith(`-${suffix}`) && !gid.toLowerCase().endsWith(suffix))
      throw new ReprotectFailed(
        `the survivor ${survivorId} is already primary of ${gid}, which this run did not create (expected a "${suffix}" suffix): re-protection is for a detached survivor`,
        { gid, suffix },
      );
    if (dryRun)
      return {
        state: 'would-reprotect',
        phase: 'remove-old',
        detail: `would: ${plan.slice(1).join('; ')} (datastore ${gid} exists)`,
      };
    const g = await this.group(S, gid);
    if (!g || g.Status === 'creating')
      return progress('create-datastore', `global datastore ${gid} is ${g?.Status ?? 'not visible yet'}`);

    // 2. The old cluster in the recovered region: kept (default) or removed, as the operator chose.
    let removed: string | undefined;
    if (req.oldMember === 'delete' && !sameId(oldRId, newRId)) {
      const old = await this.rg(R, oldRId);
      if (old) {
        const oldGid = old.GlobalReplicationGroupInfo?.GlobalReplicationGroupId;
        if (old.Status === 'deleting') return progress('remove-old', `${oldRId} is deleting`);
        if (oldGid && !sameId(oldGid, gid)) {
          // Still the primary of the old datastore (it has no other member after the detach): delete
          // that datastore, keeping the cluster, then the cluster itself.
          const did = await this.act(R, 'DeleteGlobalReplicationGroup', () =>
            this.o.writeClientFor(R).send(
              new DeleteGlobalReplicationGroupCommand({
                GlobalReplicationGroupId: oldGid,
                RetainPrimaryReplicationGroup: true,
              }),
            ),
          );
          return progress('remove-old', `${did}: ${oldRId} leaves the old datastore ${oldGid}`);
        }
        if (old.Status !== 'available') return progress('remove-old', `${oldRId} is ${old.Status}; waiting`);
        const snapshot = `${oldRId}-final-g${generation}`.slice(0, 255);
        const did = await this.act(R, 'DeleteReplicationGroup', () =>
          this.o.writeClientFor(R).send(
            new DeleteReplicationGroupCommand({
              ReplicationGroupId: oldRId,
              FinalSnapshotIdentifier: snapshot,
            }),
          ),
        );
        return progress(
          'remove-old',
          did,
          `the old cluster ${oldRId} in ${R} (its data kept in the final snapshot ${snapshot})`,
        );
      }
      removed = `the old cluster ${oldRId} in ${R} (deleted; final snapshot ${oldRId}-final-g${generation})`;
    }

    // 3. The new secondary in the recovered region.
    const fresh = await this.rg(R, newRId);
    if (!fresh) {
      const placement: SecondaryPlacement = this.o.staticMembers[R] ?? {};
      const did = await this.act(R, 'CreateReplicationGroup', () =>
        this.o.writeClientFor(R).send(
          new CreateReplicationGroupCommand({
            ReplicationGroupId: newRId,
            ReplicationGroupDescription: `gloo-failover secondary of ${gid} (generation ${generation})`,
            GlobalReplicationGroupId: gid,
            ...(placement.cacheSubnetGroupName
              ? { CacheSubnetGroupName: placement.cacheSubnetGroupName }
              : {}),
            ...(placement.securityGroupIds?.length ? { SecurityGroupIds: placement.securityGroupIds } : {}),
          }),
        ),
      );
      return progress('add-secondary', did, removed);
    }
    if (fresh.Status !== 'available')
      return progress('add-secondary', `${newRId} is ${fresh.Status}`, removed);

    // 4. In sync: the new member is listed as an associated SECONDARY of an available datastore.
    const now = await this.group(S, gid);
    const m = now?.Members?.find(
      (x) => x.ReplicationGroupRegion === R && sameId(x.ReplicationGroupId, newRId),
    );
    if (now?.Status !== 'available' || m?.Status !== 'associated' || m.Role?.toUpperCase() !== 'SECONDARY')
      return progress(
        'sync',
        `${gid} is ${now?.Status ?? 'unknown'}; ${newRId} membership ${m?.Status ?? 'not listed yet'}`,
        removed,
      );
    const ep = fresh.NodeGroups?.[0]?.PrimaryEndpoint;
    if (!ep?.Address || !ep.Port)
      throw new TransientError(`${newRId} reports no primary endpoint yet`, { newRId });
    const survivorEndpoint = ds.members[S]!.endpoint;
    return {
      state: 'complete',
      phase: 'done',
      detail: `${gid}: ${survivorId} (${S}) primary, ${newRId} (${R}) secondary, associated`,
      ...(removed ? { removed } : {}),
      record: {
        generation,
        globalReplicationGroupId: gid,
        members: {
          [S]: { replicationGroupId: survivorId, endpoint: survivorEndpoint },
          [R]: { replicationGroupId: newRId, endpoint: `${ep.Address}:${ep.Port}` },
        },
        recordedAt: new Date().toISOString(),
        recordedBy: req.executionId,
      },
    };
  }
}
