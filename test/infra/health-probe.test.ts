import '#local/quiet.ts';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server as TcpServer } from 'node:net';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CloudWatchMetricPublisher } from '#functions/health-probe/cloudwatch-publisher.ts';
import { buildHealthProbeHandler, settingsFromEnv } from '#functions/health-probe/handler.ts';
import {
  type HealthProbeDeps,
  type MetricPublisher,
  type ProbeDatum,
  runHealthProbe,
} from '#functions/health-probe/health-probe.ts';
import { DynamoClusterRegistry } from '#lib/aws/dynamo-cluster-registry.ts';
import { ManualClock } from '#lib/clock.ts';
import type { AgentMetrics } from '#lib/metrics/reading.ts';
import { ScrapeAgentMetrics } from '#lib/metrics/scrape.ts';
import type { ClusterRegistry } from '#lib/ports.ts';
import { netProbes } from '#lib/probes.ts';
import { parseRelayMetrics } from '#lib/relay-metrics.ts';
import { loadTopology, parseTopology, type Topology } from '#lib/topology.ts';
import { localLambdaContext } from '#local/slack-standin.ts';

const topology = loadTopology('infra/topology.example.json');
const page = readFileSync(new URL('../fixtures/gloo-mgmt-server-metrics.txt', import.meta.url), 'utf8');
/** Agent gauges from one page per server (one replica each, all answering); a missing page: no answer. */
function pagesBy(pages: Record<string, string>): AgentMetrics {
  return {
    read: async (server) => {
      const p = pages[server.id];
      if (p === undefined) throw new Error(`no replica of ${server.id} answered: connect ECONNREFUSED`);
      return {
        source: 'scrape',
        clusters: parseRelayMetrics(p).clusters,
        replicas: [{ name: `${server.id}-0`, ok: true, detail: 'scraped' }],
        complete: true,
        rejected: [],
        rejectedCount: 0,
      };
    },
  };
}
const settings = { probeRegion: 'us-west-2', samples: 3, intervalMs: 10_000, timeoutMs: 2_000 };

/** A registry and publisher that remember what they were given. */
function recorders() {
  const published: ProbeDatum[][] = [];
  const recorded: { cluster: string; clusters: string[]; at: string }[] = [];
  const registry: ClusterRegistry = {
    lastSeen: async () => null,
    record: async (cluster, clusters, at) => void recorded.push({ cluster, clusters, at }),
    saveRunSet: async () => {},
    runSet: async () => null,
  };
  return {
    published,
    recorded,
    registry,
    publisher: {
      publish: async (d: ProbeDatum[]) => {
        published.push(d);
      },
    } as MetricPublisher,
  };
}

/** mgmt-east answers (relay up, the fixture page); mgmt-west refuses both. */
function fakeDeps(
  clock: ManualClock,
  extra: Partial<HealthProbeDeps> = {},
): HealthProbeDeps & ReturnType<typeof recorders> {
  const r = recorders();
  return {
    ...r,
    clock,
    probes: {
      tcpConnect: async (hostPort) =>
        hostPort.startsWith('mgmt-east')
          ? { ok: true, detail: 'connected', latencyMs: 3 }
          : { ok: false, detail: 'ECONNREFUSED', latencyMs: 1 },
      httpGet: async () => ({ ok: false, detail: 'unused', latencyMs: 0 }),
    },
    agentMetrics: pagesBy({ 'mgmt-east': page }),
    ...extra,
  };
}

/** The example topology with self-managed Redis (`replicaof`) in both regions. */
function selfManagedTopology() {
  return parseTopology({
    ...JSON.parse(readFileSync('infra/topology.example.json', 'utf8')),
    redis: {
      kind: 'replicaof',
      members: {
        'us-east-1': { endpoint: 'redis-east.internal:6379' },
        'us-west-2': { endpoint: 'redis-west.internal:6379' },
      },
    },
  });
}

