import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadTopology, lockSettings, parseTopology } from '#lib/topology.ts';
import { issuesOf } from '#test/support/topology.ts';

const example = () => JSON.parse(readFileSync('infra/topology.example.json', 'utf8'));

describe('topology', () => {
  it('accepts the example file and applies defaults', () => {
    const t = loadTopology('infra/topology.example.json');
    expect(t.servers.map((s) => s.id)).toEqual(['mgmt-east', 'mgmt-west']);
    expect(t.configMode).toBe('write-to-all');
    expect(t.lock).toEqual({ adapter: 'none' });
    expect(lockSettings(t)).toBeNull();
    expect(t.reconnection.minFraction).toBe(1);
  });

  it('defaults data-layer fencing of replicaof Redis to min-replicas-to-write 1 with a 10 s lag bound, and names a bad bound', () => {
    // prepare
    const doc = example();
    doc.redis = {
      kind: 'replicaof',
      members: {
        'us-east-1': { endpoint: '10.0.0.1:6379' },
        'us-west-2': { endpoint: '10.1.0.1:6379' },
      },
    };
    // act
    const t = parseTopology(doc);
    // assess
    expect(t.redis).toMatchObject({ minReplicasToWrite: 1, minReplicasMaxLagSeconds: 10 });
    expect(issuesOf({ ...doc, redis: { ...doc.redis, minReplicasMaxLagSeconds: 0 } })).toEqual([
      { path: 'redis.minReplicasMaxLagSeconds', message: 'Too small: expected number to be >=1' },
    ]);
    expect(issuesOf({ ...doc, redis: { ...doc.redis, minReplicasToWrite: 2 } })).toEqual([
      expect.objectContaining({ path: 'redis.minReplicasToWrite' }),
    ]);
  });

  it('names every bad field at once: missing, wrong type, unknown region, duplicate server id, bad URL', () => {
    const doc = example();
    delete doc.name;
    doc.dns.ttl = '30';
    doc.servers[0].region = 'us-moon-1';
    doc.servers[1].id = 'mgmt-east';
    doc.servers[0].metrics.headlessServiceUrl = 'mgmt-east:9091/metrics';
    const issues = issuesOf(doc);
    const paths = issues.map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'name',
        'dns.ttl',
        'servers[0].region',
        'servers[1].id',
        'servers[0].metrics.headlessServiceUrl',
      ]),
    );
    expect(issues.find((i) => i.path === 'name')?.message).toMatch(/missing: expected string/);
    expect(issues.find((i) => i.path === 'dns.ttl')?.message).toMatch(/expected number/);
    expect(issues.find((i) => i.path === 'servers[0].region')?.message).toMatch(/us-moon-1/);
    expect(issues.find((i) => i.path === 'servers[1].id')?.message).toMatch(
      /duplicate server id "mgmt-east"/,
    );
    expect(issues.find((i) => i.path === 'servers[0].metrics.headlessServiceUrl')?.message).toMatch(
      /http\(s\) URL/,
    );
  });

  it('accepts two servers that share one Gloo cluster name (the vendor demo: common.cluster identical on both)', () => {
    // prepare: bdlilley/multi-region-demo sets `common.cluster: mgmt-cluster` on both management clusters
    const doc = example();
    doc.servers[0].glooClusterName = 'mgmt-cluster';
    doc.servers[1].glooClusterName = 'mgmt-cluster';
    // act
    const t = parseTopology(doc);
    // assess: our ids stay distinct, Gloo's name is shared
    expect(t.servers.map((s) => [s.id, s.glooClusterName])).toEqual([
      ['mgmt-east', 'mgmt-cluster'],
      ['mgmt-west', 'mgmt-cluster'],
    ]);
  });

  it('defaults glooClusterName to the server id', () => {
    const doc = example();
    delete doc.servers[0].glooClusterName;
    expect(parseTopology(doc).servers[0]!.glooClusterName).toBe('mgmt-east');
  });

  it('keeps a topology written before server ids working: cluster -> id and glooClusterName, homeCluster -> homeServer', () => {
    // prepare: the first release's shape
    const doc = example();
    doc.homeCluster = doc.homeServer;
    delete doc.homeServer;
    for (const s of doc.servers) {
      s.cluster = s.id;
      delete s.id;
      delete s.glooClusterName;
    }
    // act
    const t = parseTopology(doc);
    // assess
    expect(t.homeServer).toBe('mgmt-east');
    expect(t.servers.map((s) => [s.id, s.glooClusterName])).toEqual([
      ['mgmt-east', 'mgmt-east'],
      ['mgmt-west', 'mgmt-west'],
    ]);
  });

  it('refuses a server that mixes the old cluster field with the new id, naming it', () => {
    const doc = example();
    doc.servers[1].cluster = 'mgmt-west';
    expect(issuesOf(doc).map((i) => i.path)).toContain('servers[1]');
  });

  it('rejects references that do not line up across sections', () => {
    const doc = example();
    doc.homeServer = 'mgmt-north';
    doc.dns.values['mgmt-north'] = 'x.example.com';
    delete doc.redis.members['us-west-2'];
    doc.approvals.slack = undefined;
    const paths = issuesOf(doc).map((i) => `${i.path}: ${i.message}`);
    expect(paths).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^homeServer: expected one of the server ids mgmt-east, mgmt-west/),
        expect.stringMatching(/^dns\.values\.mgmt-north: unknown server id/),
        expect.stringMatching(/^redis\.members: missing the Redis member for region us-west-2/),
        expect.stringMatching(/^approvals\.slack: required/),
      ]),
    );
  });

  it('rejects unknown fields, a lock value template without a placeholder, and a bad redis kind', () => {
    const doc = example();
    doc.servers[0].relayPort = 9900;
    doc.configMode = 'write-to-one';
    doc.lock = { adapter: 'redis-key', valueFormat: 'active' };
    const paths = issuesOf(doc).map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['servers[0]', 'lock.valueFormat']));
    const doc2 = example();
    doc2.redis.kind = 'memcached';
    expect(issuesOf(doc2)[0]?.message).toMatch(/elasticache-global|replicaof/);
  });

  it('fails clearly on a file that is missing or not JSON', () => {
    expect(() => loadTopology('/nonexistent/topology.json')).toThrow(/cannot read topology file/);
    expect(() => loadTopology('package-lock.json.nope')).toThrow(/cannot read/);
  });

  it('keeps a first-release server working: metricsUrl becomes a scrape of that one target, healthUrl an HTTP check accepting any 2xx', () => {
    // prepare
    const doc = example();
    for (const s of doc.servers) {
      delete s.metrics;
      delete s.health;
      s.metricsUrl = `http://${s.id}.example.com:9091/metrics`;
      s.healthUrl = `http://${s.id}.example.com:8090/health`;
    }
    // act
    const t = parseTopology(doc);
    // assess
    expect(t.servers[0]!.metrics).toEqual({
      source: 'scrape',
      urls: ['http://mgmt-east.example.com:9091/metrics'],
      maxPageBytes: 16_777_216,
    });
    expect(t.servers[0]!.health).toEqual({
      kind: 'http',
      url: 'http://mgmt-east.example.com:8090/health',
      expectStatus: ['2xx'],
    });
  });

  it('refuses Prometheus selectors that could inject PromQL, the agent label "cluster", and ambiguous scrape targets', () => {
    // prepare
    const doc = example();
    doc.servers[1].metrics.selector = { job: 'x"} or vector(1) #', cluster: 'mgmt-west' };
    doc.servers[0].metrics.urls = ['http://10.0.0.1:9091/metrics'];
    // act
    const issues = issuesOf(doc);
    // assess
    expect(issues.find((i) => i.path === 'servers[1].metrics.selector.job')?.message).toMatch(
      /no quotes, backslashes or braces/,
    );
    expect(issues.find((i) => i.path === 'servers[1].metrics.selector')?.message).toMatch(
      /"cluster" is the agent label/,
    );
    expect(issues.find((i) => i.path === 'servers[0].metrics')?.message).toMatch(/exactly one of "urls"/);
  });

  it('accepts a TCP-only health check and expected HTTP codes or classes; refuses a bad one', () => {
    const doc = example();
    doc.servers[0].health = { kind: 'tcp' };
    doc.servers[1].health.expectStatus = [200, '3xx'];
    const t = parseTopology(doc);
    expect(t.servers[0]!.health).toEqual({ kind: 'tcp' });
    doc.servers[1].health.expectStatus = [99];
    expect(issuesOf(doc).map((i) => i.path)).toContain('servers[1].health.expectStatus[0]');
  });
});
