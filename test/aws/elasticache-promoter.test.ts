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
// The clients of mutating calls (no SDK retries) are separate instances, as in clients.ts.
const eastWrite = new ElastiCacheClient({ region: 'us-east-1', maxAttempts: 1 });
const westWrite = new ElastiCacheClient({ region: 'us-west-2', maxAttempts: 1 });
const eastWriteMock = mockClient(eastWrite);
const westWriteMock = mockClient(westWrite);

afterEach(() => {
  eastMock.reset();
  westMock.reset();
  eastWriteMock.reset();
  westWriteMock.reset();
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
    writeClientFor: (region) => (region === 'us-east-1' ? eastWrite : westWrite),
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
  const req = { sourceRegion: 'us-east-1', targetRegion: 'us-west-2', dryRun: false } as const;

  it('does nothing when the target is already primary and takes a write', async () => {
    westMock.on(DescribeGlobalReplicationGroupsCommand).resolves(group('us-west-2'));
    const st = await promoter(async () => {}).promote(req);
    expect(st).toMatchObject({ state: 'noop', mode: 'none', targetRegion: 'us-west-2' });
    expect(westWriteMock).not.toHaveReceivedAnyCommand();
    expect(eastMock).not.toHaveReceivedAnyCommand();
  });

  it('sends the failover to the target region only, naming the target member, without asking the old region', async () => {
    // prepare
    westMock.on(DescribeGlobalReplicationGroupsCommand).resolves(group('us-east-1'));
    westWriteMock.on(FailoverGlobalReplicationGroupCommand).resolves({
      GlobalReplicationGroup: group('us-east-1', { status: 'modifying' }).GlobalReplicationGroups[0],
    });
    // act
    const st = await promoter().promote(req);
    // assess
    expect(westWriteMock).toHaveReceivedCommandExactlyOnceWith(FailoverGlobalReplicationGroupCommand, {
      GlobalReplicationGroupId: GRG,
      PrimaryRegion: 'us-west-2',
      PrimaryReplicationGroupId: WEST,
    });
    expect(eastMock).not.toHaveReceivedAnyCommand();
    expect(eastWriteMock).not.toHaveReceivedAnyCommand();
    expect(st).toMatchObject({ state: 'in-progress', mode: 'planned', targetRegion: 'us-west-2' });
    expect(st.possibleDataLoss).toBeUndefined();
  });

  it('promotes with the same failover (never a disassociate) when the datastore is primary-only, and names the possible loss', async () => {
    westMock
      .on(DescribeGlobalReplicationGroupsCommand)
      .resolves(group('us-east-1', { status: 'primary-only' }));
    westWriteMock.on(FailoverGlobalReplicationGroupCommand).resolves({});
    const st = await promoter().promote(req);
    expect(westWriteMock).toHaveReceivedCommandTimes(FailoverGlobalReplicationGroupCommand, 1);
    expect(westWriteMock).not.toHaveReceivedCommand(DisassociateGlobalReplicationGroupCommand);
    expect(st).toMatchObject({ state: 'in-progress', mode: 'unplanned' });
    expect(st.possibleDataLoss?.detail).toMatch(/primary-only/);
  });

  it('sends nothing while the target region does not answer (TransientError)', async () => {
    westMock.on(DescribeGlobalReplicationGroupsCommand).rejects(noAnswer());
    const err = await promoter()
      .promote(req)
      .catch((e) => e);
    expect(isNamed(err, 'TransientError')).toBe(true);
    expect(westWriteMock).not.toHaveReceivedAnyCommand();
  });

  it('does not send a second failover while the datastore is modifying', async () => {
    westMock.on(DescribeGlobalReplicationGroupsCommand).resolves(group('us-east-1', { status: 'modifying' }));
    const st = await promoter().promote(req);
    expect(st.state).toBe('in-progress');
    expect(westWriteMock).not.toHaveReceivedAnyCommand();
  });

  it('reports a dry run and changes nothing', async () => {
    westMock.on(DescribeGlobalReplicationGroupsCommand).resolves(group('us-east-1'));
    const st = await promoter().promote({ ...req, dryRun: true });
    expect(st).toMatchObject({ state: 'would-promote', mode: 'planned' });
    expect(st.detail).toMatch(/would be FailoverGlobalReplicationGroup sent to us-west-2/);
    expect(westWriteMock).not.toHaveReceivedAnyCommand();
  });

  it('finds its member whatever the case of the configured id (ElastiCache stores ids in lower case)', async () => {
    westMock.on(DescribeGlobalReplicationGroupsCommand).resolves(group('us-east-1'));
    westWriteMock.on(FailoverGlobalReplicationGroupCommand).resolves({});
    const p = new ElastiCacheGlobalPromoter({
      globalReplicationGroupId: GRG.toUpperCase(),
      members: {
        'us-east-1': { replicationGroupId: EAST.toUpperCase(), endpoint: 'a.example.com:6379' },
        'us-west-2': { replicationGroupId: 'Gloo-Redis-USW2', endpoint: 'b.example.com:6379' },
      },
      clientFor: (region) => (region === 'us-east-1' ? east : west),
      writeClientFor: (region) => (region === 'us-east-1' ? eastWrite : westWrite),
    });
    const st = await p.promote(req);
    expect(st.state).toBe('in-progress');
    expect(westWriteMock).toHaveReceivedCommandTimes(FailoverGlobalReplicationGroupCommand, 1);
  });

  it('acts on the datastore the registry recorded (after re-protection), not the static one', async () => {
    westMock.on(DescribeGlobalReplicationGroupsCommand).resolves({
      GlobalReplicationGroups: [
        {
          ...group('us-east-1').GlobalReplicationGroups[0],
          GlobalReplicationGroupId: 'sgaui-gloo-g2',
          Members: [
            {
              ReplicationGroupId: 'gloo-redis-use1-g2',
              ReplicationGroupRegion: 'us-east-1',
              Role: 'PRIMARY',
              Status: 'associated',
            },
            {
              ReplicationGroupId: WEST,
              ReplicationGroupRegion: 'us-west-2',
              Role: 'SECONDARY',
              Status: 'associated',
            },
          ],
        },
      ],
    });
    westWriteMock.on(FailoverGlobalReplicationGroupCommand).resolves({});
    const p = new ElastiCacheGlobalPromoter({
      globalReplicationGroupId: GRG,
      members: {
        'us-east-1': { replicationGroupId: EAST, endpoint: 'a:6379' },
        'us-west-2': { replicationGroupId: WEST, endpoint: 'b:6379' },
      },
      registry: async () => ({
        globalReplicationGroupId: 'sgaui-gloo-g2',
        members: {
          'us-east-1': { replicationGroupId: 'gloo-redis-use1-g2', endpoint: 'c:6379' },
          'us-west-2': { replicationGroupId: WEST, endpoint: 'b:6379' },
        },
      }),
      clientFor: (region) => (region === 'us-east-1' ? east : west),
      writeClientFor: (region) => (region === 'us-east-1' ? eastWrite : westWrite),
    });
    await p.promote(req);
    expect(westWriteMock).toHaveReceivedCommandWith(FailoverGlobalReplicationGroupCommand, {
      GlobalReplicationGroupId: 'sgaui-gloo-g2',
      PrimaryRegion: 'us-west-2',
      PrimaryReplicationGroupId: WEST,
    });
  });

  it('fails with PromotionFailed when the global datastore does not exist and the target is not standalone', async () => {
    westMock
      .on(DescribeGlobalReplicationGroupsCommand)
      .rejects(
        new GlobalReplicationGroupNotFoundFault({ message: 'not found', $metadata: { httpStatusCode: 404 } }),
      );
    westMock
      .on(DescribeReplicationGroupsCommand)
      .rejects(
        new ReplicationGroupNotFoundFault({ message: 'not found', $metadata: { httpStatusCode: 404 } }),
      );
    const err = await promoter()
      .promote(req)
      .catch((e) => e);
    expect(isNamed(err, 'PromotionFailed')).toBe(true);
    expect(westWriteMock).not.toHaveReceivedAnyCommand();
  });

  it('turns a throttled failover call into a TransientError', async () => {
    westMock.on(DescribeGlobalReplicationGroupsCommand).resolves(group('us-east-1'));
    westWriteMock.on(FailoverGlobalReplicationGroupCommand).rejects(throttled());
    const err = await promoter()
      .promote(req)
      .catch((e) => e);
    expect(isNamed(err, 'TransientError')).toBe(true);
  });

  it('fails with PromotionFailed on InvalidGlobalReplicationGroupState when nothing moves toward the target', async () => {
    westMock
      .on(DescribeGlobalReplicationGroupsCommand)
      .resolves(group('us-east-1', { status: 'primary-only' }));
    westWriteMock.on(FailoverGlobalReplicationGroupCommand).rejects(
      new InvalidGlobalReplicationGroupStateFault({
        message: 'The Global datastore is not available or in primary-only state.',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const err = await promoter()
      .promote(req)
      .catch((e) => e);
    expect(isNamed(err, 'PromotionFailed')).toBe(true);
    expect(westWriteMock).not.toHaveReceivedCommand(DisassociateGlobalReplicationGroupCommand);
  });

  it('refuses a target region that has no configured member', async () => {
    const err = await promoter()
      .promote({ sourceRegion: 'us-west-2', targetRegion: 'eu-west-1', dryRun: false })
      .catch((e) => e);
    expect(isNamed(err, 'PromotionFailed')).toBe(true);
    expect(eastMock).not.toHaveReceivedAnyCommand();
  });
});

describe('ElastiCacheGlobalPromoter.status', () => {
  it('is in progress while the target is still secondary, complete once primary and writable', async () => {
    const writeProbe = vi.fn(async (_region: Region) => {});
    westMock
      .on(DescribeGlobalReplicationGroupsCommand)
      .resolvesOnce(group('us-east-1', { status: 'modifying' }))
      .resolves(group('us-west-2', { status: 'modifying' }));
    const p = promoter(writeProbe);
    const first = await p.status({ targetRegion: 'us-west-2', mode: 'planned' });
    const second = await p.status({ targetRegion: 'us-west-2', mode: 'planned' });
    expect(first).toMatchObject({ state: 'in-progress', mode: 'planned' });
    expect(first.detail).toMatch(/not primary yet/);
    expect(second).toMatchObject({ state: 'complete', mode: 'planned', targetRegion: 'us-west-2' });
    expect(writeProbe).toHaveBeenCalledExactlyOnceWith('us-west-2');
    expect(eastMock).not.toHaveReceivedAnyCommand();
  });

  it('stays in progress when the new primary refuses the write probe', async () => {
    westMock.on(DescribeGlobalReplicationGroupsCommand).resolves(group('us-west-2'));
    const st = await promoter(async () => {
      throw new Error("READONLY You can't write against a read only replica.");
    }).status({ targetRegion: 'us-west-2', mode: 'planned' });
    expect(st.state).toBe('in-progress');
    expect(st.detail).toMatch(/refused a write: READONLY/);
  });

  it('stays in progress (no error) while the target region does not answer', async () => {
    westMock.on(DescribeGlobalReplicationGroupsCommand).rejects(noAnswer());
    const st = await promoter().status({ targetRegion: 'us-west-2', mode: 'planned' });
    expect(st.state).toBe('in-progress');
    expect(st.detail).toMatch(/does not answer/);
  });

  it('completes a detach once the target replication group is standalone, available and writable', async () => {
    const writeProbe = vi.fn(async (_region: Region) => {});
    westMock.on(DescribeGlobalReplicationGroupsCommand).resolves(group('us-east-1', { only: 'us-east-1' }));
    westMock
      .on(DescribeReplicationGroupsCommand)
      .resolvesOnce(replicationGroup('modifying'))
      .resolves(replicationGroup('available'));
    const p = promoter(writeProbe);
    const a = await p.status({ targetRegion: 'us-west-2', mode: 'unplanned' });
    const b = await p.status({ targetRegion: 'us-west-2', mode: 'unplanned' });
    expect(a.state).toBe('in-progress');
    expect(b).toMatchObject({ state: 'complete', mode: 'unplanned' });
    expect(writeProbe).toHaveBeenCalledOnce();
  });

  it('fails with PromotionFailed when the target replication group is gone', async () => {
    westMock
      .on(DescribeGlobalReplicationGroupsCommand)
      .rejects(new GlobalReplicationGroupNotFoundFault({ message: 'not found', $metadata: {} }));
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
    westMock.on(DescribeGlobalReplicationGroupsCommand).rejects(throttled());
    const err = await promoter()
      .status({ targetRegion: 'us-west-2', mode: 'planned' })
      .catch((e) => e);
    expect(isNamed(err, 'TransientError')).toBe(true);
  });
});
