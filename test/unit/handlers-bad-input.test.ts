import { describe, expect, it } from 'vitest';
import { createHandler as confirmReconnect } from '#functions/confirm-reconnect/handler.ts';
import { createHandler as preflight } from '#functions/preflight/handler.ts';
import { createHandler as promoteRedis } from '#functions/promote-redis/handler.ts';
import { createHandler as repointDns } from '#functions/repoint-dns/handler.ts';
import { createHandler as report } from '#functions/report/handler.ts';
import { createHandler as switchLock } from '#functions/switch-lock/handler.ts';
import { createHandler as verifyOutage } from '#functions/verify-outage/handler.ts';
import { createHandler as verifyRecovered } from '#functions/verify-recovered/handler.ts';
import { isNamed } from '#lib/errors.ts';
import { loadTopology } from '#lib/topology.ts';
import type { Ports } from '#lib/wiring.ts';

const t = loadTopology('infra/topology.example.json');

/** Ports that record any use: a handler given bad input must not touch the world. */
function untouchable() {
  const touched: string[] = [];
  const ports = new Proxy({} as Ports, {
    get(_, key) {
      touched.push(String(key));
      throw new Error(`port ${String(key)} used`);
    },
  });
  return { ports, touched };
}

const goodRun = {
  direction: 'failover',
  source: { server: 'mgmt-east', region: 'us-east-1' },
  target: { server: 'mgmt-west', region: 'us-west-2' },
  executionId: 'x',
  input: { trigger: 'alarm', incidentId: 'inc-1' },
};

// biome-ignore lint/suspicious/noExplicitAny: handlers differ only in their output types
type AnyCreate = (opts?: any) => (event: never, context: never) => Promise<unknown>;
const cases: [string, AnyCreate, unknown, RegExp][] = [
  [
    'preflight: unknown direction',
    preflight,
    { run: { ...goodRun, direction: 'sideways' } },
    /run\.direction/,
  ],
  [
    'preflight: injection in a server id',
    preflight,
    { run: { ...goodRun, target: { server: 'mgmt-west; FLUSHALL', region: 'us-west-2' } } },
    /run\.target\.server/,
  ],
  [
    'preflight: trigger missing',
    preflight,
    { run: { ...goodRun, input: { incidentId: 'a' } } },
    /run\.input\.trigger/,
  ],
  [
    'verify-outage: wrong type',
    verifyOutage,
    { run: { ...goodRun, input: { ...goodRun.input, dryRun: 'yes' } } },
    /run\.input\.dryRun/,
  ],
  [
    'verify-recovered: unknown region',
    verifyRecovered,
    { run: { ...goodRun, target: { server: 'mgmt-west', region: 'mars-1' } } },
    /run\.target\.region/,
  ],
  ['promote-redis: unknown action', promoteRedis, { action: 'demote', run: goodRun }, /action/],
  ['promote-redis: poll without promotion', promoteRedis, { action: 'poll', run: goodRun }, /promotion/],
  ['switch-lock: plan missing', switchLock, { run: goodRun }, /plan: missing/],
  [
    'repoint-dns: oversized incident id',
    repointDns,
    { action: 'change', run: { ...goodRun, input: { trigger: 'manual', incidentId: 'x'.repeat(10_000) } } },
    /run\.input\.incidentId/,
  ],
  ['confirm-reconnect: not an object', confirmReconnect, 'confirm everything', /expected object/],
  ['report: unknown outcome', report, { run: goodRun, outcome: { name: 'Yolo' } }, /outcome\.name/],
  ['preflight: unknown field', preflight, { run: goodRun, extra: 1 }, /extra/],
];

describe('every handler refuses bad input, names the field, and changes nothing', () => {
  it.each(cases)('%s', async (_name, create, event, field) => {
    const { ports, touched } = untouchable();
    const handler = create({ topology: () => t, ports: () => ports });
    const err = await handler(event as never, {} as never).catch((e: unknown) => e);
    expect(isNamed(err, 'InvalidInput'), String(err)).toBe(true);
    expect((err as Error).message).toMatch(field);
    expect(touched).toEqual([]);
  });
});
