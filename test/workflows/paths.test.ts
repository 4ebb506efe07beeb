/**
 * Every path of the workflow ASL x every gate combination, run locally (aws-local-stepfunctions)
 * with stub steps that drive each branch. The paths are generated from the definition (each Task's
 * success and Catch, each Choice rule and Default; loops taken at most twice), so a new state or
 * branch is covered without editing this file. No run may end in an uncaught runtime error
 * (States.Runtime: "a path that points at nothing"; States.DataLimitExceeded: state > 262,144
 * bytes), both uncatchable by States.ALL (AWS Step Functions Developer Guide, "Error handling in
 * Step Functions" and "Step Functions service quotas").
 */
import { describe, expect, it } from 'vitest';
import { ConfirmReconnectInput } from '#functions/confirm-reconnect/handler.ts';
import { PreflightInput } from '#functions/preflight/handler.ts';
import { PromoteRedisInput } from '#functions/promote-redis/handler.ts';
import { RepointDnsInput } from '#functions/repoint-dns/handler.ts';
import { ReportInput } from '#functions/report/handler.ts';
import { ApprovalTimeoutInputSchema } from '#functions/request-approval/request-approval.ts';
import { SwitchLockInput } from '#functions/switch-lock/handler.ts';
import { VerifyOutageInput } from '#functions/verify-outage/handler.ts';
import { VerifyRecoveredInput } from '#functions/verify-recovered/handler.ts';
import { ApprovalRequestSchema } from '#lib/approvals/model.ts';
import { describeSet } from '#lib/expected-set.ts';
import { DnsResult, LockResult, Plan, Promotion, Reconnect, Verification } from '#lib/state.ts';
import { GATES, loadTopology, type Topology } from '#lib/topology.ts';
import type * as z from '#lib/z.ts';
import { LOCAL_FUNCTIONS } from '#local/runner.ts';
import type { WorkflowFunctions } from '#workflows/definition.ts';
import { workflowFor } from '#workflows/from-topology.ts';
import { type Asl, enumeratePaths, machineOf, type PlannedPath, planPath, runPath } from './asl-paths.ts';

/** Step Functions' maximum state payload (input or output), bytes. */
const STATE_LIMIT_BYTES = 262_144;

const topology = loadTopology('infra/topology.example.json');
const at = '2026-01-01T00:00:00.000Z';
const input = { trigger: 'manual', incidentId: 'paths', requestedBy: 'path-test' };

type Key = keyof WorkflowFunctions | 'gate';
const keyOf = (def: Asl, state: string): Key => {
  const resource = String(def.States[state]!.Resource);
  if (resource.endsWith('.waitForTaskToken')) return 'gate';
  const k = Object.entries(LOCAL_FUNCTIONS).find(([, arn]) => arn === resource)?.[0];
  if (!k) throw new Error(`${state}: unknown resource ${resource}`);
  return k as Key;
};

/** What each step's handler parses (the Task's effective input must pass it). */
const INPUTS: Record<Key, z.ZodMiniType> = {
  preflight: PreflightInput,
  verifyOutage: VerifyOutageInput,
  verifyRecovered: VerifyRecoveredInput,
  promoteRedis: PromoteRedisInput,
  switchLock: SwitchLockInput,
  repointDns: RepointDnsInput,
  confirmReconnect: ConfirmReconnectInput,
  report: ReportInput,
  requestApproval: ApprovalTimeoutInputSchema,
  gate: ApprovalRequestSchema,
};
/** What each step returns (a stub's output must pass it, so stubs cannot invent shapes). */
const OUTPUTS: Partial<Record<Key, z.ZodMiniType>> = {
  preflight: Plan,
  verifyOutage: Verification,
  verifyRecovered: Verification,
  promoteRedis: Promotion,
  switchLock: LockResult,
  repointDns: DnsResult,
  confirmReconnect: Reconnect,
};

const polls = (prev: unknown) => ((prev as { polls?: number } | undefined)?.polls ?? -1) + 1;

