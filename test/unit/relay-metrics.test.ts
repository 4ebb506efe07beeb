import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { evaluateReconnection, parseRelayMetrics } from '#lib/relay-metrics.ts';

const fixture = readFileSync(new URL('../fixtures/gloo-mgmt-server-metrics.txt', import.meta.url), 'utf8');

describe('relay metrics', () => {
  it('reads the fixture: three clusters connected, workload-3 not warmed', () => {
    const { clusters, malformedLines } = parseRelayMetrics(fixture);
    expect(malformedLines).toBe(0);
    expect(clusters.get('workload-1')).toEqual({ pushConnected: 1, pullConnected: 1, warmed: 1 });
    expect(clusters.get('workload-3')).toEqual({ pushConnected: 1, pullConnected: 1, warmed: 0 });
    const r = evaluateReconnection(clusters, ['workload-1', 'workload-2', 'workload-3', 'workload-4']);
    expect(r.connected).toEqual(['workload-1', 'workload-2']);
    expect(r.missing).toEqual([
      { cluster: 'workload-3', reason: 'connected, not warmed' },
      { cluster: 'workload-4', reason: 'not connected' },
    ]);
  });

  it('sums replicas by cluster and honours escaped labels, extra labels and timestamps', () => {
    const a =
      'relay_push_clients_connected{pod="a",cluster="w\\"1"} 1 1700000000000\nrelay_pull_clients_connected{cluster="w\\"1"} 0\n';
    const b =
      'relay_pull_clients_connected{cluster="w\\"1",pod="b"} 1\nrelay_push_clients_warmed{cluster="w\\"1"} 1\n';
    const { clusters } = parseRelayMetrics([a, b]);
    expect(clusters.get('w"1')).toEqual({ pushConnected: 1, pullConnected: 1, warmed: 1 });
  });

  it('skips malformed relay lines and counts them', () => {
    const { clusters, malformedLines } = parseRelayMetrics(
      'relay_push_clients_warmed{pod="x"} 1\nrelay_push_clients_warmed{cluster="a"} abc\n',
    );
    expect(clusters.size).toBe(0);
    expect(malformedLines).toBe(2);
  });
});
