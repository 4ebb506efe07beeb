/**
 * Re-protection of an ElastiCache Global Datastore after a forced detach, against the documented
 * API shapes: "CreateGlobalReplicationGroup" (the id gets a region prefix: "Using global datastores
 * (CLI)"), "CreateReplicationGroup" with GlobalReplicationGroupId, "DeleteGlobalReplicationGroup"
 * (RetainPrimaryReplicationGroup), "DeleteReplicationGroup" (FinalSnapshotIdentifier).
 */
import {
  CreateGlobalReplicationGroupCommand,
  CreateReplicationGroupCommand,
  DeleteGlobalReplicationGroupCommand,
  DeleteReplicationGroupCommand,
  DescribeGlobalReplicationGroupsCommand,
  DescribeReplicationGroupsCommand,
  ElastiCacheClient,
  GlobalReplicationGroupAlreadyExistsFault,
  type ReplicationGroup,
  ReplicationGroupNotFoundFault,
} from '@aws-sdk/client-elasticache';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { datastoreSuffix, ElastiCacheReprotector, secondaryId } from '#lib/aws/elasticache-reprotector.ts';
import type { ReprotectRequest } from '#lib/ports.ts';

const east = new ElastiCacheClient({ region: 'us-east-1' });
const west = new ElastiCacheClient({ region: 'us-west-2' });
const eastW = new ElastiCacheClient({ region: 'us-east-1', maxAttempts: 1 });
const westW = new ElastiCacheClient({ region: 'us-west-2', maxAttempts: 1 });
const [eastM, westM, eastWM, westWM] = [east, west, eastW, westW].map((c) => mockClient(c)) as [
  ReturnType<typeof mockClient>,
  ReturnType<typeof mockClient>,
  ReturnType<typeof mockClient>,
  ReturnType<typeof mockClient>,
];
afterEach(() => {
  for (const m of [eastM, westM, eastWM, westWM]) m.reset();
});

const OLD_GRG = 'ldgnf-gloo-mgmt';
const NEW_GRG = 'sgaui-gloo-mgmt-g1'; // created in us-west-2: prefix "sgaui" (documented table)
const EAST = 'gloo-mgmt-east';
const WEST = 'gloo-mgmt-west';

const reprotector = () =>
  new ElastiCacheReprotector({
    datastore: async () => ({
      globalReplicationGroupId: OLD_GRG,
      members: {
        'us-east-1': { replicationGroupId: EAST, endpoint: 'master.east.example:6379' },
        'us-west-2': { replicationGroupId: WEST, endpoint: 'master.west.example:6379' },
      },
    }),
    staticMembers: {
      'us-east-1': {
        replicationGroupId: EAST,
        cacheSubnetGroupName: 'gloo-redis-east',
        securityGroupIds: ['sg-0123456789abcdef0'],
      },
      'us-west-2': { replicationGroupId: WEST },
    },
    suffixStem: 'gloo-mgmt',
    clientFor: (r) => (r === 'us-east-1' ? east : west),
    writeClientFor: (r) => (r === 'us-east-1' ? eastW : westW),
  });

const req = (o: Partial<ReprotectRequest> = {}): ReprotectRequest => ({
  survivorRegion: 'us-west-2',
  recoveredRegion: 'us-east-1',
  generation: 1,
  oldMember: 'keep',
  dryRun: false,
  executionId: 'arn:aws:states:us-west-2:123456789012:execution:gloo-mgmt-reprotect-from-mgmt-west:rp-1',
  ...o,
});

const rg = (id: string, status: string, info?: { id: string; role: string }, endpoint?: string) => ({
  ReplicationGroups: [
    {
      ReplicationGroupId: id,
      Status: status,
      ...(info
        ? {
            GlobalReplicationGroupInfo: {
              GlobalReplicationGroupId: info.id,
              GlobalReplicationGroupMemberRole: info.role,
            },
          }
        : {}),
      ...(endpoint
        ? { NodeGroups: [{ NodeGroupId: '0001', PrimaryEndpoint: { Address: endpoint, Port: 6379 } }] }
        : {}),
    } satisfies ReplicationGroup,
  ],
});
const notFound = () =>
  new ReplicationGroupNotFoundFault({ message: 'not found', $metadata: { httpStatusCode: 404 } });