/** A plausible output of each step when no branch forces a field. */
function baseline(key: Key, i?: unknown): unknown {
  const p = (i ?? {}) as Record<string, unknown>;
  switch (key) {
    case 'preflight':
      return Plan.parse({
        startedAt: at,
        endedAt: at,
        dryRun: false,
        trigger: 'manual',
        alreadyActive: false,
        redisPromoted: false,
        before: {
          lock: { holder: 'mgmt-east', epoch: 1, readFrom: 'us-east-1' },
          redisPrimary: 'us-east-1',
          dns: { ttl: 30, values: ['10.0.0.1'] },
          dnsPointsTo: 'mgmt-east',
        },
        expectedClusters: describeSet(['workload-1'], 'topology'),
        expectedClustersSource: 'static',
        targetReadiness: ['stub'],
        warnings: [],
      });
    case 'verifyOutage':
    case 'verifyRecovered':
      return {
        startedAt: at,
        endedAt: at,
        confirmed: true,
        skipped: false,
        want: key === 'verifyOutage' ? 'down' : 'up',
        votes: 2,
        against: 0,
        quorum: 2,
        signals: [],
        evidence: ['relay: down (stub)'],
      };
    case 'promoteRedis':
      return {
        startedAt: at,
        endedAt: at,
        state: 'in-progress',
        mode: 'unplanned',
        detail: 'stub',
        polls: polls(p.promotion),
      };
    case 'switchLock':
      return {
        startedAt: at,
        endedAt: at,
        outcome: 'switched',
        previousHolder: 'mgmt-east',
        previousEpoch: 1,
        holder: 'mgmt-west',
        epoch: 2,
        sourceFence: 'unreachable',
        sourceFenceDetail: 'stub',
      };
    case 'repointDns':
      return {
        startedAt: at,
        endedAt: at,
        outcome: 'changed',
        changeId: 'C1',
        status: 'PENDING',
        before: ['10.0.0.1'],
        after: ['10.0.0.2'],
        polls: polls(p.dns),
      };
    case 'confirmReconnect': {
      const n = polls(p.reconnect) + 1;
      return {
        startedAt: at,
        endedAt: at,
        done: false,
        final: false,
        expected: 1,
        connected: 0,
        fraction: 0,
        missing: [{ cluster: 'workload-1', reason: 'stub' }],
        polls: n,
        maxPolls: 30,
        detail: 'stub',
      };
    }
    case 'report':
      return { outcome: 'stub', summary: 'stub' };
    case 'gate':
    case 'requestApproval':
      return { decision: 'approved', by: 'U0STUB0001', byName: 'stub', at };
  }
}

const subsets = <T>(xs: readonly T[]): T[][] =>
  Array.from({ length: 2 ** xs.length }, (_, mask) => xs.filter((_, i) => mask & (1 << i)));

interface Combo {
  label: string;
  direction: 'failover' | 'failback';
  gates: (typeof GATES)[number][];
  onTimeout: Topology['approvals']['onTimeout'];
}
const combos: Combo[] = (['failover', 'failback'] as const).flatMap((direction) =>
  subsets(GATES).flatMap((gates) =>
    (['reject', 'proceed-if-alarm'] as const).map((onTimeout) => ({
      label: `${direction}, gates [${gates.join(', ')}], onTimeout ${onTimeout}`,
      direction,
      gates,
      onTimeout,
    })),
  ),
);

function definitionOf(c: Combo): Asl {
  const t: Topology = {
    ...topology,
    approvals: { ...topology.approvals, gates: c.gates, onTimeout: c.onTimeout },
  };
  return workflowFor(
    t,
    { direction: c.direction, targetServer: c.direction === 'failover' ? 'mgmt-west' : 'mgmt-east' },
    LOCAL_FUNCTIONS,
  ) as Asl;
}

