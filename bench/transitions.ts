/**
 * State transitions per failover run with the DEPLOYED AWS defaults (Step Functions Standard bills
 * per transition): the real ASL, built from the example topology with the definition's default
 * polls (promotion every 15 s, reconnection every `reconnection.pollIntervalSeconds`), run by
 * aws-local-stepfunctions with every Wait taking no real time. The Tasks are a time model of AWS on
 * a virtual clock, which each Wait advances by its Seconds and each Lambda by INVOKE_SECONDS: the
 * promotion completes PROMOTION_SECONDS after it starts, the agents are back INSYNC + TTL + backoff
 * cap after the DNS change. Deterministic: the count does not depend on how busy the machine is.
 * Counted per state from the engine's StateEntered events, as Step Functions counts them.
 *
 * Standalone: `npx node bench/transitions.ts`.
 */
import { StateMachine } from 'aws-local-stepfunctions';
import { ROUTE53_INSYNC_SECONDS as INSYNC_SECONDS } from '#lib/dns-modes.ts';
import { loadTopology, type Topology } from '#lib/topology.ts';
import { LOCAL_FUNCTIONS } from '#local/runner.ts';
import type { SwitchOrder, WorkflowFunctions } from '#workflows/definition.ts';
import { workflowFor } from '#workflows/from-topology.ts';
import { AGENT_BACKOFF_CAP_SECONDS, INVOKE_SECONDS, PROMOTION_SECONDS } from './projection.ts';

/** Transitions of one modelled run. */
export interface TransitionCount {
  order: SwitchOrder;
  endState: string;
  total: number;
  perState: Record<string, number>;
  /** Modelled seconds from the first switch step to the end. */
  modelSeconds: number;
}