const timedOut = () => Object.assign(new Error('socket hang up'), { name: 'TimeoutError', $metadata: {} });

describe('ElastiCacheReprotector', () => {
  it('names new resources from the generation: suffix <name>-g<N>, secondary <id>-g<N> within 40 characters', () => {
    expect(datastoreSuffix('Gloo-Mgmt', 2)).toBe('gloo-mgmt-g2');
    expect(secondaryId('Gloo-Mgmt-East', 3)).toBe('gloo-mgmt-east-g3');
    expect(secondaryId('gloo-mgmt-east-g2', 3)).toBe('gloo-mgmt-east-g3');
    expect(secondaryId('a'.repeat(40), 12)).toHaveLength(40);
  });

  it('CreateGlobalReplicationGroup from the standalone survivor, sent to its region with our suffix (AWS adds the region prefix)', async () => {
    westM.on(DescribeReplicationGroupsCommand).resolves(rg(WEST, 'available'));
    westWM
      .on(CreateGlobalReplicationGroupCommand)
      .resolves({ GlobalReplicationGroup: { GlobalReplicationGroupId: NEW_GRG } });
    const st = await reprotector().advance(req());
    expect(westWM).toHaveReceivedCommandWith(CreateGlobalReplicationGroupCommand, {
      GlobalReplicationGroupIdSuffix: 'gloo-mgmt-g1',
      PrimaryReplicationGroupId: WEST,
    });
    expect(st).toMatchObject({ state: 'in-progress', phase: 'create-datastore' });
  });

  it('treats a lost CreateGlobalReplicationGroup response, then GlobalReplicationGroupAlreadyExists on the retry, as progress', async () => {
    westM.on(DescribeReplicationGroupsCommand).resolves(rg(WEST, 'available'));
    westWM
      .on(CreateGlobalReplicationGroupCommand)
      .rejectsOnce(timedOut())
      .rejects(
        new GlobalReplicationGroupAlreadyExistsFault({
          message: 'exists',
          $metadata: { httpStatusCode: 400 },
        }),
      );
    const a = await reprotector().advance(req());
    const b = await reprotector().advance(req());
    expect([a.state, b.state]).toEqual(['in-progress', 'in-progress']);
    expect(a.detail).toMatch(/response was lost/);
  });

  it('adds the new secondary with CreateReplicationGroup(GlobalReplicationGroupId) in the recovered region, beside the kept old cluster', async () => {
    westM
      .on(DescribeReplicationGroupsCommand)
      .resolves(rg(WEST, 'available', { id: NEW_GRG, role: 'PRIMARY' }));
    westM
      .on(DescribeGlobalReplicationGroupsCommand)
      .resolves({ GlobalReplicationGroups: [{ GlobalReplicationGroupId: NEW_GRG, Status: 'primary-only' }] });
    eastM
      .on(DescribeReplicationGroupsCommand, { ReplicationGroupId: 'gloo-mgmt-east-g1' })
      .rejects(notFound());
    eastWM.on(CreateReplicationGroupCommand).resolves({});
    const st = await reprotector().advance(req());
    expect(eastWM).toHaveReceivedCommandWith(CreateReplicationGroupCommand, {
      ReplicationGroupId: 'gloo-mgmt-east-g1',
      GlobalReplicationGroupId: NEW_GRG,
      CacheSubnetGroupName: 'gloo-redis-east',
      SecurityGroupIds: ['sg-0123456789abcdef0'],
    });
    expect(eastWM).not.toHaveReceivedCommand(DeleteReplicationGroupCommand);
    expect(st).toMatchObject({ state: 'in-progress', phase: 'add-secondary' });
  });

  it('with oldRedis=delete: deletes the old datastore keeping its primary, then the old cluster with a final snapshot', async () => {
    westM
      .on(DescribeReplicationGroupsCommand)
      .resolves(rg(WEST, 'available', { id: NEW_GRG, role: 'PRIMARY' }));
    westM
      .on(DescribeGlobalReplicationGroupsCommand)
      .resolves({ GlobalReplicationGroups: [{ GlobalReplicationGroupId: NEW_GRG, Status: 'primary-only' }] });
    eastM
      .on(DescribeReplicationGroupsCommand, { ReplicationGroupId: EAST })
      .resolvesOnce(rg(EAST, 'available', { id: OLD_GRG, role: 'PRIMARY' }))
      .resolves(rg(EAST, 'available'));
    eastWM.on(DeleteGlobalReplicationGroupCommand).resolves({});
    eastWM.on(DeleteReplicationGroupCommand).resolves({});
    const a = await reprotector().advance(req({ oldMember: 'delete' }));
    const b = await reprotector().advance(req({ oldMember: 'delete' }));
    expect(eastWM).toHaveReceivedCommandWith(DeleteGlobalReplicationGroupCommand, {
      GlobalReplicationGroupId: OLD_GRG,
      RetainPrimaryReplicationGroup: true,
    });
    expect(eastWM).toHaveReceivedCommandWith(DeleteReplicationGroupCommand, {
      ReplicationGroupId: EAST,
      FinalSnapshotIdentifier: 'gloo-mgmt-east-final-g1',
    });
    expect([a.phase, b.phase]).toEqual(['remove-old', 'remove-old']);
    expect(b.removed).toMatch(/final snapshot gloo-mgmt-east-final-g1/);
  });

  it('completes once the new member is an associated SECONDARY of an available datastore, recording its id and endpoint', async () => {
    westM
      .on(DescribeReplicationGroupsCommand)
      .resolves(rg(WEST, 'available', { id: NEW_GRG, role: 'PRIMARY' }));
    westM.on(DescribeGlobalReplicationGroupsCommand).resolves({
      GlobalReplicationGroups: [
        {
          GlobalReplicationGroupId: NEW_GRG,
          Status: 'available',
          Members: [
            {
              ReplicationGroupId: WEST,
              ReplicationGroupRegion: 'us-west-2',
              Role: 'PRIMARY',
              Status: 'associated',
            },
            {
              ReplicationGroupId: 'gloo-mgmt-east-g1',
              ReplicationGroupRegion: 'us-east-1',
              Role: 'SECONDARY',
              Status: 'associated',
            },
          ],
        },
      ],
    });
    eastM
      .on(DescribeReplicationGroupsCommand, { ReplicationGroupId: 'gloo-mgmt-east-g1' })
      .resolves(
        rg(
          'gloo-mgmt-east-g1',
          'available',
          { id: NEW_GRG, role: 'SECONDARY' },
          'gloo-mgmt-east-g1.abc123.use1.cache.amazonaws.com',
        ),
      );
    const st = await reprotector().advance(req());
    expect(st.state).toBe('complete');
    expect(st.record).toMatchObject({
      generation: 1,
      globalReplicationGroupId: NEW_GRG,
      members: {
        'us-west-2': { replicationGroupId: WEST, endpoint: 'master.west.example:6379' },
        'us-east-1': {
          replicationGroupId: 'gloo-mgmt-east-g1',
          endpoint: 'gloo-mgmt-east-g1.abc123.use1.cache.amazonaws.com:6379',
        },
      },
    });
    for (const m of [eastWM, westWM]) expect(m).not.toHaveReceivedAnyCommand();
  });

  it('refuses a survivor that is primary of a datastore this run did not create', async () => {
    westM
      .on(DescribeReplicationGroupsCommand)
      .resolves(rg(WEST, 'available', { id: OLD_GRG, role: 'PRIMARY' }));
    const err = await reprotector()
      .advance(req())
      .catch((e) => e);
    expect(err.name).toBe('ReprotectFailed');
  });

  it('reports what it would do in a dry run and sends nothing', async () => {
    westM.on(DescribeReplicationGroupsCommand).resolves(rg(WEST, 'available'));
    const st = await reprotector().advance(req({ dryRun: true, oldMember: 'delete' }));
    expect(st.state).toBe('would-reprotect');
    expect(st.detail).toMatch(
      /CreateGlobalReplicationGroup.*delete the old cluster gloo-mgmt-east.*CreateReplicationGroup gloo-mgmt-east-g1/,
    );
    for (const m of [eastWM, westWM]) expect(m).not.toHaveReceivedAnyCommand();
  });
});