/** Runs every planned path of a definition; returns what went wrong (empty = all good) and stats. */
async function runAll(def: Asl, plans: PlannedPath[]) {
  const problems: string[] = [];
  let maxStateBytes = 0;
  const machine = machineOf(def);
  for (const plan of plans) {
    const stub = (state: string, i?: unknown) => {
      const key = keyOf(def, state);
      return baseline(key, i);
    };
    const run = await runPath(def, machine, plan, stub, input);
    maxStateBytes = Math.max(maxStateBytes, run.maxStateBytes);
    const want = plan.steps.map((s) => s.state);
    const end = def.States[plan.end]!;
    const where = `[${plan.name || 'straight through'}] -> ${plan.end}`;
    if (run.entered.join('>') !== want.join('>'))
      problems.push(
        `${where}: left the planned path after ${run.entered.at(-1)} (${run.error}: ${run.cause})`,
      );
    else if (end.Type === 'Fail' ? run.error !== end.Error : run.status !== 'SUCCEEDED')
      problems.push(`${where}: ended ${run.status} ${run.error ?? ''} ${run.cause ?? ''}`);
    if (run.maxStateBytes >= STATE_LIMIT_BYTES)
      problems.push(`${where}: a state of ${run.maxStateBytes} bytes (States.DataLimitExceeded)`);
    for (const [state, calls] of Object.entries(run.taskInputs)) {
      const key = keyOf(def, state);
      const schema = key === 'gate' ? INPUTS.gate : INPUTS[key];
      for (const payload of calls) {
        const body = key === 'gate' ? (payload as { Payload: unknown }).Payload : payload;
        const r = schema.safeParse(body);
        if (!r.success)
          problems.push(
            `${where}: ${state} sends what its handler refuses: ${r.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`,
          );
      }
    }
    for (const [state, calls] of Object.entries(plan.calls)) {
      const schema = OUTPUTS[keyOf(def, state)];
      if (!schema) continue;
      for (const [n, c] of calls.entries())
        if ('set' in c) {
          const out = structuredClone(baseline(keyOf(def, state))) as Record<string, unknown>;
          for (const { field, value } of c.set) {
            let o = out;
            for (const f of field.slice(0, -1)) o = o[f] as Record<string, unknown>;
            o[field.at(-1)!] = value;
          }
          if (!schema.safeParse(out).success)
            problems.push(`${where}: the stub output of ${state} (call ${n + 1}) is not a valid step output`);
        }
    }
  }
  return { problems, maxStateBytes };
}

describe('every path of the workflow x every gate combination (local, stub steps)', () => {
  const distinct = new Map<string, { def: Asl; combos: Combo[] }>();
  for (const c of combos) {
    const def = definitionOf(c);
    const key = JSON.stringify(def.States);
    const entry = distinct.get(key) ?? { def, combos: [] };
    entry.combos.push(c);
    distinct.set(key, entry);
  }
  const planned = [...distinct.values()].map(({ def, combos: cs }) => {
    const paths = enumeratePaths(def);
    const plans = paths
      .map((steps) => planPath(def, steps, (s, i) => baseline(keyOf(def, s), i)))
      .filter((p): p is PlannedPath => p !== null);
    return { def, combos: cs, paths: paths.length, plans };
  });
  const total = planned.reduce((n, p) => n + p.plans.length, 0);

  for (const p of planned)
    it(`runs all ${p.plans.length} feasible paths (of ${p.paths} generated) of ${p.combos.map((c) => c.label).join(' | ')} without a runtime error`, async () => {
      const { problems, maxStateBytes } = await runAll(p.def, p.plans);
      expect(problems).toEqual([]);
      expect(maxStateBytes).toBeLessThan(STATE_LIMIT_BYTES);
    });

  it(`covers every outcome and both entry paths past preflight (${total} paths over ${distinct.size} distinct definitions, ${combos.length} direction x gates x timeout-policy combinations)`, () => {
    const ends = new Set(planned.flatMap((p) => p.plans.map((x) => x.end)));
    for (const p of planned)
      for (const name of Object.keys(p.def.States))
        if (['Succeed', 'Fail'].includes(p.def.States[name]!.Type))
          expect(ends.has(name), `${name} is never reached by a generated path`).toBe(true);
    // Fresh run, re-run after the point of no return, already active: all three entries exist.
    const names = planned.flatMap((p) => p.plans.map((x) => x.name));
    for (const rule of [
      'CheckAlreadyActive->SetOutcomeAlreadyActive',
      'CheckAlreadyActive->StartRedisPromotion',
      'CheckAlreadyActive->Verify',
    ])
      expect(
        names.some((n) => n.includes(rule)),
        rule,
      ).toBe(true);
    console.info(
      `workflow paths: ${total} runs (${distinct.size} distinct definitions from ${combos.length} combinations):\n${planned
        .map(
          (p) => `  ${String(p.plans.length).padStart(4)} paths: ${p.combos.map((c) => c.label).join(' | ')}`,
        )
        .join('\n')}`,
    );
  });
});
