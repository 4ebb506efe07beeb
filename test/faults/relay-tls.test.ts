/**
 * Relay TLS readiness: agents verify the relay certificate against the root CA of
 * `relay-root-tls-secret` for the authority `glooAgent.relay.authority` (default
 * `gloo-mesh-mgmt-server.gloo-mesh`); both management clusters must share the root CA, token and
 * authority, or agents fail TLS after a failover (shared/REFERENCE.md, Gloo Mesh management plane).
 * Preflight makes that handshake to the target; a mismatch ends the run `TargetNotReady` before
 * anything changes. The telemetry gateway (OTLP 4317) of the target is checked the same way.
 */
import '#local/quiet.ts';
import { describe, expect, it } from 'vitest';
import {
  caughtError,
  expectEnd,
  expectInvariants,
  faultWorld,
  runFailover,
  statesEntered,
  systemState,
} from './support.ts';

describe.concurrent('fault scenarios', { timeout: 120_000 }, () => {
  describe('the standby relay presents a certificate the agents would reject', () => {
    it('ends TargetNotReady before anything changes, naming the certificate problem (another CA, wrong name, expired)', async (ctx) => {
      // prepare: the standby (B) presents a certificate from another CA
      const w = await faultWorld(ctx, { relayCerts: ['valid', 'other-ca'] });
      const [a, b] = w.sb.regionNames;
      const before = await systemState(w);
      await w.sb.killRegion(a);
      const afterKill = await systemState(w);
      const causes: string[] = [];
      // act: one run per kind of mismatch
      for (const kind of ['other-ca', 'wrong-name', 'expired'] as const) {
        w.sb.setRelayCert(b, kind);
        const res = await runFailover(w);
        expectEnd(res, 'TargetNotReady');
        expect(statesEntered(res)).not.toContain('StartRedisPromotion');
        causes.push(caughtError(res).Cause ?? '');
      }
      // assess: nothing changed; each cause names the certificate problem
      expect(await systemState(w)).toEqual(afterKill);
      expect(before.locks[a]?.holder).toBe(w.sb.clusters[0]);
      expect(causes[0]).toMatch(
        /relay TLS of mgmt-west .*authority gloo-mesh-mgmt-server\.gloo-mesh.*agents would fail TLS: certificate signed by an unknown CA/,
      );
      expect(causes[1]).toMatch(
        /agents would fail TLS: certificate does not name the authority \(ERR_TLS_CERT_ALTNAME_INVALID\)/,
      );
      expect(causes[2]).toMatch(/agents would fail TLS: certificate expired \(CERT_HAS_EXPIRED\)/);
      expectInvariants(w);
    });

    it('fails over once the standby presents a certificate from the shared root CA', async (ctx) => {
      const w = await faultWorld(ctx, { relayCerts: ['valid', 'other-ca'] });
      const [a, b] = w.sb.regionNames;
      await w.sb.killRegion(a);
      w.sb.setRelayCert(b, 'valid');
      const res = await runFailover(w);
      expectEnd(res, 'FailedOver');
      const plan = res.output.plan as { targetReadiness: string[] };
      expect(plan.targetReadiness.join('\n')).toMatch(
        /relay TLS of mgmt-west .*handshake ok, certificate verified/,
      );
      expect(plan.targetReadiness.join('\n')).toMatch(/telemetry gateway of mgmt-west .*TLS handshake ok/);
      expectInvariants(w);
    });
  });

  describe("the target's telemetry gateway does not answer", () => {
    it('ends TargetNotReady naming the gateway; nothing changes', async (ctx) => {
      const w = await faultWorld(ctx, {}, (t) => ({
        ...t,
        servers: [
          t.servers[0]!,
          {
            ...t.servers[1]!,
            telemetryGateway: { address: `${t.servers[1]!.relayAddress.split(':')[0]}:9` },
          },
        ] as typeof t.servers,
      }));
      const [a] = w.sb.regionNames;
      await w.sb.killRegion(a);
      const before = await systemState(w);
      const res = await runFailover(w);
      expectEnd(res, 'TargetNotReady');
      expect(caughtError(res).Cause).toMatch(
        /telemetry gateway of mgmt-west \(127\.[0-9.]+:9\) is not reachable: ECONNREFUSED/,
      );
      expect(await systemState(w)).toEqual(before);
    });
  });
});
