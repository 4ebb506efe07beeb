/**
 * MetricHealthCheckSwitch and Route53HealthCheckMetrics against the CloudWatch API shapes
 * (PutMetricData, DescribeAlarms, GetMetricData). Route 53 API reference, HealthCheckConfig.Type
 * CLOUDWATCH_METRIC: alarm OK = healthy, ALARM = unhealthy, insufficient data =
 * InsufficientDataHealthStatus. "Monitoring health checks using CloudWatch": health-check metrics
 * (AWS/Route53 HealthCheckPercentageHealthy) are in us-east-1.
 */
import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  PutMetricDataCommand,
} from '@aws-sdk/client-cloudwatch';
import { type AwsStub, mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { MetricHealthCheckSwitch } from '#lib/aws/health-check-metric.ts';
import { Route53HealthCheckMetrics } from '#lib/aws/route53-health-metrics.ts';
import type { Region } from '#lib/topology.ts';

// biome-ignore lint/suspicious/noExplicitAny: aws-sdk-client-mock's stub type parameters
type Stub = AwsStub<any, any, any>;
let stubs: Stub[] = [];
afterEach(() => {
  for (const s of stubs) s.restore();
  stubs = [];
});

const EAST_ALARM = 'gloo-mgmt-east-out'; // lives in us-west-2
const WEST_ALARM = 'gloo-mgmt-west-out'; // lives in us-east-1

function world(alarms: { east: string; west: string }, downRegions: Region[] = []) {
  const clients: Record<string, { client: CloudWatchClient; stub: Stub }> = {};
  for (const region of ['us-east-1', 'us-west-2'] as const) {
    const client = new CloudWatchClient({ region });
    const stub = mockClient(client);
    stubs.push(stub);
    if (downRegions.includes(region))
      stub.onAnyCommand().rejects(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    else {
      const name = region === 'us-west-2' ? EAST_ALARM : WEST_ALARM;
      const state = region === 'us-west-2' ? alarms.east : alarms.west;
      stub
        .on(DescribeAlarmsCommand)
        .resolves({ MetricAlarms: [{ AlarmName: name, StateValue: state as 'OK' }] });
      stub.on(PutMetricDataCommand).resolves({});
    }
    clients[region] = { client, stub };
  }
  const sw = new MetricHealthCheckSwitch({
    namespace: 'GlooFailover/Dns',
    metricName: 'OutOfService',
    alarms: {
      'mgmt-east': { alarmName: EAST_ALARM, region: 'us-west-2' },
      'mgmt-west': { alarmName: WEST_ALARM, region: 'us-east-1' },
    },
    pair: { primary: 'mgmt-east', secondary: 'mgmt-west' },
    cloudWatchFor: (r) => clients[r]!.client,
  });
  return { sw, stub: (r: string) => clients[r]!.stub };
}

const failover = { source: 'mgmt-east', target: 'mgmt-west', dryRun: false, force: false };
const failback = { source: 'mgmt-west', target: 'mgmt-east', dryRun: false, force: false };
const put = (server: string, value: number) => ({
  Namespace: 'GlooFailover/Dns',
  MetricData: [
    {
      MetricName: 'OutOfService',
      Dimensions: [{ Name: 'Server', Value: server }],
      Value: value,
      Unit: 'None' as const,
    },
  ],
});

describe('MetricHealthCheckSwitch', () => {
  it('fails over away from the PRIMARY with us-east-1 down: marks it out in the surviving region; the unreachable clear is a warning', async () => {
    // prepare: us-east-1 (where mgmt-west's alarm lives) does not answer
    const w = world({ east: 'OK', west: 'OK' }, ['us-east-1']);
    // act
    const r = await w.sw.select(failover);
    // assess
    expect(r.outcome).toBe('changed');
    expect(w.stub('us-west-2')).toHaveReceivedCommandExactlyOnceWith(
      PutMetricDataCommand,
      put('mgmt-east', 1),
    );
    expect(r.warnings.join(' ')).toMatch(/could not clear the out-of-service mark of mgmt-west in us-east-1/);
  });

  it('clears the target before marking the source out, so the switch never leaves both records unhealthy', async () => {
    const w = world({ east: 'OK', west: 'OK' });
    const order: string[] = [];
    for (const r of ['us-east-1', 'us-west-2'])
      w.stub(r)
        .on(PutMetricDataCommand)
        .callsFake((input) => {
          order.push(`${input.MetricData[0].Dimensions[0].Value}=${input.MetricData[0].Value}`);
          return {};
        });
    await w.sw.select(failover);
    expect(order).toEqual(['mgmt-west=0', 'mgmt-east=1']);
  });

  it('fails back to the PRIMARY by clearing its mark only: the SECONDARY is never marked out', async () => {
    const w = world({ east: 'ALARM', west: 'OK' });
    const r = await w.sw.select(failback);
    expect(r.outcome).toBe('changed');
    expect(w.stub('us-west-2')).toHaveReceivedCommandExactlyOnceWith(
      PutMetricDataCommand,
      put('mgmt-east', 0),
    );
    expect(w.stub('us-east-1')).not.toHaveReceivedCommand(PutMetricDataCommand);
  });

  it('refuses (TransientError) when the mark in the surviving region cannot be published', async () => {
    const w = world({ east: 'OK', west: 'OK' }, ['us-west-2']);
    const err = await w.sw.select(failover).catch((e) => e);
    expect(err.name).toBe('TransientError');
  });

  it('reads what Route 53 answers: the PRIMARY in ALARM means the SECONDARY; an unreadable alarm counts as healthy', async () => {
    expect((await world({ east: 'ALARM', west: 'OK' }).sw.state()).selects).toBe('mgmt-west');
    expect((await world({ east: 'OK', west: 'ALARM' }).sw.state()).selects).toBe('mgmt-east');
    expect((await world({ east: 'ALARM', west: 'OK' }, ['us-east-1']).sw.state()).selects).toBe('mgmt-west');
  });

  it('changes nothing when already switched, or in a dry run', async () => {
    const done = world({ east: 'ALARM', west: 'OK' });
    expect((await done.sw.select(failover)).outcome).toBe('already');
    const dry = world({ east: 'OK', west: 'OK' });
    expect((await dry.sw.select({ ...failover, dryRun: true })).outcome).toBe('would-change');
    for (const r of ['us-east-1', 'us-west-2']) {
      expect(done.stub(r)).not.toHaveReceivedCommand(PutMetricDataCommand);
      expect(dry.stub(r)).not.toHaveReceivedCommand(PutMetricDataCommand);
    }
  });
});

describe('Route53HealthCheckMetrics (instead of GetHealthCheckStatus)', () => {
  it('reads the latest HealthCheckPercentageHealthy of the health check, as healthy per 100 checkers', async () => {
    const client = new CloudWatchClient({ region: 'us-east-1' });
    const stub = mockClient(client);
    stubs.push(stub);
    stub.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'healthy', Values: [12.5, 100] }] });
    const m = new Route53HealthCheckMetrics(client, { now: () => Date.parse('2026-11-29T15:00:00Z') });
    expect(await m.observations('3f1d2c4b-5a6e-4f70-8a9b-0c1d2e3f4a5b')).toEqual({ healthy: 13, total: 100 });
    const q = stub.commandCalls(GetMetricDataCommand)[0]!.args[0].input;
    expect(q.MetricDataQueries?.[0]?.MetricStat?.Metric).toEqual({
      Namespace: 'AWS/Route53',
      MetricName: 'HealthCheckPercentageHealthy',
      Dimensions: [{ Name: 'HealthCheckId', Value: '3f1d2c4b-5a6e-4f70-8a9b-0c1d2e3f4a5b' }],
    });
  });

  it('reports no observation when there is no datapoint (the signal abstains), and a throttle as TransientError', async () => {
    const client = new CloudWatchClient({ region: 'us-east-1' });
    const stub = mockClient(client);
    stubs.push(stub);
    stub.on(GetMetricDataCommand).resolvesOnce({ MetricDataResults: [{ Id: 'healthy', Values: [] }] });
    const m = new Route53HealthCheckMetrics(client);
    expect(await m.observations('3f1d2c4b-5a6e-4f70-8a9b-0c1d2e3f4a5b')).toEqual({ healthy: 0, total: 0 });
    stub.on(GetMetricDataCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));
    const err = await m.observations('3f1d2c4b-5a6e-4f70-8a9b-0c1d2e3f4a5b').catch((e) => e);
    expect(err.name).toBe('TransientError');
  });
});
