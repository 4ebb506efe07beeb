/**
 * Readiness's configuration checks on the vendor demo's DNS shape (a PRIMARY/SECONDARY failover
 * alias pair, each record with a RECOVERY_CONTROL health check on an ARC routing control) and on
 * the re-protect registry. Shapes: Route 53 API reference, ListResourceRecordSets (Failover,
 * SetIdentifier, HealthCheckId, AliasTarget) and GetHealthCheck (HealthCheckConfig.Type,
 * RoutingControlArn, AlarmIdentifier); a health check deleted while records use it has an
 * unpredictable status (Route 53 API reference, DeleteHealthCheck).
 */
import { describe, expect, it } from 'vitest';
import { dnsPointerCheck, reprotectRegistryCheck } from '#functions/readiness/config-checks.ts';
import type {
  DatastoreRecord,
  DnsInventoryHealthCheck,
  DnsInventoryRecord,
  DnsObservation,
  DnsSwitchState,
} from '#lib/ports.ts';
import { loadTopology, type Topology } from '#lib/topology.ts';

const t = loadTopology('infra/topology.failover-alias.example.json');
const pair = t.dns.failover!;
const sw = t.dns.switch as Extract<Topology['dns']['switch'], { mode: 'arc-routing-control' }>;

/** The pair, its health checks and the switch as the topology says, which a test then breaks. */
function dnsWorld() {
  const records: DnsInventoryRecord[] = (['primary', 'secondary'] as const).map((role) => ({
    setIdentifier: pair[role].setIdentifier,
    failover: role === 'primary' ? 'PRIMARY' : 'SECONDARY',
    healthCheckId: pair[role].healthCheckId,
    values: [],
    aliasTarget: `${pair[role].alias!.dnsName}.`,
  }));
  const checks = new Map<string, DnsInventoryHealthCheck>(
    (['mgmt-east', 'mgmt-west'] as const).map((s) => [
      sw.routingControls[s]!.healthCheckId!,
      {
        id: sw.routingControls[s]!.healthCheckId!,
        type: 'RECOVERY_CONTROL',
        routingControlArn: sw.routingControls[s]!.arn,
      },
    ]),
  );
  const w = {
    records,
    checks,
    state: { selects: 'mgmt-east', detail: 'mgmt-east On, mgmt-west Off' } as DnsSwitchState | Error,
    seen: {
      answers: [{ from: 'resolver 169.254.169.253', values: ['10.0.0.1'], ttl: 60 }],
      pointsTo: 'mgmt-east',
      unknown: [],
    } as DnsObservation,
  };
  const ports = {
    dnsInventory: {
      recordSets: async () => w.records,
      healthCheck: async (id: string) => w.checks.get(id) ?? null,
    },
    dnsSwitch: {
      mode: 'arc-routing-control' as const,
      state: async () => {
        if (w.state instanceof Error) throw w.state;
        return w.state;
      },
      select: async () => {
        throw new Error('readiness must not switch');
      },
    },
    dnsAnswers: { resolve: async () => w.seen },
  };
  return { w, ports };
}

