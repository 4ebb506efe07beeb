import {
  DescribeGlobalReplicationGroupsCommand,
  DescribeReplicationGroupsCommand,
  DisassociateGlobalReplicationGroupCommand,
  ElastiCacheClient,
  ElastiCacheServiceException,
  FailoverGlobalReplicationGroupCommand,
  type GlobalReplicationGroup,
  GlobalReplicationGroupNotFoundFault,
  InvalidGlobalReplicationGroupStateFault,
  type ReplicationGroup,
  ReplicationGroupNotFoundFault,
} from '@aws-sdk/client-elasticache';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ElastiCacheGlobalPromoter } from '#lib/aws/elasticache-promoter.ts';
import { isNamed } from '#lib/errors.ts';
import type { Region } from '#lib/topology.ts';

const GRG = 'ldgnf-gloo-mesh-redis';
const EAST = 'gloo-redis-use1';
const WEST = 'gloo-redis-usw2';

const east = new ElastiCacheClient({ region: 'us-east-1' });
const west = new ElastiCacheClient({ region: 'us-west-2' });
const eastMock = mockClient(east);
const westMock = mockClient(west);

afterEach(() => {
  eastMock.reset();
  westMock.reset();
});

function promoter(writeProbe?: (region: Region) => Promise<void>) {
  return new ElastiCacheGlobalPromoter({
    globalReplicationGroupId: GRG,
    members: {
      'us-east-1': {
        replicationGroupId: EAST,
        endpoint: 'master.gloo-redis-use1.abc123.use1.cache.amazonaws.com:6379',
      },
      'us-west-2': {
        replicationGroupId: WEST,
        endpoint: 'master.gloo-redis-usw2.def456.usw2.cache.amazonaws.com:6379',
      },
    },
    clientFor: (region) => (region === 'us-east-1' ? east : west),
    writeProbe,
  });
}

/** A DescribeGlobalReplicationGroups answer shaped like the API reference / CLI examples. */
function group(
  primary: 'us-east-1' | 'us-west-2' | null,
  opts: { status?: string; membership?: string; only?: Region } = {},
): { GlobalReplicationGroups: GlobalReplicationGroup[] } {
  const member = (id: string, region: Region) => ({
    ReplicationGroupId: id,
    ReplicationGroupRegion: region,
    Role: primary === region ? 'PRIMARY' : 'SECONDARY',
    AutomaticFailover: 'enabled' as const,
    Status: opts.membership ?? 'associated',
  });
  const members = [member(EAST, 'us-east-1'), member(WEST, 'us-west-2')].filter(
    (m) => !opts.only || m.ReplicationGroupRegion === opts.only,
  );
  return {
    GlobalReplicationGroups: [
      {
        GlobalReplicationGroupId: GRG,
        GlobalReplicationGroupDescription: 'Gloo management plane Redis',
        Status: opts.status ?? 'available',
        CacheNodeType: 'cache.r7g.large',
        Engine: 'redis',
        EngineVersion: '7.1.0',
        Members: members,
        ClusterEnabled: false,
        AuthTokenEnabled: true,
        TransitEncryptionEnabled: true,
        AtRestEncryptionEnabled: true,
      },
    ],
  };
}

function replicationGroup(
  status: string,
  role?: 'primary' | 'secondary',
): { ReplicationGroups: ReplicationGroup[] } {
  return {
    ReplicationGroups: [
      {
        ReplicationGroupId: WEST,
        Description: 'gloo mesh redis us-west-2',
        Status: status,
        ...(role
          ? {
              GlobalReplicationGroupInfo: {
                GlobalReplicationGroupId: GRG,
                GlobalReplicationGroupMemberRole: role,
              },
            }
          : {}),
        ClusterEnabled: false,
        CacheNodeType: 'cache.r7g.large',
      },
    ],
  };
}

/** What the SDK throws when the regional endpoint never answers (socket timeout in node-http-handler). */
function noAnswer() {
  return Object.assign(new Error('Socket timed out without establishing a connection within 3000 ms'), {
    name: 'TimeoutError',
  });
}

function throttled() {
  return new ElastiCacheServiceException({
    name: 'Throttling',
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
    message: 'Rate exceeded',
  });
}

