/**
 * The two configuration modes of the vendor's docs (Gloo multicluster management plane, "CI/CD
 * pipeline configuration"): write to all management clusters (recommended, no lock switch) or to
 * one (switch the lock with `meshctl experimental switch-active`, and every management cluster
 * must use the same `common.cluster`). The topology refuses combinations that contradict them.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatLockValue, parseLockValue } from '#lib/redis/lock.ts';
import { lockSettings, meshctlTarget, parseTopology } from '#lib/topology.ts';
import { issuesOf } from '#test/support/topology.ts';

const example = () => JSON.parse(readFileSync('infra/topology.example.json', 'utf8'));
const writeToOne = () => JSON.parse(readFileSync('infra/topology.write-to-one.example.json', 'utf8'));

const lines = (doc: unknown) => issuesOf(doc).map((i) => `${i.path}: ${i.message}`);

describe('configuration modes', () => {
  it('accepts the vendor demo shape: one common.cluster on both servers, each on its own region member, write-to-all', () => {
    // prepare: bdlilley/multi-region-demo: common.cluster "mgmt-cluster" on both, redis.address = own region's member
    const doc = example();
    // act
    const t = parseTopology(doc);
    // assess
    expect(t.configMode).toBe('write-to-all');
    expect(t.lock.adapter).toBe('none');
    expect(new Set(t.servers.map((s) => s.glooClusterName))).toEqual(new Set(['mgmt-cluster']));
  });

  it('defaults to write-to-all, the vendor recommendation, when configMode is omitted', () => {
    const doc = example();
    delete doc.configMode;
    expect(parseTopology(doc).configMode).toBe('write-to-all');
  });

  it('refuses an unknown mode, naming configMode', () => {
    const doc = example();
    doc.configMode = 'write-to-some';
    expect(lines(doc)).toContainEqual(
      expect.stringMatching(/^configMode: expected "write-to-all" or "write-to-one", got "write-to-some"/),
    );
  });

  it('refuses a lock adapter in write-to-all mode, naming lock.adapter', () => {
    const doc = example();
    doc.lock = { adapter: 'redis-key' };
    expect(lines(doc)).toContainEqual(
      expect.stringMatching(/^lock\.adapter: "redis-key" is not allowed in write-to-all mode/),
    );
  });

  it('refuses write-to-one without a lock adapter, naming lock', () => {
    const doc = example();
    doc.configMode = 'write-to-one';
    expect(lines(doc)).toContainEqual(expect.stringMatching(/^lock: write-to-one mode needs a lock adapter/));
  });

  it('refuses an unknown lock adapter, naming lock.adapter', () => {
    const doc = writeToOne();
    doc.lock = { adapter: 'zookeeper' };
    expect(lines(doc)).toContainEqual(
      expect.stringMatching(/^lock\.adapter: expected lock\.adapter "none", "redis-key" or "meshctl"/),
    );
  });

  it('refuses write-to-one when the servers have different common.cluster names (the vendor requires the same)', () => {
    const doc = writeToOne();
    doc.servers[1].glooClusterName = 'mgmt-west';
    expect(lines(doc)).toContainEqual(
      expect.stringMatching(
        /^servers\[1\]\.glooClusterName: write-to-one mode needs the same glooClusterName/,
      ),
    );
  });

  it('refuses meshctl settings that are missing, naming the server and the field', () => {
    const doc = writeToOne();
    delete doc.lock.servers['mgmt-west'];
    doc.lock.servers['mgmt-east'] = {};
    const l = lines(doc);
    expect(l).toContainEqual(
      expect.stringMatching(/^lock\.servers\.mgmt-west: missing the meshctl settings of server mgmt-west/),
    );
    expect(l).toContainEqual(expect.stringMatching(/^lock\.servers\.mgmt-east\.kubeContext: missing/));
    const noServers = writeToOne();
    delete noServers.lock.servers;
    expect(lines(noServers)).toContainEqual(expect.stringMatching(/^lock\.servers: missing/));
  });

  it('refuses duplicate server ids in every mode, naming servers[1].id', () => {
    for (const doc of [example(), writeToOne()]) {
      doc.servers[1].id = 'mgmt-east';
      expect(lines(doc)).toContainEqual(
        expect.stringMatching(/^servers\[1\]\.id: duplicate server id "mgmt-east"/),
      );
    }
  });

  it('refuses a redis-key value template that renders the same for both servers (shared common.cluster)', () => {
    const doc = writeToOne();
    doc.lock = { adapter: 'redis-key', valueFormat: 'cluster={glooClusterName}' };
    expect(lines(doc)).toContainEqual(
      expect.stringMatching(/^lock\.valueFormat: renders "cluster=mgmt-cluster" for both servers/),
    );
  });

  it('renders and reads a redis-key value that tells two servers with one common.cluster apart', () => {
    // prepare
    const doc = writeToOne();
    doc.lock = { adapter: 'redis-key', valueFormat: '{glooClusterName}/{serverId}', ttlSeconds: 30 };
    // act
    const format = lockSettings(parseTopology(doc))!;
    // assess
    expect(format).toMatchObject({
      key: '{gloo-mesh}:global-lock',
      epochKey: '{gloo-mesh}:global-lock:epoch',
      ttlSeconds: 30,
    });
    expect(formatLockValue(format, 'mgmt-west')).toBe('mgmt-cluster/mgmt-west');
    expect(parseLockValue(format, 'mgmt-cluster/mgmt-east')).toBe('mgmt-east');
    expect(parseLockValue(format, 'mgmt-cluster/somebody')).toBe('somebody');
    expect(parseLockValue(format, 'no-slash')).toBeNull();
  });

  it("resolves meshctl's documented arguments: --redis-address defaults to the server's own region member", () => {
    const t = parseTopology(writeToOne());
    expect(meshctlTarget(t, 'mgmt-west')).toEqual({
      kubeContext: 'mgmt-west',
      mgmtClusterName: 'mgmt-cluster',
      redisAddress: 'master.gloo-mgmt-west.def456.usw2.cache.amazonaws.com:6379',
    });
  });

  it('reads a first-release file with redis.lock as write-to-one with a redis-key lock, which then needs one common.cluster', () => {
    // prepare: the first release's shape (cluster names differ, lock under redis)
    const doc = example();
    delete doc.configMode;
    for (const s of doc.servers) delete s.glooClusterName;
    doc.redis.lock = { key: '{gloo-mesh}:global-lock', valueFormat: '{cluster}' };
    // act + assess: refused by the vendor's rule, naming the field to change
    expect(lines(doc)).toContainEqual(
      expect.stringMatching(/^servers\[1\]\.glooClusterName: write-to-one mode needs the same/),
    );
    // once the names are shared (as Gloo requires in that mode) it parses, lock kept
    for (const s of doc.servers) s.glooClusterName = 'mgmt-cluster';
    const t = parseTopology(doc);
    expect(t.configMode).toBe('write-to-one');
    expect(t.lock).toMatchObject({ adapter: 'redis-key', valueFormat: '{cluster}' });
  });
});
