import { describe, expect, it, onTestFinished } from 'vitest';
import { type ReadinessReport, topologySecrets } from '#functions/readiness/readiness.ts';
import { systemClock } from '#lib/clock.ts';
import { slackAuthTest } from '#lib/slack/auth.ts';
import type { Topology } from '#lib/topology.ts';
import { startLocalReadiness } from '#local/readiness-local.ts';
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
    expect(frozen.failed).toContain('TargetHealthy');
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
});
