/**
 * Bad input for every handler and the trigger: malformed, oversized (1 MB strings) and hostile
 * payloads (wrong types, unknown directions, injection attempts in names and ids, a run or a
 * topology whose source is its target). Each must fail cleanly: the step handlers, request-approval
 * and the trigger with `InvalidInput` naming the field (the topology with `InvalidTopology`),
 * slack-callback with its documented 4xx; and nothing changes: the ports they are given record
 * any use. test/unit/handlers-bad-input.test.ts covers a first case per handler; these are others.
 */
import { describeSet } from '#lib/expected-set.ts';
import '#local/quiet.ts';
import { readFileSync } from 'node:fs';
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createHandler as confirmReconnect } from '#functions/confirm-reconnect/handler.ts';
import { createHandler as preflight } from '#functions/preflight/handler.ts';
import { createHandler as promoteRedis } from '#functions/promote-redis/handler.ts';
import { createHandler as repointDns } from '#functions/repoint-dns/handler.ts';
import { createHandler as report } from '#functions/report/handler.ts';
import { buildApprovalHandler } from '#functions/request-approval/handler.ts';
import { buildSlackCallbackHandler } from '#functions/slack-callback/handler.ts';
import { createHandler as switchLock } from '#functions/switch-lock/handler.ts';
import { decide } from '#functions/trigger/trigger.ts';
import { createHandler as verifyOutage } from '#functions/verify-outage/handler.ts';
import { createHandler as verifyRecovered } from '#functions/verify-recovered/handler.ts';
import { InMemoryApprovalStore } from '#lib/approvals/memory-store.ts';
import { ManualClock } from '#lib/clock.ts';
import { FailoverError, isNamed } from '#lib/errors.ts';
import { parseTopology } from '#lib/topology.ts';
import type { Ports } from '#lib/wiring.ts';
import {
  clickPayload,
  FIXTURE_NOW_MS,
  form,
  RecordingCallbacks,
  RecordingChat,
  SIGNING_SECRET,
  sampleRequest,
  seededRecord,
  signed,
  TOPOLOGY_FILE,
} from '#test/approvals/support.ts';

// write-to-one with a redis-key lock, so that every step (switch-lock included) has work to refuse
const t = parseTopology({
  ...(JSON.parse(readFileSync(TOPOLOGY_FILE, 'utf8')) as object),
  configMode: 'write-to-one',
  lock: { adapter: 'redis-key', valueFormat: '{serverId}' },
});
const MB = 'x'.repeat(1_048_576);
const ctx = { awsRequestId: 'bad-input', functionName: 'bad-input' } as Context;

/** Ports that record any use: a handler given bad input must not touch the world. */
function recordingPorts() {
  const touched: string[] = [];
  const ports = new Proxy({} as Ports, {
    get(_, key) {
      if (key === 'then') return undefined;
      touched.push(String(key));
      throw new Error(`port ${String(key)} used`);
    },
  });
  return { ports, touched };
}

const at = '2026-11-20T03:12:41.000Z';
const run = {
  direction: 'failover',
  source: { server: 'mgmt-east', region: 'us-east-1' },
  target: { server: 'mgmt-west', region: 'us-west-2' },
  executionId: 'arn:aws:states:us-west-2:123456789012:execution:gloo-mgmt-failover:inc-1',
  input: { trigger: 'alarm', incidentId: 'inc-1' },
};
const plan = {
  startedAt: at,
  endedAt: at,
  dryRun: false,
  trigger: 'alarm',
  alreadyActive: false,
  redisPromoted: false,
  before: {
    lock: { holder: 'mgmt-east', epoch: 1, readFrom: 'us-east-1' },
    redisPrimary: 'us-east-1',
    dns: { ttl: 30, values: ['mgmt-east.gloo.internal.example.com'] },
    dnsPointsTo: 'mgmt-east',
  },
  expectedClusters: describeSet(['workload-1'], 'topology'),
  expectedClustersSource: 'static',
  targetReadiness: [],
  warnings: [],
};
const promotion = {
  startedAt: at,
  endedAt: at,
  state: 'in-progress',
  mode: 'unplanned',
  detail: 'x',
  polls: 1,
};
const dns = {
  startedAt: at,
  endedAt: at,
  outcome: 'changed',
  changeId: 'C123',
  status: 'PENDING',
  before: ['a'],
  after: ['b'],
  polls: 0,
};

