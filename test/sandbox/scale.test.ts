import { describe, expect, it } from 'vitest';
import { promoteAndSwitchLock } from '#local/sandbox/index.ts';
import { useSandbox } from '#local/sandbox/testing.ts';
import { recordValue, scrape, waitFor } from './support.ts';

describe('sandbox at 1,000 agents', () => {
  // Every agent makes a TLS handshake (as Gloo agents do): CPU-bound on a loaded 2-core machine.
  it('connects 1,000 agents and moves them all to the new server after a failover done in the orchestrator order', {
    timeout: 120_000,
  }, async () => {
    // prepare
    const sb = await useSandbox({ agents: 1_000 });
    const [a, b] = sb.regionNames;
    const [east, west] = sb.clusters;
    console.log(`sandbox start to ready (1,000 agents): ${sb.startupMs} ms`);
    expect(sb.startupMs).toBeLessThan(15_000);
    // act: promote + switch lock, repoint the record, then lose region A
    await promoteAndSwitchLock(sb, a, b);
    const cas = sb.dns.compareAndSwap(
      { ttl: 1, values: [recordValue(sb, east)] },
      { ttl: 1, values: [recordValue(sb, west)] },
    );
    expect(cas.ok).toBe(true);
    await sb.killRegion(a);
    const reconnectMs = await sb.agents.waitAllOn(west, 30_000);
    // assess
    console.log(`1,000 agents reconnected ${reconnectMs} ms after the kill`);
    const metrics = await waitFor('1,000 agents warmed on the new server', async () => {
      const m = await scrape(sb.regions[sb.regionNames[1]].server.metricsUrl);
      return m.warmed.length === 1_000 ? m : null;
    });
    expect(metrics.connected).toHaveLength(1_000);
    expect(sb.invariants.violations()).toEqual([]);
  });
});