describe('health probe', () => {
  it('publishes relay reachability and connected agents per server for every sample, 10 s apart', async () => {
    const clock = new ManualClock();
    const start = clock.now();
    const deps = fakeDeps(clock);
    const report = await runHealthProbe(topology, settings, deps);
    expect(report.samples.map((s) => Date.parse(s.at) - start)).toEqual([0, 10_000, 20_000]);
    expect(deps.published).toHaveLength(3);
    expect(deps.published[1]).toEqual([
      {
        metric: 'RelayReachable',
        cluster: 'mgmt-east',
        probeRegion: 'us-west-2',
        value: 1,
        at: start + 10_000,
      },
      {
        metric: 'AgentsConnected',
        cluster: 'mgmt-east',
        probeRegion: 'us-west-2',
        value: 3,
        at: start + 10_000,
      },
      // No page from mgmt-west: no AgentsConnected datapoint (missing, not zero).
      {
        metric: 'RelayReachable',
        cluster: 'mgmt-west',
        probeRegion: 'us-west-2',
        value: 0,
        at: start + 10_000,
      },
    ]);
    expect(report.samples[0]!.servers[1]!.metricsError).toMatch(/ECONNREFUSED/);
  });

  it('records the clusters connected to each server once per run, never an empty set', async () => {
    const clock = new ManualClock();
    const deps = fakeDeps(clock);
    await runHealthProbe(topology, settings, deps);
    expect(deps.recorded).toEqual([
      {
        cluster: 'mgmt-east',
        clusters: ['workload-1', 'workload-2', 'workload-3'],
        at: new Date(clock.now()).toISOString(),
      },
    ]);
    const empty = fakeDeps(new ManualClock(), {
      agentMetrics: pagesBy({ 'mgmt-east': '# no relay clients\n', 'mgmt-west': '# no relay clients\n' }),
    });
    await runHealthProbe(topology, settings, empty);
    expect(empty.recorded).toEqual([]);
    expect(empty.published[0]!.filter((d) => d.metric === 'AgentsConnected').map((d) => d.value)).toEqual([
      0, 0,
    ]);
  });

  it('stops sampling early instead of running past the invocation deadline', async () => {
    const clock = new ManualClock();
    const deadline = clock.now() + 22_000;
    const deps = fakeDeps(clock, { remainingMs: () => deadline - clock.now() });
    const report = await runHealthProbe(topology, { ...settings, samples: 6 }, deps);
    expect(report.samples).toHaveLength(2);
    expect(deps.recorded).toHaveLength(1);
  });

  it('keeps probing when CloudWatch refuses a sample, and says so', async () => {
    const deps = fakeDeps(new ManualClock());
    let calls = 0;
    deps.publisher = {
      publish: async () => {
        if (calls++ === 0) throw new Error('Throttling');
      },
    };
    const report = await runHealthProbe(topology, settings, deps);
    expect(report.samples).toHaveLength(3);
    expect(report.publishErrors).toEqual(['Throttling']);
  });

  describe('over real loopback sockets', () => {
    let relay: TcpServer;
    let metrics: HttpServer;
    let t: Topology;
    beforeAll(async () => {
      relay = createServer((s) => s.end());
      metrics = createHttpServer((_, res) => res.end(page));
      await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
      await new Promise<void>((r) => metrics.listen(0, '127.0.0.1', r));
      const relayPort = (relay.address() as { port: number }).port;
      const metricsPort = (metrics.address() as { port: number }).port;
      // A closed port for the other server: listen, note the port, close.
      const closed = createServer();
      await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
      const closedPort = (closed.address() as { port: number }).port;
      await new Promise<void>((r) => closed.close(() => r()));
      t = structuredClone(topology);
      t.servers[0]!.relayAddress = `127.0.0.1:${relayPort}`;
      t.servers[0]!.metrics = {
        source: 'scrape',
        urls: [`http://127.0.0.1:${metricsPort}/metrics`],
        maxPageBytes: 16_777_216,
      };
      t.servers[1]!.relayAddress = `127.0.0.1:${closedPort}`;
      t.servers[1]!.metrics = {
        source: 'scrape',
        urls: [`http://127.0.0.1:${closedPort}/metrics`],
        maxPageBytes: 16_777_216,
      };
    });
    afterAll(async () => {
      await new Promise<void>((r) => relay.close(() => r()));
      await new Promise<void>((r) => metrics.close(() => r()));
    });

    it('connects to the relay port and scrapes the metrics page', async () => {
      const r = recorders();
      const report = await runHealthProbe(
        t,
        { ...settings, samples: 1 },
        {
          ...r,
          probes: netProbes,
          agentMetrics: new ScrapeAgentMetrics(),
          clock: new ManualClock(),
        },
      );
      const [east, west] = report.samples[0]!.servers;
      expect(east).toMatchObject({
        relay: { ok: true },
        connectedClusters: ['workload-1', 'workload-2', 'workload-3'],
      });
      expect(west).toMatchObject({ relay: { ok: false, detail: 'ECONNREFUSED' }, connectedClusters: null });
      expect(r.published[0]!.map((d) => `${d.cluster}:${d.metric}=${d.value}`)).toEqual([
        'mgmt-east:RelayReachable=1',
        'mgmt-east:AgentsConnected=3',
        'mgmt-west:RelayReachable=0',
      ]);
    });
  });
});