// biome-ignore lint/suspicious/noExplicitAny: handlers differ only in their output types
type Create = (opts?: any) => (event: never, context: never) => Promise<unknown>;
/** Every step handler with a payload it accepts. */
const STEPS: [string, Create, Record<string, unknown>][] = [
  ['preflight', preflight, { run }],
  ['verify-outage', verifyOutage, { run }],
  ['verify-recovered', verifyRecovered, { run: { ...run, direction: 'failback' } }],
  ['promote-redis start', promoteRedis, { action: 'start', run }],
  ['promote-redis poll', promoteRedis, { action: 'poll', run, promotion }],
  ['switch-lock', switchLock, { run, plan }],
  ['repoint-dns change', repointDns, { action: 'change', run }],
  ['repoint-dns poll', repointDns, { action: 'poll', run, dns }],
  ['confirm-reconnect', confirmReconnect, { run, plan, reconnect: null }],
];

/** Sets `value` at a dotted path of a deep copy of `payload`. */
function withField(payload: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const copy = structuredClone(payload);
  const keys = path.split('.');
  let o = copy as Record<string, unknown>;
  for (const k of keys.slice(0, -1)) o = o[k] as Record<string, unknown>;
  o[keys.at(-1)!] = value;
  return copy;
}

/** Bad values for fields every step payload carries: [what, path, value, the field the error must name]. */
const RUN_MUTATIONS: [string, string, unknown, RegExp][] = [
  ['newline injection in a server id', 'run.target.server', 'mgmt-west\nFLUSHALL', /run\.target\.server/],
  ['path traversal in a server id', 'run.source.server', '../../etc/passwd', /run\.source\.server/],
  ['shell injection in the incident id', 'run.input.incidentId', '$(rm -rf /)', /run\.input\.incidentId/],
  ['1 MB requester', 'run.input.requestedBy', MB, /run\.input\.requestedBy/],
  ['1 MB execution id', 'run.executionId', MB, /run\.executionId/],
  ['1 MB alarm name', 'run.input.alarmName', MB, /run\.input\.alarmName/],
  ['unknown direction', 'run.direction', 'FAILOVER', /run\.direction/],
  ['a region with a command tail', 'run.target.region', 'us-west-2; DROP', /run\.target\.region/],
  ['a number for the source', 'run.source', 42, /run\.source/],
  ['a string for a force flag', 'run.input.force', { lock: 'yes' }, /run\.input\.force\.lock/],
  ['an unknown force flag', 'run.input.force', { everything: true }, /run\.input\.force/],
  ['null run', 'run', null, /run/],
];

async function expectRefused(
  create: Create,
  event: unknown,
  field: RegExp,
  name: 'InvalidInput' | 'InvalidTopology' = 'InvalidInput',
): Promise<void> {
  const { ports, touched } = recordingPorts();
  const handler = create({ topology: () => t, ports: () => ports });
  const err = await handler(event as never, ctx as never).then(
    (out) => new Error(`accepted, returned ${JSON.stringify(out).slice(0, 200)}`),
    (e: unknown) => e,
  );
  expect(isNamed(err, name), `${(err as Error).name}: ${(err as Error).message?.slice(0, 300)}`).toBe(true);
  expect((err as Error).message).toMatch(field);
  expect((err as Error).message.length, 'the error echoes the oversized value').toBeLessThan(20_000);
  expect(touched).toEqual([]);
}

