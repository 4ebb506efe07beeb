/**
 * Fault scenarios of the DNS switch modes (issue 13): the relay name served by a Route 53
 * PRIMARY/SECONDARY failover pair whose health checks follow ARC routing controls or
 * out-of-service alarms (the data plane), against the one-record compare-and-swap
 * (`route53-record`, a Route 53 control-plane call served from us-east-1).
 *
 * Sources: Route 53 Developer Guide, "How Amazon Route 53 chooses records when health checking is
 * configured" (healthy PRIMARY, else healthy SECONDARY); ARC Developer Guide, "Getting and updating
 * routing control states using the API" (any of the cluster's five regional endpoints answers; an
 * update needs a majority of the cluster); AWS Fault Isolation Boundaries, "Control planes and data
 * planes" (Route 53's control plane is in us-east-1: keep it out of recovery paths). The vendor
 * engineer's AWS HA demo publishes the pair as ALIAS records to each region's internal NLB.
 */
import '#local/quiet.ts';
import { describe, expect, it } from 'vitest';
import type { DnsMode } from '#lib/dns-modes.ts';
import type { SandboxOptions } from '#local/sandbox/index.ts';
import {
  expectAgentsOn,
  expectEnd,
  expectInvariants,
  faultWorld,
  reportOf,
  runFailover,
  statesEntered,
  systemState,
  type World,
  waitForAlarm,
} from './support.ts';

/** The failover pair's answer, as agents get it from the sandbox's name server. */
async function answered(w: World): Promise<string | null> {
  return (await w.ports.dnsAnswers.resolve()).pointsTo;
}

/** Region A dies (its ARC endpoint with it) and its alarm fires. */
async function outage(w: World): Promise<void> {
  await w.sb.killRegion(w.sb.regionNames[0]);
  await waitForAlarm(w, w.sb.clusters[0]);
}

const WRITE_TO_ALL: SandboxOptions = { configMode: 'write-to-all' };

// Scenarios run concurrently (at most FAULT_CONCURRENCY, default 2, at once: see support.ts).
describe.concurrent('fault scenarios', { timeout: 120_000 }, () => {
  describe('the DNS switch, with the Route 53 control plane or ARC endpoints down', () => {
    it("arc-routing-control with the vendor demo's failover alias pair: the outage fails over end to end, agents follow the pair's answer", async (ctx) => {
      // prepare
      const w = await faultWorld(ctx, { ...WRITE_TO_ALL, dnsMode: 'arc-routing-control', dnsAlias: true });
      const [east, west] = w.sb.clusters;
      const pair = w.t.dns.failover!;
      expect(pair.primary.alias?.dnsName).toMatch(/\.elb\.us-east-1\.amazonaws\.com$/);
      expect(pair.secondary.alias?.dnsName).toMatch(/\.elb\.us-west-2\.amazonaws\.com$/);
      expect(await answered(w)).toBe(east);
      // act
      await outage(w);
      const res = await runFailover(w, { input: { trigger: 'alarm', incidentId: 'dns-alias' } });
      // assess
      expectEnd(res, 'FailedOver');
      const sw = w.t.dns.switch;
      if (sw.mode !== 'arc-routing-control') throw new Error(`dns.switch.mode is ${sw.mode}`);
      expect([east, west].map((s) => w.sb.arc!.state(sw.routingControls[s]!.arn!))).toEqual(['Off', 'On']);
      expect(await answered(w)).toBe(west);
      await expectAgentsOn(w, west);
      expectInvariants(w);
    });

    it('arc-routing-control with two of the five cluster endpoints dead (us-east-1 with the region, and eu-west-1): the switch still happens', async (ctx) => {
      // prepare
      const w = await faultWorld(ctx, { ...WRITE_TO_ALL, dnsMode: 'arc-routing-control' });
      const [, west] = w.sb.clusters;
      await w.sb.arc!.killEndpoint('eu-west-1');
      // act
      await outage(w);
      expect(w.sb.arc!.deadEndpoints().sort()).toEqual(['eu-west-1', 'us-east-1']);
      const res = await runFailover(w, { input: { trigger: 'alarm', incidentId: 'dns-arc-2-dead' } });
      // assess
      expectEnd(res, 'FailedOver');
      expect(await answered(w)).toBe(west);
      await expectAgentsOn(w, west);
      expectInvariants(w);
    });

    const dataPlane: DnsMode[] = ['arc-routing-control', 'health-check-metric'];
    for (const dnsMode of dataPlane)
      it(`${dnsMode} with the Route 53 control plane down (the us-east-1 case): converges, no preflight warning`, async (ctx) => {
        // prepare
        const w = await faultWorld(ctx, { ...WRITE_TO_ALL, dnsMode });
        const [, west] = w.sb.clusters;
        // act
        await outage(w);
        w.sb.faults.controlPlane.down = true;
        const res = await runFailover(w, {
          input: { trigger: 'alarm', incidentId: `dns-${dnsMode}-cp-down` },
        });
        // assess
        expectEnd(res, 'FailedOver');
        expect(
          (res.output.report as { warnings: string[] }).warnings.filter((x) => x.startsWith('DNS switch')),
        ).toEqual([]);
        expect(await answered(w)).toBe(west);
        await expectAgentsOn(w, west);
        expectInvariants(w);
      });

    it('route53-record with the Route 53 control plane down: preflight warns that the run will end DnsChangeFailed, and it does, with nothing else changed', async (ctx) => {
      // prepare
      const w = await faultWorld(ctx, WRITE_TO_ALL);
      const [a, b] = w.sb.regionNames;
      const [east] = w.sb.clusters;
      // act
      await outage(w);
      w.sb.faults.controlPlane.down = true;
      const res = await runFailover(w, { input: { trigger: 'alarm', incidentId: 'dns-record-cp-down' } });
      // assess: the warning named the end the run then reached
      const warning = (res.output.report as { warnings: string[] }).warnings.find((x) =>
        x.startsWith('DNS switch route53-record'),
      );
      expect(warning).toContain('ends DnsChangeFailed');
      expectEnd(res, 'DnsChangeFailed');
      expect(statesEntered(res)).not.toContain('StartRedisPromotion');
      expect(await systemState(w)).toMatchObject({
        roles: { [a]: 'unreachable', [b]: 'replica' },
        dns: [w.t.dns.values[east]],
      });
      expect(reportOf(res).outcome).toBe('DnsChangeFailed');
      expect(reportOf(res).nextActions[0]).toMatch(
        /the DNS control plane did not take the change \(Route 53 changes are served from us-east-1\): re-run when it answers, or switch dns.switch.mode to a data-plane mode/,
      );
      expectInvariants(w);
    });
  });
});
