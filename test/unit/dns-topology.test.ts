/**
 * The DNS switch in the topology: the vendor demo's failover alias pair is accepted (Route 53 API
 * reference, ListResourceRecordSets: `SetIdentifier`, `Failover`, `HealthCheckId`, `AliasTarget`),
 * and bad input is refused naming the field. Also the projected DNS time per mode.
 */
import { readFileSync } from 'node:fs';
import type { ResourceRecordSet } from '@aws-sdk/client-route-53';
import type { Route53RecoveryClusterClient } from '@aws-sdk/client-route53-recovery-cluster';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { failoverPairFromRecordSets } from '#lib/dns/failover-pair.ts';
import { arcControlsFromEnv, arcRoutingControlEnvName, dnsSwitchFor } from '#lib/dns/from-topology.ts';
import { dnsRtoBasis, dnsRtoByMode, failoverAnswer } from '#lib/dns-modes.ts';
import { loadTopology, parseTopology } from '#lib/topology.ts';
import { issuesOf } from '#test/support/topology.ts';

const FILE = 'infra/topology.failover-alias.example.json';
const doc = () => JSON.parse(readFileSync(FILE, 'utf8'));
const vendor = JSON.parse(readFileSync('test/fixtures/route53-failover-alias-pair.json', 'utf8')) as {
  ResourceRecordSets: ResourceRecordSet[];
};

describe('the vendor demo’s failover alias pair', () => {
  it('is read from ListResourceRecordSets into the topology’s failover pair and values, mapped to servers by the NLB region', () => {
    // prepare
    const t = loadTopology(FILE);
    // act
    const pair = failoverPairFromRecordSets(
      vendor.ResourceRecordSets,
      'mgmt.ha-demo.example',
      'A',
      t.servers,
    );
    // assess
    expect(pair.failover.primary).toMatchObject({
      server: 'mgmt-east',
      setIdentifier: 'mgmt-east-primary',
      healthCheckId: '0f3e1d2c-4b5a-4697-8877-665544332211',
      alias: { hostedZoneId: 'Z26RNL4JYFTOTI', evaluateTargetHealth: true },
    });
    expect(pair.failover.secondary.server).toBe('mgmt-west');
    const d = doc();
    d.dns.failover = pair.failover;
    d.dns.values = pair.values;
    expect(parseTopology(d).dns.failover?.secondary.setIdentifier).toBe('mgmt-west-secondary');
  });

  it('is accepted as a topology in each data-plane mode', () => {
    const t = loadTopology(FILE);
    expect(t.dns.switch.mode).toBe('arc-routing-control');
    const d = doc();
    d.dns.switch = {
      mode: 'health-check-metric',
      alarms: {
        'mgmt-east': {
          alarmName: 'gloo-mgmt-east-out',
          region: 'us-west-2',
          healthCheckId: '0f3e1d2c-4b5a-4697-8877-665544332211',
        },
        'mgmt-west': {
          alarmName: 'gloo-mgmt-west-out',
          region: 'us-east-1',
          healthCheckId: '1a2b3c4d-5e6f-4a0b-9c8d-7e6f5a4b3c2d',
        },
      },
    };
    expect(parseTopology(d).dns.switch.mode).toBe('health-check-metric');
  });

  it('refuses a record set that lacks its SECONDARY', () => {
    const only = vendor.ResourceRecordSets.filter((r) => r.Failover === 'PRIMARY');
    expect(() =>
      failoverPairFromRecordSets(only, 'mgmt.ha-demo.example', 'A', loadTopology(FILE).servers),
    ).toThrow(/exactly one SECONDARY failover record, found 0/);
  });
});

describe('bad DNS switch input is refused, naming the field', () => {
  it('a failover pair missing its secondary', () => {
    const d = doc();
    delete d.dns.failover.secondary;
    expect(issuesOf(d)).toContainEqual(expect.objectContaining({ path: 'dns.failover.secondary' }));
  });

  it('a data-plane mode without a failover pair', () => {
    const d = doc();
    delete d.dns.failover;
    expect(issuesOf(d)).toContainEqual({
      path: 'dns.failover',
      message: expect.stringMatching(/required when dns.switch.mode is "arc-routing-control"/),
    });
  });

  it('a record health check id that does not exist in the topology', () => {
    const d = doc();
    d.dns.failover.primary.healthCheckId = 'deadbeef-0000-4000-8000-000000000000';
    expect(issuesOf(d)).toContainEqual({
      path: 'dns.failover.primary.healthCheckId',
      message: expect.stringMatching(
        /deadbeef-.* is not in the topology: expected dns\.switch\.routingControls\.mgmt-east\.healthCheckId/,
      ),
    });
  });

  it('a routing control ARN from another cluster’s control panel', () => {
    const d = doc();
    d.dns.switch.routingControls['mgmt-west'].arn =
      'arn:aws:route53-recovery-control::111122223333:controlpanel/ffffffffffffffffffffffffffffffff/routingcontrol/other';
    expect(issuesOf(d)).toContainEqual({
      path: 'dns.switch.routingControls.mgmt-west.arn',
      message: expect.stringMatching(/another control panel or cluster/),
    });
  });

  it('a control panel of another account than the cluster', () => {
    const d = doc();
    d.dns.switch.clusterArn = 'arn:aws:route53-recovery-control::444455556666:cluster/0a1b2c3d';
    expect(issuesOf(d)).toContainEqual(expect.objectContaining({ path: 'dns.switch.controlPanelArn' }));
  });

  it('an out-of-service alarm in the server’s own region (it must live where the takeover runs)', () => {
    const d = doc();
    d.dns.switch = {
      mode: 'health-check-metric',
      alarms: {
        'mgmt-east': {
          alarmName: 'a',
          region: 'us-east-1',
          healthCheckId: '0f3e1d2c-4b5a-4697-8877-665544332211',
        },
        'mgmt-west': {
          alarmName: 'b',
          region: 'us-east-1',
          healthCheckId: '1a2b3c4d-5e6f-4a0b-9c8d-7e6f5a4b3c2d',
        },
      },
    };
    expect(issuesOf(d)).toContainEqual({
      path: 'dns.switch.alarms.mgmt-east.region',
      message: expect.stringMatching(/expected us-west-2/),
    });
  });

  it('a failover pair with the route53-record mode, and an unknown mode', () => {
    const d = doc();
    d.dns.switch = { mode: 'route53-record' };
    expect(issuesOf(d)).toContainEqual(expect.objectContaining({ path: 'dns.failover' }));
    d.dns.switch = { mode: 'dns-magic' };
    expect(issuesOf(d).map((i) => i.path)).toContain('dns.switch.mode');
  });
});