describe('step handlers refuse hostile runs, name the field, touch nothing', () => {
  it.each(STEPS)(
    '%s accepts its valid payload (the baseline the bad cases start from)',
    async (_, create, ok) => {
      const { ports, touched } = recordingPorts();
      const err = await create({ topology: () => t, ports: () => ports })(ok as never, ctx as never).catch(
        (e: unknown) => e,
      );
      expect(isNamed(err, 'InvalidInput'), String(err)).toBe(false);
      expect(touched.length).toBeGreaterThan(0);
    },
  );

  const cases = STEPS.flatMap(([step, create, ok]) =>
    RUN_MUTATIONS.map(
      ([what, path, value, field]) =>
        [`${step}: ${what}`, create, withField(ok, path, value), field] as const,
    ),
  );
  it.each(cases)('%s', async (_, create, event, field) => {
    await expectRefused(create, event, field);
  });

  it.each(STEPS)('%s: a 1 MB string instead of an object', async (_, create) => {
    await expectRefused(create, MB, /expected object/);
  });

  /** The step handlers that do NOT refuse `mutate(payload)` cleanly (InvalidInput naming run.*, no port used). */
  async function accepting(mutate: (ok: Record<string, unknown>) => unknown): Promise<string[]> {
    const out: string[] = [];
    for (const [step, create, ok] of STEPS) {
      const { ports, touched } = recordingPorts();
      const err = await create({ topology: () => t, ports: () => ports })(
        mutate(ok) as never,
        ctx as never,
      ).then(
        () => null,
        (e: unknown) => e,
      );
      if (!isNamed(err, 'InvalidInput') || !/run\.(source|target)/.test(err.message) || touched.length)
        out.push(
          `${step} (${(err as Error | null)?.name ?? 'accepted'}${touched.length ? `, used ports ${touched.join(',')}` : ''})`,
        );
    }
    return out;
  }

  it('every step handler refuses a run whose source is its target', async () => {
    const same = { server: 'mgmt-west', region: 'us-west-2' };
    expect(await accepting((ok) => withField(withField(ok, 'run.source', same), 'run.target', same))).toEqual(
      [],
    );
  });

  it('every step handler refuses a run whose target is not the topology’s server (region mismatch)', async () => {
    const elsewhere = { server: 'mgmt-west', region: 'eu-west-1' };
    expect(await accepting((ok) => withField(ok, 'run.target', elsewhere))).toEqual([]);
  });

  it('switch-lock: a plan whose lock epoch is not a number', async () => {
    await expectRefused(
      switchLock,
      { run, plan: withField(plan, 'before.lock.epoch', '1; SET x') },
      /plan\.before\.lock\.epoch/,
    );
  });

  it('confirm-reconnect: a previous poll that is a string', async () => {
    await expectRefused(confirmReconnect, { run, plan, reconnect: 'done' }, /reconnect/);
  });

  it('report: a 1 MB outcome name and an injected server id', async () => {
    await expectRefused(report, { run, outcome: { name: MB } }, /outcome\.name/);
    await expectRefused(
      report,
      { run: withField(run, 'target.server', 'mgmt-west\r\nFLUSHALL'), outcome: { name: 'FailedOver' } },
      /run\.target\.server/,
    );
  });
});

describe('request-approval refuses hostile requests and posts nothing', () => {
  function approvalHandler() {
    const store = new InMemoryApprovalStore({ clock: new ManualClock(FIXTURE_NOW_MS) });
    const chat = new RecordingChat();
    const h = buildApprovalHandler({
      topology: () => t,
      store,
      chat,
      clock: new ManualClock(FIXTURE_NOW_MS),
    });
    return { h, store, chat };
  }
  const base = sampleRequest() as unknown as Record<string, unknown>;
  const cases: [string, unknown, RegExp][] = [
    [
      'newline injection in the target server',
      withField(base, 'target.server', 'mgmt-west\nFLUSHALL'),
      /target\.server/,
    ],
    [
      'Slack mention injection in the source server',
      withField(base, 'source.server', '<!channel>'),
      /source\.server/,
    ],
    ['path traversal in the incident id', withField(base, 'incidentId', '../../../etc/passwd'), /incidentId/],
    ['1 MB task token', withField(base, 'taskToken', MB), /taskToken/],
    ['1 MB evidence line', withField(base, 'evidence', [MB]), /evidence/],
    ['unknown direction', withField(base, 'direction', 'sideways'), /direction/],
    ['unknown gate', withField(base, 'gate', 'before-everything'), /gate/],
    ['a string for dryRun', withField(base, 'dryRun', 'false'), /dryRun/],
    [
      'timeout: 1 MB execution id',
      { action: 'timeout', executionId: MB, gate: 'before-promotion', trigger: 'alarm' },
      /executionId/,
    ],
    [
      'timeout: an approval id with path traversal',
      {
        action: 'timeout',
        executionId: 'x',
        gate: 'before-promotion',
        trigger: 'alarm',
        approvalId: '../../apr_x',
      },
      /approvalId/,
    ],
  ];
  it.each(cases)('%s', async (_, event, field) => {
    const { h, store, chat } = approvalHandler();
    const err = await h(event, ctx).then(
      (out) => new Error(`accepted, returned ${JSON.stringify(out).slice(0, 200)}`),
      (e: unknown) => e,
    );
    expect(
      isNamed(err, 'InvalidInput'),
      `${(err as Error).name}: ${(err as Error).message?.slice(0, 300)}`,
    ).toBe(true);
    expect((err as Error).message).toMatch(field);
    expect(chat.posts).toEqual([]);
    expect(chat.updates).toEqual([]);
    expect(store.all()).toEqual([]);
  });
});

