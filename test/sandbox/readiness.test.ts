import { describe, expect, it, onTestFinished } from 'vitest';
import { type ReadinessReport, topologySecrets } from '#functions/readiness/readiness.ts';
import { systemClock } from '#lib/clock.ts';
import { slackAuthTest } from '#lib/slack/auth.ts';
import type { Topology } from '#lib/topology.ts';
import { startLocalReadiness } from '#local/readiness-local.ts';
import { waitReplicating } from '#local/redis-server.ts';
import { startSlackStandIn } from '#local/slack-standin.ts';
import { useWorld } from '../support/world.ts';

const reason = (r: ReadinessReport, name: string) => r.checks.find((c) => c.name === name)?.reason;

describe('continuous readiness in the sandbox', () => {
  it('flips FailoverReady to 0 with the broken check named, and back to 1 when repaired', async () => {
    // prepare: the same core the Lambda runs, on the sandbox's ports, evaluating a failover into B
    const { sb, t, ports } = await useWorld({ agents: 2 });
    const [, regionB] = sb.regionNames;
    const [serverA, serverB] = sb.clusters;
    // Secrets Manager has no sandbox stand-in: a store of readable secret ids plays it.
    // Slack approvals configured; the real auth.test adapter asks the local Slack stand-in.
    const slack = await startSlackStandIn({ signingSecret: 'sign', botToken: 'xoxb-good' });
    onTestFinished(() => slack.stop());
    let botToken = 'xoxb-good';
    const withSecret: Topology = {
      ...t,
      redis: { ...t.redis, authSecret: 'sandbox/redis-auth' },
      approvals: {
        ...t.approvals,
        slack: {
          channel: 'C0OPSFAIL1',
          approvers: ['U0A1B2C3D'],
          botTokenSecret: 'sandbox/slack-bot',
          signingSecret: 'sandbox/slack-signing',
        },
      },
    };
    const readable = new Set(topologySecrets(withSecret));
    expect([...readable]).toEqual(expect.arrayContaining(['sandbox/redis-auth', 'sandbox/slack-bot']));
    let topology: Topology = withSecret;
    const local = (tt: Topology) =>
      startLocalReadiness({
        topology: tt,
        ports,
        clock: systemClock,
        target: serverB,
        everyMs: 3_600_000,
        slack: slackAuthTest({ readToken: async () => botToken, slackApiUrl: slack.apiUrl }),
        secrets: {
          check: async (id) => {
            if (!readable.has(id)) throw new Error(`AccessDeniedException: not authorized to read ${id}`);
          },
        },
      });
    let r = local(topology);
    onTestFinished(() => r.stop());
    const ok = await r.evaluate();
    expect(ok.ready, JSON.stringify(ok.checks)).toBe(true);

    // act + assess: the target server (and its Redis) stop answering
    await sb.killRegion(regionB, 'freeze');
    const frozen = await r.evaluate();
    expect(frozen.ready).toBe(false);
    expect(frozen.failed).toEqual(expect.arrayContaining(['Preflight', 'TargetHealthy']));
    expect(reason(frozen, 'Preflight')).toMatch(/^TargetNotReady: /);
    expect(reason(frozen, 'TargetHealthy')).toContain(`${serverB} (`);
    await sb.healRegion(regionB);
    expect((await r.evaluate()).ready).toBe(true);

    // a secret that cannot be read
    readable.delete('sandbox/redis-auth');
    const secret = await r.evaluate();
    expect(secret.failed).toEqual(['SecretsReadable']);
    expect(reason(secret, 'SecretsReadable')).toContain('sandbox/redis-auth: AccessDeniedException');
    readable.add('sandbox/redis-auth');
    expect((await r.evaluate()).ready).toBe(true);

    // a bot token Slack no longer accepts
    botToken = 'xoxb-revoked';
    const bad = await r.evaluate();
    expect(bad.failed).toEqual(['SlackAuth']);
    expect(reason(bad, 'SlackAuth')).toContain('invalid_auth');
    botToken = 'xoxb-good';
    expect((await r.evaluate()).ready).toBe(true);

    // a trigger alarm that does not exist
    r.stop();
    topology = {
      ...withSecret,
      servers: t.servers.map((s) =>
        s.id === serverA ? { ...s, alarmNames: [...s.alarmNames, 'no-such-alarm'] } : s,
      ) as Topology['servers'],
    };
    r = local(topology);
    const missing = await r.evaluate();
    expect(missing.failed).toEqual(['TriggerAlarms']);
    expect(reason(missing, 'TriggerAlarms')).toContain('no-such-alarm does not exist');
    r.stop();
    r = local(withSecret);
    expect((await r.evaluate()).ready).toBe(true);
  }, 60_000);

  it('in the vendor DNS shape (failover pair on ARC routing controls): a deleted health check, a half-written re-protect record and a detached replica each flip FailoverReady to 0, named, and back', async () => {
    // prepare: a failover into B, evaluated on the sandbox's stand-ins of Route 53 (records and
    // health checks), the ARC cluster, the SSM registry and Redis
    const { sb, t, ports } = await useWorld({ agents: 2, dnsMode: 'arc-routing-control' });
    const [regionA, regionB] = sb.regionNames;
    const [, serverB] = sb.clusters;
    const r = startLocalReadiness({
      topology: t,
      ports,
      clock: systemClock,
      target: serverB,
      everyMs: 3_600_000,
    });
    onTestFinished(() => r.stop());
    const ok = await r.evaluate();
    expect(ok.ready, JSON.stringify(ok.checks)).toBe(true);
    expect(reason(ok, 'DnsPointer')).toBe(
      `arc-routing-control: the failover pair and its 2 health checks as the topology says; the switch and the name servers select ${sb.clusters[0]}`,
    );

    // act + assess: the SECONDARY record's health check is deleted behind our back
    const westCheck = t.dns.failover!.secondary.healthCheckId!;
    sb.faults.deletedHealthChecks.add(westCheck);
    const deleted = await r.evaluate();
    expect(deleted.failed).toEqual(['DnsPointer']);
    expect(reason(deleted, 'DnsPointer')).toBe(
      `health check ${westCheck} (${serverB}'s failover record) does not exist`,
    );
    sb.faults.deletedHealthChecks.delete(westCheck);
    expect((await r.evaluate()).ready).toBe(true);

    // the Route 53 control plane goes down (us-east-1): the ARC switch does not need it
    sb.faults.controlPlane.down = true;
    const cpDown = await r.evaluate();
    expect(cpDown.ready, JSON.stringify(cpDown.checks)).toBe(true);
    expect(reason(cpDown, 'DnsPointer')).toContain('records and health checks not read');
    sb.faults.controlPlane.down = false;

    // a re-protection that recorded a datastore without B's member
    const endpoints = { [regionA]: { endpoint: sb.regions[regionA].redis.endpoint } };
    const rec = { generation: 2, recordedAt: new Date().toISOString(), recordedBy: 'sandbox-reprotect' };
    await ports.datastores!.write({ ...rec, members: endpoints });
    const half = await r.evaluate();
    expect(half.failed).toContain('ReprotectRegistry');
    expect(reason(half, 'ReprotectRegistry')).toContain(`names no Redis member in ${regionB}`);
    // repaired by a record naming both members (what a finished re-protection writes)
    await ports.datastores!.write({
      ...rec,
      generation: 3,
      members: { ...endpoints, [regionB]: { endpoint: sb.regions[regionB].redis.endpoint } },
    });
    expect((await r.evaluate()).ready).toBe(true);

    // B's Redis stops replicating (promoted by hand): a failover into B would start from a fork
    const b = sb.regions[regionB].redis.client();
    onTestFinished(() => b.disconnect());
    const [host, port] = sb.regions[regionA].redis.endpoint.split(':');
    await b.call('REPLICAOF', 'NO', 'ONE');
    const detached = await r.evaluate();
    expect(detached.failed).toContain('ReplicaLag');
    expect(reason(detached, 'ReplicaLag')).toBe(`Redis in ${regionB} is primary, not a replica`);
    await b.call('REPLICAOF', host!, port!);
    await waitReplicating(sb.regions[regionB].redis);
    const back = await r.evaluate();
    expect(back.ready, JSON.stringify(back.checks)).toBe(true);
  }, 60_000);
});