/** Runs the failover ASL of `t` once against the AWS time model. */
export async function countTransitions(t: Topology, order: SwitchOrder): Promise<TransitionCount> {
  const target = t.servers.find((s) => s.id !== t.homeServer)!;
  // An alarm-triggered failover: no approval gate on the path (the example's gate waits for a human).
  const topology: Topology = { ...t, approvals: { ...t.approvals, gates: [] } };
  const definition = workflowFor(
    topology,
    { direction: 'failover', targetServer: target.id },
    LOCAL_FUNCTIONS,
    { order },
  );
  let clock = 0;
  const now = () => clock;
  // The Wait each Task is entered from (a Task entered from elsewhere, e.g. the first reconnection
  // check after CheckDryRun, receives its previous result as null).
  const waitBefore = new Map<string, number>();
  for (const st of Object.values(definition.States) as Record<string, unknown>[])
    if (st.Type === 'Wait') waitBefore.set(String(st.Next), Number(st.Seconds));
  let promotedAt = Number.POSITIVE_INFINITY;
  let dnsAt = Number.POSITIVE_INFINITY;
  let switchStartedAt = Number.NaN;
  const movedAfter = INSYNC_SECONDS + topology.dns.ttl + AGENT_BACKOFF_CAP_SECONDS;
  const stamp = { startedAt: 'x', endedAt: 'x' };
  type Model = (p: Record<string, unknown>) => Promise<unknown> | unknown;
  const model: Record<keyof WorkflowFunctions, Model> = {
    preflight: () => ({
      ...stamp,
      alreadyActive: false,
      redisPromoted: false,
      dryRun: false,
      trigger: 'alarm',
    }),
    verifyOutage: () => ({ ...stamp, confirmed: true, votes: 4, quorum: 2, signals: [], evidence: [] }),
    verifyRecovered: () => ({ ...stamp, confirmed: true }),
    promoteRedis: (p) => {
      if (p.action === 'start') {
        switchStartedAt = Number.isNaN(switchStartedAt) ? now() : switchStartedAt;
        promotedAt = now() + PROMOTION_SECONDS;
        return { ...stamp, state: 'in-progress', mode: 'unplanned', detail: 'modifying', polls: 0 };
      }
      const prev = p.promotion as { polls: number };
      const done = now() >= promotedAt;
      return { ...stamp, state: done ? 'complete' : 'in-progress', mode: 'unplanned', polls: prev.polls + 1 };
    },
    switchLock: () => ({ ...stamp, outcome: 'switched', holder: target.id, epoch: 2 }),
    repointDns: (p) => {
      if (p.action === 'change') {
        switchStartedAt = Number.isNaN(switchStartedAt) ? now() : switchStartedAt;
        dnsAt = now();
        return { ...stamp, outcome: 'changed', changeId: 'C1', status: 'PENDING', polls: 0 };
      }
      const prev = p.dns as { polls: number };
      return {
        ...stamp,
        outcome: 'changed',
        changeId: 'C1',
        status: now() >= dnsAt + INSYNC_SECONDS ? 'INSYNC' : 'PENDING',
        polls: prev.polls + 1,
      };
    },
    confirmReconnect: (p) => {
      const polls = ((p.reconnect as { polls?: number } | null)?.polls ?? 0) + 1;
      const maxPolls = Math.ceil(
        topology.reconnection.timeoutSeconds / topology.reconnection.pollIntervalSeconds,
      );
      const done = now() >= dnsAt + movedAfter && now() >= promotedAt;
      return { ...stamp, done, final: done || polls >= maxPolls, polls, maxPolls };
    },
    report: () => ({ outcome: 'reported' }),
    requestApproval: () => ({ decision: 'approved' }),
  };
  const byArn = new Map(
    Object.entries(LOCAL_FUNCTIONS).map(([k, arn]) => [arn, k as keyof WorkflowFunctions]),
  );
  const handlers: Record<string, (p: unknown) => Promise<unknown>> = {};
  const waits: Record<string, number> = {};
  for (const [name, st] of Object.entries(definition.States) as [string, Record<string, unknown>][]) {
    if (st.Type === 'Wait') waits[name] = 0;
    if (st.Type !== 'Task') continue;
    const key = byArn.get(String(st.Resource));
    if (!key) continue;
    handlers[name] = async (p) => {
      const payload = p as Record<string, unknown>;
      const afterWait =
        name === 'PollRedisPromotion' || (name === 'ConfirmAgentsReconnected' && payload.reconnect);
      clock += (afterWait ? (waitBefore.get(name) ?? 0) : 0) + INVOKE_SECONDS;
      return model[key](payload);
    };
  }
  const sm = new StateMachine(definition as never, {
    validationOptions: { checkArn: true, checkPaths: true },
  });
  const execution = sm.run(
    { trigger: 'alarm', incidentId: 'bench', dryRun: false } as never,
    {
      overrides: { taskResourceLocalHandlers: handlers, waitTimeOverrides: waits },
      context: { Execution: { Id: 'arn:aws:states:local:0:execution:bench:1', Name: '1', StartTime: 'x' } },
    } as never,
  );
  const perState: Record<string, number> = {};
  let last = '';
  const consume = (async () => {
    for await (const ev of execution.eventLogs as AsyncIterable<{ type: string; state: { name: string } }>) {
      if (ev.type !== 'StateEntered') continue;
      perState[ev.state.name] = (perState[ev.state.name] ?? 0) + 1;
      last = ev.state.name;
    }
  })();
  await execution.result.catch(() => undefined);
  await consume;
  return {
    order,
    endState: last,
    total: Object.values(perState).reduce((a, b) => a + b, 0),
    perState,
    modelSeconds: Math.round(now() - switchStartedAt),
  };
}

if (import.meta.main) {
  const t = loadTopology(new URL('../infra/topology.example.json', import.meta.url).pathname);
  for (const order of ['overlapped', 'strict'] as const) {
    const r = await countTransitions(t, order);
    console.log(
      `${order}: ${r.total} transitions, ended ${r.endState}, switch took ${r.modelSeconds} s (modelled)`,
    );
    console.table(r.perState);
  }
}