describe('slack-callback answers hostile requests with its documented 4xx and changes nothing', () => {
  async function callback() {
    const clock = new ManualClock(FIXTURE_NOW_MS);
    const store = new InMemoryApprovalStore({ clock });
    await store.put(seededRecord());
    const callbacks = new RecordingCallbacks();
    const chat = new RecordingChat();
    const h = buildSlackCallbackHandler({
      topology: () => t,
      store,
      callbacks,
      chat,
      signingSecret: SIGNING_SECRET,
      clock,
      deadline: async () => {},
    });
    const send = (event: unknown) => h(event as never, ctx) as Promise<{ statusCode: number; body: string }>;
    return { send, store, callbacks };
  }
  const signedEvent = (body: string) => ({ ...signed(body), body, isBase64Encoded: false });
  const withAction = (o: Record<string, unknown>) => {
    const p = clickPayload();
    Object.assign(p.actions[0]!, o);
    return form(p);
  };
  const cases: [string, unknown, number, RegExp][] = [
    ['an unsigned 1 MB body', { headers: {}, body: MB }, 401, /signature|timestamp/i],
    ['a signed body whose payload is not JSON', signedEvent('payload=%7Bnot-json'), 400, /not JSON/],
    [
      'a signed 1 MB payload of the wrong shape',
      signedEvent(form({ type: 'block_actions', junk: MB })),
      400,
      /malformed/,
    ],
    [
      'a path traversal as the approval id',
      signedEvent(withAction({ value: '../../apr_x' })),
      400,
      /not an approval id/,
    ],
    [
      'a newline injection after a valid approval id',
      signedEvent(withAction({ value: 'apr_01JD0Z8K3M4N5P6Q7R8S9T0V1W\nFLUSHALL' })),
      400,
      /not an approval id/,
    ],
    [
      'a shell injection as the action',
      signedEvent(withAction({ action_id: '$(rm -rf /)' })),
      400,
      /unsupported action/,
    ],
    [
      'a base64 body that is not base64',
      { headers: signed('x').headers, body: '%%%not-base64%%%', isBase64Encoded: true },
      401,
      /./,
    ],
    [
      'a 1,000-digit timestamp',
      { headers: { ...signed('x').headers, 'x-slack-request-timestamp': '9'.repeat(1000) }, body: 'x' },
      401,
      /./,
    ],
  ];
  it.each(cases)('%s', async (_, event, status, body) => {
    const { send, store, callbacks } = await callback();
    const res = await send(event);
    expect(res.statusCode).toBe(status);
    expect(res.body).toMatch(body);
    expect(res.body.length).toBeLessThan(2_000);
    expect(callbacks.calls).toEqual([]);
    expect(store.all().map((r) => r.status)).toEqual(['pending']);
  });

  it('refuses an event that is not a Function URL event (body a number), naming the field', async () => {
    const { send, callbacks } = await callback();
    const err = await send({ headers: {}, body: 42 }).catch((e: unknown) => e);
    expect(isNamed(err, 'InvalidInput')).toBe(true);
    expect((err as Error).message).toMatch(/body/);
    expect(callbacks.calls).toEqual([]);
  });
});