describe('ElastiCacheGlobalPromoter.describe', () => {
  it('maps members, roles and the group status from the first region that answers', async () => {
    // prepare
    eastMock.on(DescribeGlobalReplicationGroupsCommand).resolves(group('us-east-1'));
    westMock.on(DescribeGlobalReplicationGroupsCommand).resolves(group('us-east-1'));
    // act
    const state = await promoter().describe();
    // assess
    expect(eastMock).toHaveReceivedCommandWith(DescribeGlobalReplicationGroupsCommand, {
      GlobalReplicationGroupId: GRG,
      ShowMemberInfo: true,
    });
    expect(state.primaryRegion).toBe('us-east-1');
    expect(state.groupStatus).toBe('available');
    expect(state.members).toEqual([
      expect.objectContaining({ region: 'us-east-1', role: 'primary', reachable: true }),
      expect.objectContaining({
        region: 'us-west-2',
        role: 'replica',
        reachable: true,
        inSync: true,
        lagBytes: null,
      }),
    ]);
  });

  it('marks a member unreachable when its control plane does not answer, and believes the next region', async () => {
    // prepare
    eastMock.on(DescribeGlobalReplicationGroupsCommand).rejects(noAnswer());
    westMock
      .on(DescribeGlobalReplicationGroupsCommand)
      .resolves(group('us-east-1', { status: 'primary-only' }));
    // act
    const state = await promoter().describe();
    // assess
    expect(state.members[0]).toMatchObject({ region: 'us-east-1', role: 'primary', reachable: false });
    expect(state.members[0]!.detail).toMatch(/does not answer \(TimeoutError/);
    expect(state.members[1]).toMatchObject({
      region: 'us-west-2',
      role: 'replica',
      reachable: true,
      inSync: false,
    });
    expect(state.groupStatus).toBe('primary-only');
  });

  it('reports a member that left the group as a standalone primary', async () => {
    // prepare: after an unplanned promotion the old primary is alone in the group
    eastMock.on(DescribeGlobalReplicationGroupsCommand).rejects(noAnswer());
    westMock.on(DescribeGlobalReplicationGroupsCommand).resolves(group('us-east-1', { only: 'us-east-1' }));
    westMock.on(DescribeReplicationGroupsCommand).resolves(replicationGroup('available'));
    // act
    const state = await promoter().describe();
    // assess
    expect(westMock).toHaveReceivedCommandWith(DescribeReplicationGroupsCommand, {
      ReplicationGroupId: WEST,
    });
    expect(state.members[1]).toMatchObject({ region: 'us-west-2', role: 'standalone', reachable: true });
    expect(state.primaryRegion).toBe('us-west-2');
  });

  it('believes a region that sees the group over one that no longer finds it', async () => {
    eastMock
      .on(DescribeGlobalReplicationGroupsCommand)
      .rejects(new GlobalReplicationGroupNotFoundFault({ message: `${GRG} not found`, $metadata: {} }));
    westMock.on(DescribeGlobalReplicationGroupsCommand).resolves(group('us-west-2'));
    const state = await promoter().describe();
    expect(state).toMatchObject({ primaryRegion: 'us-west-2', groupStatus: 'available' });
    expect(eastMock).not.toHaveReceivedCommand(DescribeReplicationGroupsCommand);
  });

  it('reports every member unreachable when no control plane answers', async () => {
    eastMock.on(DescribeGlobalReplicationGroupsCommand).rejects(noAnswer());
    westMock
      .on(DescribeGlobalReplicationGroupsCommand)
      .rejects(Object.assign(new Error('connect ECONNREFUSED 52.94.0.1:443'), { code: 'ECONNREFUSED' }));
    const state = await promoter().describe();
    expect(state.members.map((m) => m.reachable)).toEqual([false, false]);
    expect(state.primaryRegion).toBeNull();
  });

  it('throws a TransientError when every region throttles', async () => {
    eastMock.on(DescribeGlobalReplicationGroupsCommand).rejects(throttled());
    westMock.on(DescribeGlobalReplicationGroupsCommand).rejects(throttled());
    const err = await promoter()
      .describe()
      .catch((e) => e);
    expect(isNamed(err, 'TransientError')).toBe(true);
  });
});

describe('ElastiCacheGlobalPromoter.promote', () => {
  it('does nothing when the target is already primary', async () => {
    eastMock.on(DescribeGlobalReplicationGroupsCommand).resolves(group('us-west-2'));
    westMock.on(DescribeGlobalReplicationGroupsCommand).resolves(group('us-west-2'));
    const st = await promoter().promote({
      sourceRegion: 'us-east-1',
      targetRegion: 'us-west-2',
      dryRun: false,
    });
    expect(st).toMatchObject({ state: 'noop', mode: 'none', targetRegion: 'us-west-2' });
    expect(eastMock).not.toHaveReceivedCommand(FailoverGlobalReplicationGroupCommand);
    expect(westMock).not.toHaveReceivedCommand(DisassociateGlobalReplicationGroupCommand);
  });

  it('sends a planned failover to the current primary region, naming the member that becomes primary', async () => {
    // prepare
    eastMock.on(DescribeGlobalReplicationGroupsCommand).resolves(group('us-east-1'));
    westMock.on(DescribeGlobalReplicationGroupsCommand).resolves(group('us-east-1'));
    eastMock.on(FailoverGlobalReplicationGroupCommand).resolves({
      GlobalReplicationGroup: group('us-east-1', { status: 'modifying' }).GlobalReplicationGroups[0],
    });
    // act
    const st = await promoter().promote({
      sourceRegion: 'us-east-1',
      targetRegion: 'us-west-2',
      dryRun: false,
    });
    // assess
    expect(eastMock).toHaveReceivedCommandExactlyOnceWith(FailoverGlobalReplicationGroupCommand, {
      GlobalReplicationGroupId: GRG,
      PrimaryRegion: 'us-west-2',
      PrimaryReplicationGroupId: WEST,
    });
    expect(westMock).not.toHaveReceivedCommand(FailoverGlobalReplicationGroupCommand);
    expect(st).toMatchObject({ state: 'in-progress', mode: 'planned', targetRegion: 'us-west-2' });
    expect(st.possibleDataLoss).toBeUndefined();
  });

  it('disassociates the target in its own region when the primary region does not answer', async () => {
    // prepare
    eastMock.on(DescribeGlobalReplicationGroupsCommand).rejects(noAnswer());
    westMock
      .on(DescribeGlobalReplicationGroupsCommand)
      .resolves(group('us-east-1', { status: 'primary-only' }));
    westMock.on(DisassociateGlobalReplicationGroupCommand).resolves({
      GlobalReplicationGroup: group('us-east-1', { status: 'modifying' }).GlobalReplicationGroups[0],
    });
    // act
    const st = await promoter().promote({
      sourceRegion: 'us-east-1',
      targetRegion: 'us-west-2',
      dryRun: false,
    });
    // assess
    expect(westMock).toHaveReceivedCommandExactlyOnceWith(DisassociateGlobalReplicationGroupCommand, {
      GlobalReplicationGroupId: GRG,
      ReplicationGroupId: WEST,
      ReplicationGroupRegion: 'us-west-2',
    });
    expect(eastMock).not.toHaveReceivedCommand(FailoverGlobalReplicationGroupCommand);
    expect(st).toMatchObject({ state: 'in-progress', mode: 'unplanned' });
    expect(st.possibleDataLoss).toMatchObject({ lagBytes: null });
    expect(st.possibleDataLoss!.detail).toMatch(/RPO typically under 1 s/);
  });

  it('refuses to treat a throttled primary region as lost (no unplanned promotion)', async () => {
    eastMock.on(DescribeGlobalReplicationGroupsCommand).rejects(throttled());
    westMock.on(DescribeGlobalReplicationGroupsCommand).resolves(group('us-east-1'));
    const err = await promoter()
      .promote({ sourceRegion: 'us-east-1', targetRegion: 'us-west-2', dryRun: false })
      .catch((e) => e);
    expect(isNamed(err, 'TransientError')).toBe(true);
    expect(westMock).not.toHaveReceivedCommand(DisassociateGlobalReplicationGroupCommand);
    expect(eastMock).not.toHaveReceivedCommand(FailoverGlobalReplicationGroupCommand);
  });

  it('reports a planned dry run and changes nothing', async () => {
    eastMock.on(DescribeGlobalReplicationGroupsCommand).resolves(group('us-east-1'));
    westMock.on(DescribeGlobalReplicationGroupsCommand).resolves(group('us-east-1'));
    const st = await promoter().promote({
      sourceRegion: 'us-east-1',
      targetRegion: 'us-west-2',
      dryRun: true,
    });
    expect(st).toMatchObject({ state: 'would-promote', mode: 'planned' });
    expect(st.detail).toMatch(/FailoverGlobalReplicationGroup sent to us-east-1/);
    expect(eastMock).not.toHaveReceivedCommand(FailoverGlobalReplicationGroupCommand);
  });

  it('reports an unplanned dry run with the possible data loss and changes nothing', async () => {
    eastMock.on(DescribeGlobalReplicationGroupsCommand).rejects(noAnswer());
    westMock.on(DescribeGlobalReplicationGroupsCommand).resolves(group('us-east-1'));
    const st = await promoter().promote({
      sourceRegion: 'us-east-1',
      targetRegion: 'us-west-2',
      dryRun: true,
    });
    expect(st).toMatchObject({
      state: 'would-promote',
      mode: 'unplanned',
      possibleDataLoss: { lagBytes: null },
    });
    expect(westMock).not.toHaveReceivedCommand(DisassociateGlobalReplicationGroupCommand);
  });

  it('reports in-progress without a call while the target is already becoming primary', async () => {
    eastMock.on(DescribeGlobalReplicationGroupsCommand).resolves(group('us-west-2', { status: 'modifying' }));
    westMock.on(DescribeGlobalReplicationGroupsCommand).resolves(group('us-west-2', { status: 'modifying' }));
    const st = await promoter().promote({
      sourceRegion: 'us-east-1',
      targetRegion: 'us-west-2',
      dryRun: false,
    });
    expect(st).toMatchObject({ state: 'in-progress', mode: 'planned' });
    expect(eastMock).not.toHaveReceivedCommand(FailoverGlobalReplicationGroupCommand);
  });

  it('does nothing on a re-run after an unplanned promotion left the target standalone', async () => {
    eastMock.on(DescribeGlobalReplicationGroupsCommand).rejects(noAnswer());
    westMock.on(DescribeGlobalReplicationGroupsCommand).resolves(group('us-east-1', { only: 'us-east-1' }));
    westMock.on(DescribeReplicationGroupsCommand).resolves(replicationGroup('available'));
    const st = await promoter().promote({
      sourceRegion: 'us-east-1',
      targetRegion: 'us-west-2',
      dryRun: false,
    });
    expect(st).toMatchObject({ state: 'noop', mode: 'none' });
    expect(westMock).not.toHaveReceivedCommand(DisassociateGlobalReplicationGroupCommand);
  });

  it('turns InvalidGlobalReplicationGroupState into a retryable TransientError when the target is already on its way', async () => {
    // prepare: a previous failover (whose answer was lost) is still running
    eastMock
      .on(DescribeGlobalReplicationGroupsCommand)
      .resolvesOnce(group('us-east-1'))
      .resolves(group('us-west-2', { status: 'modifying' }));
    westMock
      .on(DescribeGlobalReplicationGroupsCommand)
      .resolvesOnce(group('us-east-1'))
      .resolves(group('us-west-2', { status: 'modifying' }));
    eastMock.on(FailoverGlobalReplicationGroupCommand).rejects(
      new InvalidGlobalReplicationGroupStateFault({
        message: 'Global replication group ldgnf-gloo-mesh-redis is not in available state.',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    // act
    const err = await promoter()
      .promote({ sourceRegion: 'us-east-1', targetRegion: 'us-west-2', dryRun: false })
      .catch((e) => e);
    // assess
    expect(isNamed(err, 'TransientError')).toBe(true);
    expect(err.message).toMatch(/still moving us-west-2 to primary/);
  });

  it('fails with PromotionFailed on InvalidGlobalReplicationGroupState when nothing moves toward the target', async () => {
    // prepare: the group is busy with something else (e.g. scaling); the target is still secondary
    eastMock.on(DescribeGlobalReplicationGroupsCommand).resolves(group('us-east-1', { status: 'modifying' }));
    westMock.on(DescribeGlobalReplicationGroupsCommand).resolves(group('us-east-1', { status: 'modifying' }));
    eastMock.on(FailoverGlobalReplicationGroupCommand).rejects(
      new InvalidGlobalReplicationGroupStateFault({
        message: 'Global replication group ldgnf-gloo-mesh-redis is not in available state.',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    // act
    const err = await promoter()
      .promote({ sourceRegion: 'us-east-1', targetRegion: 'us-west-2', dryRun: false })
      .catch((e) => e);
    // assess
    expect(isNamed(err, 'PromotionFailed')).toBe(true);
    expect(err.message).toMatch(/not in available state.*global datastore modifying/);
    expect(err.details).toMatchObject({
      awsError: 'InvalidGlobalReplicationGroupStateFault',
      sentTo: 'us-east-1',
    });
  });

  it('fails with PromotionFailed when the disassociation is refused and the target is not leaving', async () => {
    eastMock.on(DescribeGlobalReplicationGroupsCommand).rejects(noAnswer());
    westMock
      .on(DescribeGlobalReplicationGroupsCommand)
      .resolves(group('us-east-1', { status: 'primary-only' }));
    westMock
      .on(DisassociateGlobalReplicationGroupCommand)
      .rejects(new InvalidGlobalReplicationGroupStateFault({ message: 'not available', $metadata: {} }));
    const err = await promoter()
      .promote({ sourceRegion: 'us-east-1', targetRegion: 'us-west-2', dryRun: false })
      .catch((e) => e);
    expect(isNamed(err, 'PromotionFailed')).toBe(true);
  });

  it('retries (TransientError) a refused disassociation while the target membership is disassociating', async () => {
    eastMock.on(DescribeGlobalReplicationGroupsCommand).rejects(noAnswer());
    westMock
      .on(DescribeGlobalReplicationGroupsCommand)
      .resolvesOnce(group('us-east-1', { status: 'primary-only' }))
      .resolves(group('us-east-1', { status: 'modifying', membership: 'disassociating' }));
    westMock
      .on(DisassociateGlobalReplicationGroupCommand)
      .rejects(new InvalidGlobalReplicationGroupStateFault({ message: 'not available', $metadata: {} }));
    const err = await promoter()
      .promote({ sourceRegion: 'us-east-1', targetRegion: 'us-west-2', dryRun: false })
      .catch((e) => e);
    expect(isNamed(err, 'TransientError')).toBe(true);
  });

  it('fails with PromotionFailed when the global datastore does not exist', async () => {
    eastMock.on(DescribeGlobalReplicationGroupsCommand).resolves(group('us-east-1'));
    westMock.on(DescribeGlobalReplicationGroupsCommand).resolves(group('us-east-1'));
    eastMock.on(FailoverGlobalReplicationGroupCommand).rejects(
      new GlobalReplicationGroupNotFoundFault({
        message: 'Global replication group ldgnf-gloo-mesh-redis not found.',
        $metadata: { httpStatusCode: 404 },
      }),
    );
    const err = await promoter()
      .promote({ sourceRegion: 'us-east-1', targetRegion: 'us-west-2', dryRun: false })
      .catch((e) => e);
    expect(isNamed(err, 'PromotionFailed')).toBe(true);
    expect(err.message).toMatch(/does not exist/);
  });

  it('turns a throttled failover call into a TransientError', async () => {
    eastMock.on(DescribeGlobalReplicationGroupsCommand).resolves(group('us-east-1'));
    westMock.on(DescribeGlobalReplicationGroupsCommand).resolves(group('us-east-1'));
    eastMock.on(FailoverGlobalReplicationGroupCommand).rejects(throttled());
    const err = await promoter()
      .promote({ sourceRegion: 'us-east-1', targetRegion: 'us-west-2', dryRun: false })
      .catch((e) => e);
    expect(isNamed(err, 'TransientError')).toBe(true);
    expect(err.details).toMatchObject({ awsError: 'Throttling' });
  });

  it('refuses a target region that has no configured member', async () => {
    const err = await promoter()
      .promote({ sourceRegion: 'us-east-1', targetRegion: 'eu-west-1', dryRun: false })
      .catch((e) => e);
    expect(isNamed(err, 'PromotionFailed')).toBe(true);
    expect(eastMock).not.toHaveReceivedAnyCommand();
  });
});

describe('ElastiCacheGlobalPromoter.status', () => {
  it('is in progress while the target is still secondary, complete once primary, available and writable', async () => {
    // prepare
    const writeProbe = vi.fn(async (_region: Region) => {});
    eastMock
      .on(DescribeGlobalReplicationGroupsCommand)
      .resolvesOnce(group('us-east-1', { status: 'modifying' }))
      .resolves(group('us-west-2'));
    westMock.on(DescribeGlobalReplicationGroupsCommand).resolves(group('us-west-2'));
    const p = promoter(writeProbe);
    // act
    const first = await p.status({ targetRegion: 'us-west-2', mode: 'planned' });
    const second = await p.status({ targetRegion: 'us-west-2', mode: 'planned' });
    // assess
    expect(first).toMatchObject({ state: 'in-progress', mode: 'planned' });
    expect(first.detail).toMatch(/target role is replica/);
    expect(second).toMatchObject({ state: 'complete', mode: 'planned', targetRegion: 'us-west-2' });
    expect(writeProbe).toHaveBeenCalledExactlyOnceWith('us-west-2');
  });

  it('stays in progress while the group is still modifying after the roles switched', async () => {
    eastMock.on(DescribeGlobalReplicationGroupsCommand).resolves(group('us-west-2', { status: 'modifying' }));
    westMock.on(DescribeGlobalReplicationGroupsCommand).resolves(group('us-west-2', { status: 'modifying' }));
    const st = await promoter().status({ targetRegion: 'us-west-2', mode: 'planned' });
    expect(st).toMatchObject({ state: 'in-progress' });
    expect(st.detail).toMatch(/modifying/);
  });

  it('stays in progress when the new primary refuses the write probe', async () => {
    eastMock.on(DescribeGlobalReplicationGroupsCommand).resolves(group('us-west-2'));
    westMock.on(DescribeGlobalReplicationGroupsCommand).resolves(group('us-west-2'));
    const st = await promoter(async () => {
      throw new Error("READONLY You can't write against a read only replica.");
    }).status({ targetRegion: 'us-west-2', mode: 'planned' });
    expect(st.state).toBe('in-progress');
    expect(st.detail).toMatch(/refused a write: READONLY/);
  });

  it('completes an unplanned promotion once the target group is available and no longer a secondary', async () => {
    // prepare
    const writeProbe = vi.fn(async (_region: Region) => {});
    westMock
      .on(DescribeReplicationGroupsCommand)
      .resolvesOnce(replicationGroup('modifying', 'secondary'))
      .resolvesOnce(replicationGroup('available', 'secondary'))
      .resolves(replicationGroup('available'));
    const p = promoter(writeProbe);
    // act
    const a = await p.status({ targetRegion: 'us-west-2', mode: 'unplanned' });
    const b = await p.status({ targetRegion: 'us-west-2', mode: 'unplanned' });
    const c = await p.status({ targetRegion: 'us-west-2', mode: 'unplanned' });
    // assess
    expect(westMock).toHaveReceivedCommandWith(DescribeReplicationGroupsCommand, {
      ReplicationGroupId: WEST,
    });
    expect(eastMock).not.toHaveReceivedAnyCommand();
    expect(a).toMatchObject({ state: 'in-progress', mode: 'unplanned' });
    expect(a.detail).toMatch(/status is modifying/);
    expect(b).toMatchObject({ state: 'in-progress' });
    expect(b.detail).toMatch(/still secondary of/);
    expect(c).toMatchObject({ state: 'complete', mode: 'unplanned' });
    expect(writeProbe).toHaveBeenCalledOnce();
  });

  it('fails an unplanned status with PromotionFailed when the target replication group is gone', async () => {
    westMock
      .on(DescribeReplicationGroupsCommand)
      .rejects(
        new ReplicationGroupNotFoundFault({ message: `ReplicationGroup ${WEST} not found`, $metadata: {} }),
      );
    const err = await promoter()
      .status({ targetRegion: 'us-west-2', mode: 'unplanned' })
      .catch((e) => e);
    expect(isNamed(err, 'PromotionFailed')).toBe(true);
  });

  it('turns a throttled status poll into a TransientError', async () => {
    westMock.on(DescribeReplicationGroupsCommand).rejects(throttled());
    const err = await promoter()
      .status({ targetRegion: 'us-west-2', mode: 'unplanned' })
      .catch((e) => e);
    expect(isNamed(err, 'TransientError')).toBe(true);
  });
});
