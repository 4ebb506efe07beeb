import { describe, expect, it } from 'vitest';
import { loadTopology } from '#lib/topology.ts';
import { countTransitions } from '../../bench/transitions.ts';

const t = loadTopology('infra/topology.example.json');

describe('state transitions per failover with the AWS default polls (modelled AWS timings)', () => {
  it('takes at most 60 transitions overlapped, fewer than the strict order, and polls reconnection from the last switch step', async () => {
    // act
    const overlapped = await countTransitions(t, 'overlapped');
    const strict = await countTransitions(t, 'strict');
    // assess
    expect(overlapped.endState).toBe('FailedOver');
    expect(strict.endState).toBe('FailedOver');
    expect(overlapped.total).toBeLessThanOrEqual(60);
    expect(overlapped.total).toBeLessThan(strict.total);
    // promotion ~60 s seen by the 15 s poll: four polls in both orders
    expect(overlapped.perState.PollRedisPromotion).toBe(4);
    expect(strict.perState.PollRedisPromotion).toBe(4);
    // no INSYNC loop: one status read for the report
    expect(overlapped.perState.RecordDnsChangeStatus).toBe(1);
    expect(overlapped.perState).not.toHaveProperty('WaitForDnsInSync');
  });
});