describe('readiness: the DNS pointer', () => {
  it('accepts the vendor demo alias pair with its routing-control health checks, naming what it found', async () => {
    // prepare
    const { ports } = dnsWorld();
    // act
    const r = await dnsPointerCheck(t, ports);
    // assess
    expect(r).toEqual({
      ok: true,
      reason:
        'arc-routing-control: the failover pair and its 2 health checks as the topology says; the switch and the name servers select mgmt-east',
    });
  });

  it('with the Route 53 control plane out (us-east-1): a data-plane switch stays ready, saying what it could not read; route53-record fails', async () => {
    const { ports } = dnsWorld();
    ports.dnsInventory.recordSets = async () =>
      Promise.reject(new Error('route53:ListResourceRecordSets: HTTP 503'));
    const arc = await dnsPointerCheck(t, ports);
    expect(arc).toEqual({
      ok: true,
      reason:
        'arc-routing-control: the switch and the name servers select mgmt-east; records and health checks not read (route53:ListResourceRecordSets: HTTP 503): the arc-routing-control switch does not need that control plane',
    });
    const simple = loadTopology('infra/topology.example.json');
    const record = await dnsPointerCheck(simple, ports);
    expect(record.ok).toBe(false);
    expect(record.reason).toContain(
      'the Route 53 control plane does not answer (route53:ListResourceRecordSets: HTTP 503): the record switch would fail now',
    );
  });

  it('fails naming the missing SECONDARY record', async () => {
    const { w, ports } = dnsWorld();
    w.records = w.records.filter((r) => r.failover === 'PRIMARY');
    const r = await dnsPointerCheck(t, ports);
    expect(r.ok).toBe(false);
    expect(r.reason).toBe(
      'the SECONDARY failover record of mgmt.ha-demo.example A (set identifier "mgmt-west-secondary") does not exist',
    );
  });

  it('fails naming a deleted health check and one tied to the wrong routing control', async () => {
    const { w, ports } = dnsWorld();
    const east = pair.primary.healthCheckId!;
    const west = pair.secondary.healthCheckId!;
    w.checks.delete(east);
    w.checks.set(west, {
      id: west,
      type: 'RECOVERY_CONTROL',
      routingControlArn: sw.routingControls['mgmt-east']!.arn,
    });
    const r = await dnsPointerCheck(t, ports);
    expect(r.ok).toBe(false);
    expect(r.reason).toContain(`health check ${east} (mgmt-east's failover record) does not exist`);
    expect(r.reason).toContain(
      `health check ${west} is RECOVERY_CONTROL on ${sw.routingControls['mgmt-east']!.arn}, expected RECOVERY_CONTROL on ${sw.routingControls['mgmt-west']!.arn}`,
    );
  });

  it('fails when a record names another health check or alias target than the topology', async () => {
    const { w, ports } = dnsWorld();
    w.records[1] = {
      ...w.records[1]!,
      healthCheckId: '99999999-9999-4999-8999-999999999999',
      aliasTarget: 'other.elb.us-west-2.amazonaws.com.',
    };
    const r = await dnsPointerCheck(t, ports);
    expect(r.reason).toContain(
      'record "mgmt-west-secondary" uses health check 99999999-9999-4999-8999-999999999999, the topology says 1a2b3c4d-5e6f-4a0b-9c8d-7e6f5a4b3c2d',
    );
    expect(r.reason).toContain('record "mgmt-west-secondary" aliases other.elb.us-west-2.amazonaws.com.');
  });

  it('fails when the routing controls cannot be read, or the name servers disagree with the switch', async () => {
    const { w, ports } = dnsWorld();
    w.state = new Error('ResourceNotFoundException: routing control not found');
    expect((await dnsPointerCheck(t, ports)).reason).toBe(
      'cannot read the arc-routing-control switch: ResourceNotFoundException: routing control not found',
    );
    w.state = { selects: 'mgmt-east', detail: 'mgmt-east On, mgmt-west Off' };
    w.seen = { ...w.seen, pointsTo: 'mgmt-west' };
    expect((await dnsPointerCheck(t, ports)).reason).toBe(
      'the switch selects mgmt-east but the name servers answer mgmt-west',
    );
  });

  it('with route53-record: fails on a record with a routing policy where one simple record is expected', async () => {
    const simple = loadTopology('infra/topology.example.json');
    const { ports } = dnsWorld();
    ports.dnsInventory.recordSets = async () => [
      { setIdentifier: 'a', failover: 'PRIMARY', values: ['mgmt-east.gloo.internal.example.com'] },
    ];
    const r = await dnsPointerCheck(simple, ports);
    expect(r.reason).toContain(
      'mgmt-server.gloo.example.com CNAME: expected one simple record, found 1 record set(s) with a routing policy',
    );
  });
});

describe('readiness: the re-protect registry', () => {
  const rec = (generation: number, members: DatastoreRecord['members']): DatastoreRecord => ({
    generation,
    globalReplicationGroupId: `ldgnf-gloo-mgmt-g${generation}`,
    members,
    recordedAt: '2026-11-20T03:00:00.000Z',
    recordedBy: 'arn:aws:states:us-west-2:111122223333:execution:reprotect:r1',
  });
  const both = {
    'us-east-1': {
      endpoint: 'master.new-east.use1.cache.amazonaws.com:6379',
      replicationGroupId: 'new-east',
    },
    'us-west-2': {
      endpoint: 'master.gloo-mgmt-west.def456.usw2.cache.amazonaws.com:6379',
      replicationGroupId: 'gloo-mgmt-west',
    },
  };
  const registry = (r: DatastoreRecord | null) => ({ read: async () => r, write: async () => {} });

  it('is consistent with no record anywhere, and with the same whole record in both regions', async () => {
    const none = await reprotectRegistryCheck(t, 'us-west-2', {
      datastores: registry(null),
      peerDatastores: { region: 'us-east-1', registry: registry(null) },
    });
    expect(none).toEqual({
      ok: true,
      reason: "no re-protection recorded (nor in us-east-1): the topology's Redis is current",
    });
    const same = await reprotectRegistryCheck(t, 'us-west-2', {
      datastores: registry(rec(2, both)),
      peerDatastores: { region: 'us-east-1', registry: registry(rec(2, both)) },
    });
    expect(same.ok).toBe(true);
    expect(same.reason).toContain('generation 2 (ldgnf-gloo-mgmt-g2)');
  });

  it('fails naming both generations when a re-protection wrote only one region', async () => {
    const r = await reprotectRegistryCheck(t, 'us-west-2', {
      datastores: registry(rec(2, both)),
      peerDatastores: { region: 'us-east-1', registry: registry(null) },
    });
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(
      /^us-west-2 has generation 2 .* but us-east-1 has no record: a re-protection did not finish/,
    );
  });

  it("does not fail when the peer region's copy cannot be read (its region out): it says so", async () => {
    const r = await reprotectRegistryCheck(t, 'us-west-2', {
      datastores: registry(rec(2, both)),
      peerDatastores: {
        region: 'us-east-1',
        registry: {
          read: async () => Promise.reject(new Error('ssm:GetParameter timed out')),
          write: async () => {},
        },
      },
    });
    expect(r.ok).toBe(true);
    expect(r.reason).toMatch(
      /members in us-east-1, us-west-2; us-east-1's copy not read \(ssm:GetParameter timed out\)$/,
    );
  });

  it('fails naming the region a record has no member in', async () => {
    const r = await reprotectRegistryCheck(t, 'us-west-2', {
      datastores: registry(rec(3, { 'us-west-2': both['us-west-2'] })),
    });
    expect(r.ok).toBe(false);
    expect(r.reason).toContain('names no Redis member in us-east-1: a failover there would find no Redis');
  });
});