describe('health probe adapters and handler', () => {
  const cw = mockClient(CloudWatchClient);
  const ddb = mockClient(DynamoDBDocumentClient);
  afterEach(() => {
    cw.reset();
    ddb.reset();
  });

  it('publishes high-resolution metrics with the dimensions the alarms watch', async () => {
    cw.on(PutMetricDataCommand).resolves({});
    const at = Date.parse('2026-11-20T03:12:30Z');
    await new CloudWatchMetricPublisher(new CloudWatchClient({ region: 'us-west-2' })).publish([
      { metric: 'RelayReachable', cluster: 'mgmt-east', probeRegion: 'us-west-2', value: 0, at },
    ]);
    expect(cw).toHaveReceivedCommandWith(PutMetricDataCommand, {
      Namespace: 'GlooFailover/Probes',
      MetricData: [
        {
          MetricName: 'RelayReachable',
          Dimensions: [
            { Name: 'ManagementCluster', Value: 'mgmt-east' },
            { Name: 'ProbeRegion', Value: 'us-west-2' },
          ],
          Timestamp: new Date(at),
          Value: 0,
          Unit: 'Count',
          StorageResolution: 1,
        },
      ],
    });
  });

  it('runs as a Lambda: probes, publishes and records into the clusters table', async () => {
    ddb.on(PutCommand).resolves({});
    const clock = new ManualClock();
    const deps = fakeDeps(clock);
    const handler = buildHealthProbeHandler({
      topology: () => topology,
      settings: { ...settings, samples: 2 },
      fence: async () => ({
        fenced: [{ region: 'us-east-1', from: 'mgmt-east@1', detail: 'lock set to mgmt-west@2' }],
        live: 'us-west-2',
        detail: 'stub',
      }),
      deps: {
        ...deps,
        registry: new DynamoClusterRegistry({
          client: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-west-2' })),
          tableName: 'clusters',
        }),
      },
    });
    const out = await handler(
      { source: 'aws.events', 'detail-type': 'Scheduled Event' },
      localLambdaContext('probe'),
    );
    expect(out).toEqual({
      samples: 2,
      recorded: [{ cluster: 'mgmt-east', clusters: 3 }],
      // the fencing pass runs on every invocation and its result is reported
      fenced: [{ region: 'us-east-1', from: 'mgmt-east@1', detail: 'lock set to mgmt-west@2' }],
    });
    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      TableName: 'clusters',
      Item: {
        pk: 'clusters#mgmt-east',
        clusters: ['workload-1', 'workload-2', 'workload-3'],
        at: new Date(clock.now()).toISOString(),
      },
    });
  });

  it('with self-managed Redis publishes RedisRefusesWrites for the primary: 1 when it refuses writes (data-layer fencing, no replica)', async () => {
    // prepare: us-east-1's member is primary and refuses writes; us-west-2's is gone
    const selfManaged = selfManagedTopology();
    const deps = fakeDeps(new ManualClock());
    const handler = buildHealthProbeHandler({
      topology: () => selfManaged,
      settings: { ...settings, samples: 1 },
      fence: async () => ({ fenced: [], live: null, detail: 'one writable member' }),
      redisState: async () => ({
        primaryRegion: 'us-east-1',
        members: [
          { region: 'us-east-1', role: 'primary', reachable: true, refusesWrites: true },
          { region: 'us-west-2', role: 'unknown', reachable: false },
        ],
      }),
      deps,
    });
    // act
    await handler({ source: 'aws.events', 'detail-type': 'Scheduled Event' }, localLambdaContext('probe'));
    // assess
    expect(deps.published.flat().filter((d) => d.metric === 'RedisRefusesWrites')).toEqual([
      {
        metric: 'RedisRefusesWrites',
        cluster: 'mgmt-east',
        probeRegion: 'us-west-2',
        value: 1,
        at: expect.any(Number),
      },
    ]);
  });

  it('publishes RedisRefusesWrites from the roles its fencing pass read: one describe per invocation', async () => {
    // prepare: the fencing pass (redis-key lock) read the roles; a second read would say otherwise
    const selfManaged = selfManagedTopology();
    const deps = fakeDeps(new ManualClock());
    let describes = 0;
    const handler = buildHealthProbeHandler({
      topology: () => selfManaged,
      settings: { ...settings, samples: 1 },
      fence: async () => ({
        fenced: [],
        live: 'us-west-2',
        detail: 'one writable member: nothing to fence',
        redis: {
          primaryRegion: 'us-west-2',
          members: [
            { region: 'us-east-1', role: 'replica', reachable: true },
            { region: 'us-west-2', role: 'primary', reachable: true, refusesWrites: false },
          ],
        },
      }),
      redisState: async () => {
        describes++;
        throw new Error('the roles were read twice');
      },
      deps,
    });
    // act
    await handler({ source: 'aws.events', 'detail-type': 'Scheduled Event' }, localLambdaContext('probe'));
    // assess
    expect(describes).toBe(0);
    expect(deps.published.flat().filter((d) => d.metric === 'RedisRefusesWrites')).toEqual([
      {
        metric: 'RedisRefusesWrites',
        cluster: 'mgmt-west',
        probeRegion: 'us-west-2',
        value: 0,
        at: expect.any(Number),
      },
    ]);
  });

  it('reads its settings from the environment and refuses nonsense', () => {
    expect(
      settingsFromEnv({
        AWS_REGION: 'us-west-2',
        PROBE_CLUSTERS: 'mgmt-east',
        PROBE_SAMPLES: '12',
        PROBE_INTERVAL_SECONDS: '5',
      }),
    ).toEqual({
      probeRegion: 'us-west-2',
      clusters: ['mgmt-east'],
      samples: 12,
      intervalMs: 5_000,
      timeoutMs: 2_000,
    });
    expect(() => settingsFromEnv({ PROBE_SAMPLES: 'many' })).toThrow(/PROBE_SAMPLES/);
  });
});