describe('Route 53 failover answers and the projected DNS time', () => {
  it('answers the healthy PRIMARY, else the healthy SECONDARY, else the PRIMARY (all unhealthy = all healthy)', () => {
    const pair = { primary: 'a', secondary: 'b' };
    expect(failoverAnswer(pair, () => true)).toBe('a');
    expect(failoverAnswer(pair, (s) => s === 'b')).toBe('b');
    expect(failoverAnswer(pair, () => false)).toBe('a');
  });

  it('projects INSYNC + TTL for route53-record and interval x threshold + TTL for the data-plane modes (alias records to an ELB: 60 s, Route 53 FAQ)', () => {
    const t = loadTopology(FILE);
    const rows = Object.fromEntries(dnsRtoByMode(t).map((r) => [r.mode, r]));
    // route53-record changes a simple record: its own TTL (dns.ttl = 30)
    expect(rows['route53-record']).toMatchObject({ basis: 'INSYNC + TTL', seconds: 60 + 30 });
    // the data-plane modes answer from the failover alias pair to NLBs: the ELB's fixed 60 s TTL
    expect(rows['arc-routing-control']).toMatchObject({
      basis: 'health-check interval x failure threshold + TTL',
      seconds: 10 * 1 + 60,
    });
    expect(rows['health-check-metric']).toMatchObject({ seconds: 60 * 1 + 60 });
    expect(dnsRtoBasis(t).mode).toBe('arc-routing-control');
  });

  it('keeps dns.ttl for a failover pair of plain records', () => {
    const d = doc();
    for (const r of [d.dns.failover.primary, d.dns.failover.secondary]) delete r.alias;
    const t = parseTopology(d, FILE);
    expect(dnsRtoBasis(t, 'arc-routing-control')).toMatchObject({ seconds: 10 * 1 + 30 });
  });
});

describe('a topology with dns.create, as the deployed functions read it', () => {
  const CREATE_FILE = 'infra/topology.dns-create.example.json';
  const PANEL =
    'arn:aws:route53-recovery-control::111122223333:controlpanel/0123456789abcdef0123456789abcdef';
  afterEach(() => vi.unstubAllEnvs());

  it('takes the routing controls the deployment created from their environment variables', async () => {
    // prepare: the variables the CDK DNS switch sets (one per control, the whole value resolved by CloudFormation)
    const t = loadTopology(CREATE_FILE);
    vi.stubEnv(arcRoutingControlEnvName('mgmt-east'), `${PANEL}/routingcontrol/east`);
    vi.stubEnv(arcRoutingControlEnvName('mgmt-west'), `${PANEL}/routingcontrol/west`);
    const asked: string[] = [];
    const client = {
      send: async (c: { input: { RoutingControlArn: string } }) => {
        asked.push(c.input.RoutingControlArn);
        return { RoutingControlState: c.input.RoutingControlArn.endsWith('east') ? 'On' : 'Off' };
      },
    } as unknown as Route53RecoveryClusterClient;
    // act
    const sw = dnsSwitchFor(t, {
      pointer: () => {
        throw new Error('not the record mode');
      },
      cloudWatchFor: () => {
        throw new Error('not the metric mode');
      },
      arcEndpoints: [{ region: 'us-west-2', endpoint: 'https://host-a.us-west-2.example.com/v1' }],
      arcControls: arcControlsFromEnv(t),
      arcClientFor: () => client,
    });
    const state = await sw.state();
    // assess
    expect(arcRoutingControlEnvName('mgmt-east')).toBe('ARC_ROUTING_CONTROL_MGMT_EAST');
    expect(asked).toEqual([`${PANEL}/routingcontrol/east`, `${PANEL}/routingcontrol/west`]);
    expect(state.selects).toBe('mgmt-east');
  });

  it('refuses, naming the field and the variable, when a routing control is neither in the topology nor in the environment', () => {
    const t = loadTopology(CREATE_FILE);
    expect(() =>
      dnsSwitchFor(t, {
        pointer: () => {
          throw new Error('unused');
        },
        cloudWatchFor: () => {
          throw new Error('unused');
        },
        arcEndpoints: [{ region: 'us-west-2', endpoint: 'https://host-a.us-west-2.example.com/v1' }],
        arcControls: arcControlsFromEnv(t),
      }),
    ).toThrow(
      /dns\.switch\.routingControls\.mgmt-east\.arn: neither in the topology nor created at deploy \(ARC_ROUTING_CONTROL_MGMT_EAST\)/,
    );
  });
});
