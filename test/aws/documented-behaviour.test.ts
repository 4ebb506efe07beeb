/**
 * Documented AWS behaviours the adapters rely on, one test each, named after the behaviour and the
 * documentation page it comes from (docs/assumptions.md lists them). Each mock
 * reproduces the documented request/response shapes and errors, including the lost-response cases:
 * a mutating call applied by AWS whose response never arrived, then retried.
 */
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import {
  DescribeGlobalReplicationGroupsCommand,
  DescribeReplicationGroupsCommand,
  DisassociateGlobalReplicationGroupCommand,
  ElastiCacheClient,
  FailoverGlobalReplicationGroupCommand,
  type GlobalReplicationGroup,
  InvalidGlobalReplicationGroupStateFault,
} from '@aws-sdk/client-elasticache';
import {
  ChangeResourceRecordSetsCommand,
  InvalidChangeBatch,
  ListResourceRecordSetsCommand,
  type ResourceRecordSet,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { redisFollowUp } from '#functions/report/report.ts';
import { elastiCacheWriteClientFor } from '#lib/aws/clients/elasticache.ts';
import { route53WriteClient } from '#lib/aws/clients/route53.ts';
import { CloudWatchAlarmStates } from '#lib/aws/cloudwatch-alarms.ts';
import { ElastiCacheGlobalPromoter } from '#lib/aws/elasticache-promoter.ts';
import { Route53DnsPointer } from '#lib/aws/route53-dns.ts';
import type { Run } from '#lib/state.ts';
import type { Region } from '#lib/topology.ts';

const GRG = 'ldgnf-gloo-mesh-redis';
const EAST = 'gloo-redis-use1';
const WEST = 'gloo-redis-usw2';

const east = new ElastiCacheClient({ region: 'us-east-1' });
const west = new ElastiCacheClient({ region: 'us-west-2' });
const eastWrite = new ElastiCacheClient({ region: 'us-east-1', maxAttempts: 1 });
const westWrite = new ElastiCacheClient({ region: 'us-west-2', maxAttempts: 1 });
const mocks = [east, west, eastWrite, westWrite].map((c) => mockClient(c));
const [eastMock, westMock, eastWriteMock, westWriteMock] = mocks as [
  ReturnType<typeof mockClient>,
  ReturnType<typeof mockClient>,
  ReturnType<typeof mockClient>,
  ReturnType<typeof mockClient>,
];
const r53 = mockClient(Route53Client);
const cw = mockClient(CloudWatchClient);
afterEach(() => {
  for (const m of mocks) m.reset();
  r53.reset();
  cw.reset();
});

function promoter(writeProbe: (region: Region) => Promise<void> = async () => {}) {
  return new ElastiCacheGlobalPromoter({
    globalReplicationGroupId: GRG,
    members: {
      'us-east-1': { replicationGroupId: EAST, endpoint: 'master.use1.example:6379' },
      'us-west-2': { replicationGroupId: WEST, endpoint: 'master.usw2.example:6379' },
    },
    clientFor: (r) => (r === 'us-east-1' ? east : west),
    writeClientFor: (r) => (r === 'us-east-1' ? eastWrite : westWrite),
    writeProbe,
  });
}

/** `DescribeGlobalReplicationGroups` with `ShowMemberInfo` (API reference "GlobalReplicationGroup"). */
function group(
  primary: Region,
  status: string,
  membership: Partial<Record<Region, string>> = {},
  members: Region[] = ['us-east-1', 'us-west-2'],
): { GlobalReplicationGroups: GlobalReplicationGroup[] } {
  const id = (r: Region) => (r === 'us-east-1' ? EAST : WEST);
  return {
    GlobalReplicationGroups: [
      {
        GlobalReplicationGroupId: GRG,
        Status: status,
        Engine: 'redis',
        ClusterEnabled: false,
        Members: members.map((r) => ({
          ReplicationGroupId: id(r),
          ReplicationGroupRegion: r,
          Role: r === primary ? 'PRIMARY' : 'SECONDARY',
          AutomaticFailover: 'enabled',
          Status: membership[r] ?? 'associated',
        })),
      },
    ],
  };
}

/** The node-http-handler error of a request whose response never came (SDK v3 `TimeoutError`). */
const timedOut = () =>
  Object.assign(new Error('Connection timed out after 10000 ms'), { name: 'TimeoutError', $metadata: {} });

const invalidState = () =>
  new InvalidGlobalReplicationGroupStateFault({
    message: 'The Global datastore is not available or in primary-only state.',
    $metadata: { httpStatusCode: 400, requestId: '0c4e8f36-8c1f-4c6b-9b51-example' },
  });

const req = { sourceRegion: 'us-east-1', targetRegion: 'us-west-2', dryRun: false } as const;

describe('ElastiCache Global Datastore (documented behaviour)', () => {
  it('FailoverGlobalReplicationGroup ("FailoverGlobalReplicationGroup - Amazon ElastiCache" API reference): the parameters name the member that becomes primary, and the call goes to its own region', async () => {
    westMock.on(DescribeGlobalReplicationGroupsCommand).resolves(group('us-east-1', 'available'));
    westWriteMock.on(FailoverGlobalReplicationGroupCommand).resolves({});
    await promoter().promote(req);
    expect(westWriteMock).toHaveReceivedCommandExactlyOnceWith(FailoverGlobalReplicationGroupCommand, {
      GlobalReplicationGroupId: GRG,
      PrimaryRegion: 'us-west-2',
      PrimaryReplicationGroupId: WEST,
    });
    expect(eastWriteMock).not.toHaveReceivedAnyCommand();
  });

  it('a timed-out Describe in the old region never leads to a disassociate ("Disassociating from a global datastore" is irreversible, ElastiCache User Guide)', async () => {
    // prepare: the old primary's region times out (or is unreachable by design: interface endpoints only)
    eastMock.on(DescribeGlobalReplicationGroupsCommand).rejects(timedOut());
    eastMock.on(DescribeReplicationGroupsCommand).rejects(timedOut());
    westMock.on(DescribeGlobalReplicationGroupsCommand).resolves(group('us-east-1', 'primary-only'));
    westWriteMock.on(FailoverGlobalReplicationGroupCommand).resolves({});
    // act: a describe (preflight, fencing) and the promotion
    const state = await promoter().describe();
    const st = await promoter().promote(req);
    // assess
    expect(state.members[0]).toMatchObject({ region: 'us-east-1', reachable: false });
    expect(st.state).toBe('in-progress');
    for (const m of mocks) expect(m).not.toHaveReceivedCommand(DisassociateGlobalReplicationGroupCommand);
    expect(westWriteMock).toHaveReceivedCommandTimes(FailoverGlobalReplicationGroupCommand, 1);
  });

  it('with force.detachRedis after a failed promotion it disassociates exactly once ("DisassociateGlobalReplicationGroup - Amazon ElastiCache"), and the report says what was lost', async () => {
    // prepare: attempt 1 sends; the retried step sees the membership "disassociating"; then standalone
    westMock
      .on(DescribeGlobalReplicationGroupsCommand)
      .resolvesOnce(group('us-east-1', 'primary-only'))
      .resolvesOnce(group('us-east-1', 'modifying', { 'us-west-2': 'disassociating' }))
      .resolves(group('us-east-1', 'primary-only', {}, ['us-east-1']));
    westMock.on(DescribeReplicationGroupsCommand).resolves({
      ReplicationGroups: [{ ReplicationGroupId: WEST, Status: 'available' }],
    });
    westWriteMock.on(DisassociateGlobalReplicationGroupCommand).resolves({});
    const p = promoter();
    // act
    const first = await p.promote({ ...req, detach: true });
    const retried = await p.promote({ ...req, detach: true });
    const done = await p.status({ targetRegion: 'us-west-2', mode: 'unplanned' });
    // assess
    expect(westWriteMock).toHaveReceivedCommandExactlyOnceWith(DisassociateGlobalReplicationGroupCommand, {
      GlobalReplicationGroupId: GRG,
      ReplicationGroupId: WEST,
      ReplicationGroupRegion: 'us-west-2',
    });
    expect(westWriteMock).not.toHaveReceivedCommand(FailoverGlobalReplicationGroupCommand);
    expect([first.state, retried.state, done.state]).toEqual(['in-progress', 'in-progress', 'complete']);
    const run = {
      direction: 'failover',
      source: { server: 'mgmt-east', region: 'us-east-1' },
      target: { server: 'mgmt-west', region: 'us-west-2' },
      executionId: 'x',
      input: {
        trigger: 'manual',
        incidentId: 'INC-1',
        dryRun: false,
        requestedBy: 'jane',
        force: { lock: false, skipVerification: false, dns: false, detachRedis: true },
      },
    } satisfies Run;
    const next = redisFollowUp(run, {
      startedAt: 'a',
      endedAt: 'b',
      state: 'complete',
      mode: 'unplanned',
      detail: done.detail,
      polls: 1,
      possibleDataLoss: first.possibleDataLoss!,
    });
    expect(next[0]).toMatch(
      /What may have been lost: IRREVERSIBLE.*Lost: every write the old primary gloo-redis-use1 \(us-east-1\)/,
    );
    expect(next[1]).toMatch(/DETACHED \(irreversible\): run the re-protect workflow in us-west-2/);
  });

  it('a lost failover response followed by InvalidGlobalReplicationGroupState ends in a completed promotion ("FailoverGlobalReplicationGroup": InvalidGlobalReplicationGroupState, HTTP 400)', async () => {
    // prepare: the first call is applied but its response is lost; the state is not visible yet
    westMock
      .on(DescribeGlobalReplicationGroupsCommand)
      .resolvesOnce(group('us-east-1', 'available')) // before attempt 1
      .resolvesOnce(group('us-east-1', 'available')) // re-read after the lost response: not visible yet
      .resolvesOnce(group('us-east-1', 'available')) // before attempt 2 (ASL retry): still stale
      .resolvesOnce(group('us-east-1', 'modifying')) // re-read after InvalidGlobalReplicationGroupState
      .resolvesOnce(group('us-east-1', 'modifying')) // poll 1: roles not swapped yet
      .resolves(group('us-west-2', 'available')); // poll 2: swapped
    westWriteMock.on(FailoverGlobalReplicationGroupCommand).rejectsOnce(timedOut()).rejects(invalidState());
    const writeProbe = vi.fn(async (_r: Region) => {});
    const p = promoter(writeProbe);
    // act: the step, its ASL retry, then the polls
    const attempt1 = await p.promote(req).catch((e) => e);
    const attempt2 = await p.promote(req);
    const poll1 = await p.status({ targetRegion: 'us-west-2', mode: attempt2.mode });
    const poll2 = await p.status({ targetRegion: 'us-west-2', mode: attempt2.mode });
    // assess
    expect(attempt1.name).toBe('TransientError');
    expect(attempt2.state).toBe('in-progress');
    expect(attempt2.detail).toMatch(/InvalidGlobalReplicationGroupState.*moving/);
    expect(poll1.state).toBe('in-progress');
    expect(poll2.state).toBe('complete');
    expect(westWriteMock).toHaveReceivedCommandTimes(FailoverGlobalReplicationGroupCommand, 2);
    expect(writeProbe).toHaveBeenCalledOnce();
  });

  it('a lost failover response whose change is already visible is progress, not an error', async () => {
    westMock
      .on(DescribeGlobalReplicationGroupsCommand)
      .resolvesOnce(group('us-east-1', 'available'))
      .resolves(group('us-east-1', 'modifying'));
    westWriteMock.on(FailoverGlobalReplicationGroupCommand).rejects(timedOut());
    const st = await promoter().promote(req);
    expect(st.state).toBe('in-progress');
    expect(st.detail).toMatch(/response lost/);
  });

  it('"primary-only" and "modifying" are progress ("GlobalReplicationGroup" Status, API reference): completion is the target role PRIMARY plus a write probe', async () => {
    westMock
      .on(DescribeGlobalReplicationGroupsCommand)
      .resolvesOnce(group('us-east-1', 'modifying'))
      .resolves(group('us-west-2', 'primary-only'));
    const p = promoter();
    const a = await p.status({ targetRegion: 'us-west-2', mode: 'unplanned' });
    const b = await p.status({ targetRegion: 'us-west-2', mode: 'unplanned' });
    expect(a.state).toBe('in-progress');
    expect(b.state).toBe('complete');
    expect(b.detail).toMatch(/primary-only/);
  });

  it('an "available" read right after the call (taken before the failover started) is not completion', async () => {
    // The public sample polls for "available" right after FailoverGlobalReplicationGroup and can see
    // the state from before the failover: the target is still SECONDARY there.
    westMock
      .on(DescribeGlobalReplicationGroupsCommand)
      .resolvesOnce(group('us-east-1', 'available'))
      .resolvesOnce(group('us-east-1', 'available'))
      .resolves(group('us-west-2', 'available'));
    westWriteMock.on(FailoverGlobalReplicationGroupCommand).resolves({});
    const probe = vi.fn(async (_r: Region) => {});
    const p = promoter(probe);
    await p.promote(req);
    const stale = await p.status({ targetRegion: 'us-west-2', mode: 'planned' });
    const fresh = await p.status({ targetRegion: 'us-west-2', mode: 'planned' });
    expect(stale.state).toBe('in-progress');
    expect(fresh.state).toBe('complete');
    expect(probe).toHaveBeenCalledOnce();
  });

  it('replication group ids compare case-insensitively ("CreateReplicationGroup": "This parameter is stored as a lowercase string")', async () => {
    westMock.on(DescribeGlobalReplicationGroupsCommand).resolves(group('us-west-2', 'available'));
    const p = new ElastiCacheGlobalPromoter({
      globalReplicationGroupId: GRG.toUpperCase(),
      members: {
        'us-east-1': { replicationGroupId: 'Gloo-Redis-USE1', endpoint: 'a.example:6379' },
        'us-west-2': { replicationGroupId: 'Gloo-Redis-USW2', endpoint: 'b.example:6379' },
      },
      clientFor: (r) => (r === 'us-east-1' ? east : west),
      writeClientFor: (r) => (r === 'us-east-1' ? eastWrite : westWrite),
    });
    const st = await p.promote(req);
    expect(st.state).toBe('noop');
  });

  it('mutating ElastiCache and Route 53 calls go out without SDK retries (a repeated mutating call is refused after a lost response)', async () => {
    expect(await elastiCacheWriteClientFor('us-west-2').config.maxAttempts()).toBe(1);
    expect(await route53WriteClient('us-west-2').config.maxAttempts()).toBe(1);
  });
});

describe('Route 53 (documented behaviour)', () => {
  const EXPECTED = { ttl: 30, values: ['10.0.1.10'] };
  const NEXT = { ttl: 30, values: ['10.1.1.10'] };
  const page = (r: { ttl: number; values: string[] }) => ({
    ResourceRecordSets: [
      {
        Name: 'mgmt.example.com.',
        Type: 'A',
        TTL: r.ttl,
        ResourceRecords: r.values.map((Value) => ({ Value })),
      } as ResourceRecordSet,
    ],
    IsTruncated: false,
    MaxItems: 1,
  });
  const pointer = () =>
    new Route53DnsPointer({
      client: new Route53Client({ region: 'us-east-1' }),
      writeClient: new Route53Client({ region: 'us-east-1', maxAttempts: 1 }),
      hostedZoneId: 'Z0123456789ABCDEFGHIJ',
      recordName: 'mgmt.example.com',
      recordType: 'A',
    });
  /** The documented refusal of a DELETE that no longer matches ("ChangeResourceRecordSets" errors). */
  const deleteMismatch = () =>
    new InvalidChangeBatch({
      message:
        "[Tried to delete resource record set [name='mgmt.example.com.', type='A'] but the values provided do not match the current values]",
      messages: [
        "Tried to delete resource record set [name='mgmt.example.com.', type='A'] but the values provided do not match the current values",
      ],
      $metadata: { httpStatusCode: 400 },
    });

  it('a lost ChangeResourceRecordSets response followed by a retry refused with InvalidChangeBatch ends "already", never DnsChangeConflict ("ChangeResourceRecordSets - Amazon Route 53": a DELETE must match exactly)', async () => {
    // prepare: the retry's read still sees the old record, its batch is refused (the first one was applied)
    r53.on(ListResourceRecordSetsCommand).resolvesOnce(page(EXPECTED)).resolves(page(NEXT));
    r53.on(ChangeResourceRecordSetsCommand).rejects(deleteMismatch());
    // act
    const res = await pointer().compareAndSwap({ expected: EXPECTED, next: NEXT, dryRun: false });
    // assess
    expect(res).toEqual({ outcome: 'already', changeId: null });
  });

  it('a ChangeResourceRecordSets that times out is resolved by reading the record: already the new value -> "already"', async () => {
    r53.on(ListResourceRecordSetsCommand).resolvesOnce(page(EXPECTED)).resolves(page(NEXT));
    r53.on(ChangeResourceRecordSetsCommand).rejects(timedOut());
    const res = await pointer().compareAndSwap({ expected: EXPECTED, next: NEXT, dryRun: false });
    expect(res).toEqual({ outcome: 'already', changeId: null });
    expect(r53).toHaveReceivedCommandTimes(ChangeResourceRecordSetsCommand, 1);
  });

  it('a ChangeResourceRecordSets that times out with the record unchanged is a TransientError (the ASL retry reads first)', async () => {
    r53.on(ListResourceRecordSetsCommand).resolves(page(EXPECTED));
    r53.on(ChangeResourceRecordSetsCommand).rejects(timedOut());
    const err = await pointer()
      .compareAndSwap({ expected: EXPECTED, next: NEXT, dryRun: false })
      .catch((e) => e);
    expect(err.name).toBe('TransientError');
  });
});

describe('CloudWatch (documented behaviour)', () => {
  it('DescribeAlarms asks for metric and composite alarms ("DescribeAlarms - Amazon CloudWatch": composite alarms need the permission scoped to *, granted by the stack)', async () => {
    cw.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [{ AlarmName: 'relay-down', StateValue: 'ALARM' }],
      CompositeAlarms: [{ AlarmName: 'mgmt-east-down', StateValue: 'OK' }],
    });
    const states = await new CloudWatchAlarmStates(new CloudWatchClient({ region: 'us-east-1' })).states([
      'relay-down',
      'mgmt-east-down',
    ]);
    expect(cw).toHaveReceivedCommandWith(DescribeAlarmsCommand, {
      AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
    });
    expect(states).toEqual({ 'relay-down': 'ALARM', 'mgmt-east-down': 'OK' });
  });
});
