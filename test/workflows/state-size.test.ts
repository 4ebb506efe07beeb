/**
 * The workflow state stays under Step Functions' 262,144-byte limit with 10,000 agent clusters
 * (AWS Step Functions Developer Guide, "Step Functions service quotas": maximum input or output
 * size of a state; over it the run ends States.DataLimitExceeded, which States.ALL cannot catch).
 * A full local run on the sandbox with the real handlers; the registry and the target's metrics
 * also report 10,000 extra clusters with the longest names Gloo allows (63-character labels).
 */
import { describe, expect, it } from 'vitest';
import type { Ports } from '#lib/wiring.ts';
import { runWorkflow } from '#local/runner.ts';
import { useWorld } from '#test/support/world.ts';

const STATE_LIMIT_BYTES = 262_144;
const EXTRA = 10_000;
/** 63 characters: the longest DNS-1123 label, as Gloo's cluster names are. */
const name = (i: number) => `workload-${String(i).padStart(5, '0')}-${'x'.repeat(47)}`;
const extra = Array.from({ length: EXTRA }, (_, i) => name(i));

describe('workflow state size', () => {
  it('stays under 262,144 bytes in a full run that expects 10,000 more agent clusters, and they are all checked', async () => {
    // prepare: the registry last saw the extra clusters on the source; the target reports them back
    const w = await useWorld();
    const [source, target] = w.t.servers;
    const ports: Ports = {
      ...w.ports,
      registry: {
        ...w.ports.registry,
        lastSeen: async (server) => {
          const seen = await w.ports.registry.lastSeen(server);
          return server === source!.id && seen ? { ...seen, clusters: [...seen.clusters, ...extra] } : seen;
        },
        record: (...a) => w.ports.registry.record(...a),
        saveRunSet: (...a) => w.ports.registry.saveRunSet(...a),
        runSet: (...a) => w.ports.registry.runSet(...a),
      },
      agentMetrics: {
        // the target's reading plus the extra clusters, connected (push and pull) and warmed
        read: async (server, timeoutMs) => {
          const reading = await w.ports.agentMetrics.read(server, timeoutMs);
          if (server.id !== target!.id) return reading;
          const clusters = new Map(reading.clusters);
          for (const c of extra) clusters.set(c, { pushConnected: 1, pullConnected: 1, warmed: 1 });
          return { ...reading, clusters };
        },
      },
    };
    await w.sb.killRegion(source!.region);

    // act
    const res = await runWorkflow({
      topology: w.t,
      direction: 'failover',
      targetServer: target!.id,
      input: { trigger: 'manual', incidentId: 'state-size', requestedBy: 'test' },
      ports,
    });

    // assess
    expect(res.endState).toBe('FailedOver');
    const reconnect = res.output.reconnect as { expected: number; connected: number };
    expect(reconnect.expected).toBe(EXTRA + w.sb.agents.count);
    expect(reconnect.connected).toBe(EXTRA + w.sb.agents.count);
    expect((res.output.plan as { expectedClusters: { count: number } }).expectedClusters.count).toBe(
      EXTRA + w.sb.agents.count,
    );
    const inline = Buffer.byteLength(JSON.stringify(extra));
    console.info(
      `largest workflow state in a full run with ${(EXTRA + w.sb.agents.count).toLocaleString('en')} expected clusters: ${res.maxStateBytes.toLocaleString('en')} bytes (limit ${STATE_LIMIT_BYTES.toLocaleString('en')}; the names alone are ${inline.toLocaleString('en')} bytes)`,
    );
    expect(inline).toBeGreaterThan(STATE_LIMIT_BYTES); // the list inline would not fit
    expect(res.maxStateBytes).toBeLessThan(STATE_LIMIT_BYTES);
  }, 60_000);
});