describe('the trigger (decide) refuses malformed alarm events and starts nothing', () => {
  // The shape of ../shared/fixtures/cloudwatch-alarm-state-change.json (the parts decide() reads).
  const fixture = {
    version: '0',
    id: 'c4c1c1c9-6542-e61b-6ef0-8c4d36933a92',
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account: '123456789012',
    time: '2026-11-20T03:12:41Z',
    region: 'us-west-2',
    resources: ['arn:aws:cloudwatch:us-west-2:123456789012:alarm:gloo-mgmt-east-relay-down'],
    detail: {
      alarmName: 'gloo-mgmt-east-relay-down',
      state: { value: 'ALARM', reason: 'Threshold Crossed', timestamp: '2026-11-20T03:12:41.109+0000' },
      previousState: { value: 'OK', reason: 'Threshold Crossed', timestamp: '2026-11-20T02:58:11.407+0000' },
    },
  };
  it('starts a run for the well-formed event (the baseline the bad cases start from)', () => {
    expect(decide(fixture, t)).toMatchObject({ start: true, targetServer: 'mgmt-west' });
  });
  const cases: [string, unknown, RegExp][] = [
    ['a 1 MB alarm name', withField(fixture, 'detail.alarmName', MB), /detail\.alarmName/],
    [
      'another event type',
      withField(fixture, 'detail-type', 'EC2 Instance State-change Notification'),
      /detail-type/,
    ],
    ['another source', withField(fixture, 'source', 'aws.cloudwatch\n'), /source/],
    [
      'an injected state',
      withField(fixture, 'detail.state.value', 'ALARM\nFLUSHALL'),
      /detail\.state\.value/,
    ],
    [
      'timestamps that are not dates',
      withField(withField(fixture, 'detail.state.timestamp', '$(date)'), 'time', 'yesterday'),
      /detail\.state\.timestamp|time/,
    ],
    ['a 1 MB string instead of an event', MB, /expected object/],
    ['null', null, /expected object/],
  ];
  it.each(cases)('%s', (_, event, field) => {
    let err: unknown;
    try {
      decide(event, t);
    } catch (e) {
      err = e;
    }
    expect(isNamed(err, 'InvalidInput'), `${(err as Error)?.name}: ${(err as Error)?.message}`).toBe(true);
    expect((err as Error).message).toMatch(field);
  });

  it('starts nothing for an injected alarm name that no server has', () => {
    const d = decide(withField(fixture, 'detail.alarmName', 'gloo-mgmt-east-relay-down\n$(rm -rf /)'), t);
    expect(d).toMatchObject({ start: false, reason: expect.stringMatching(/not configured/) });
  });
});

describe('parseTopology refuses hostile topologies, naming the field', () => {
  const doc = () =>
    JSON.parse(readFileSync(TOPOLOGY_FILE, 'utf8')) as Record<string, unknown> & {
      servers: Record<string, unknown>[];
    };
  const cases: [string, (d: ReturnType<typeof doc>) => unknown, RegExp][] = [
    [
      'the source equal to the target (the same server twice)',
      (d) => ({ ...d, servers: [d.servers[0], d.servers[0]] }),
      /servers\[1\]\.id: duplicate server id "mgmt-east"[\s\S]*servers\[1\]\.region: duplicate region/,
    ],
    [
      'two servers with one id',
      (d) => ({ ...d, servers: [d.servers[0], { ...d.servers[1], id: 'mgmt-east' }] }),
      /servers\[1\]\.id: duplicate server id/,
    ],
    [
      'a newline injection in a Gloo cluster name',
      (d) => ({ ...d, servers: [d.servers[0], { ...d.servers[1], glooClusterName: 'mgmt-west\nFLUSHALL' }] }),
      /servers\[1\]\.glooClusterName/,
    ],
    ['a 1 MB name', (d) => ({ ...d, name: MB }), /- name:/],
    ['path traversal as the home server', (d) => ({ ...d, homeServer: '../' }), /homeServer/],
    [
      'a shell injection as the record name',
      (d) => ({ ...d, dns: { ...(d.dns as object), recordName: '$(rm -rf /).example.com' } }),
      /dns\.recordName/,
    ],
    [
      'a 1 MB lock key',
      (d) => ({ ...d, configMode: 'write-to-one', lock: { adapter: 'redis-key', key: MB } }),
      /lock\.key/,
    ],
  ];
  it.each(cases)('%s', (_, mutate, field) => {
    let err: unknown;
    try {
      parseTopology(mutate(doc()));
    } catch (e) {
      err = e;
    }
    expect(err instanceof FailoverError && err.name === 'InvalidTopology', String(err).slice(0, 300)).toBe(
      true,
    );
    expect((err as Error).message).toMatch(field);
    expect((err as Error).message.length).toBeLessThan(20_000);
  });
});
