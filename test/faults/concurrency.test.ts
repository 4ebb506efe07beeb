/**
 * Fault scenario: two alarms at once. The REAL trigger Lambda handler (decide() + StartExecution
 * with the incident's deterministic execution name) runs against a local Step Functions stand-in
 * that keeps execution names unique exactly as Step Functions does (REFERENCE.md): a repeated
 * StartExecution with the same name and input while it runs returns the same execution, any other
 * reuse of the name fails `ExecutionAlreadyExists`. Each started execution runs the failover
 * workflow locally, with the stand-in as the preflight's RunRegistry (other RUNNING executions).
 */
import '#local/quiet.ts';
import { DescribeExecutionCommand, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { buildTriggerHandler, type TriggerResult } from '#functions/trigger/handler.ts';
import type { RunRegistry } from '#lib/wiring.ts';
import type { LocalRunResult, TimelineEvent } from '#local/runner.ts';
import type { AlarmStateChangeEvent } from '#local/sandbox/index.ts';
import {
  caughtError,
  expectAgentsOn,
  expectInvariants,
  faultWorld,
  runFailover,
  systemState,
  type World,
} from './support.ts';

const MACHINE = 'arn:aws:states:us-west-2:123456789012:stateMachine:gloo-mgmt-failover-to-mgmt-west';

interface Execution {
  name: string;
  arn: string;
  input: string;
  startDate: Date;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  stopDate?: Date;
  result: Promise<LocalRunResult>;
}

/** Step Functions' StartExecution name rules, in memory; each execution runs the workflow locally. */
class LocalStepFunctions implements RunRegistry {
  readonly executions = new Map<string, Execution>();
  readonly calls: { name: string; outcome: 'started' | 'same-execution' | 'ExecutionAlreadyExists' }[] = [];
  private readonly runner: (
    arn: string,
    input: unknown,
    onEvent: (e: TimelineEvent) => void,
  ) => Promise<LocalRunResult>;
  private readonly listeners: ((arn: string, e: TimelineEvent) => void)[] = [];

  constructor(run: LocalStepFunctions['runner']) {
    this.runner = run;
  }

  /** The SFNClient calls the trigger makes: StartExecution, and DescribeExecution after a name clash. */
  async send(cmd: unknown): Promise<unknown> {
    if (cmd instanceof DescribeExecutionCommand) {
      const e = [...this.executions.values()].find((x) => x.arn === cmd.input.executionArn);
      if (!e) throw Object.assign(new Error('Execution Does Not Exist'), { name: 'ExecutionDoesNotExist' });
      return {
        executionArn: e.arn,
        name: e.name,
        status: e.status,
        startDate: e.startDate,
        stopDate: e.stopDate,
      };
    }
    if (!(cmd instanceof StartExecutionCommand))
      throw new Error('only StartExecution and DescribeExecution are served here');
    const { name = '', input = '{}' } = cmd.input;
    const arn = `${MACHINE.replace(':stateMachine:', ':execution:')}:${name}`;
    const existing = this.executions.get(name);
    if (existing) {
      if (existing.status === 'RUNNING' && existing.input === input) {
        this.calls.push({ name, outcome: 'same-execution' });
        return { executionArn: arn, startDate: existing.startDate };
      }
      this.calls.push({ name, outcome: 'ExecutionAlreadyExists' });
      const e = new Error(`Execution Already Exists: '${arn}'`);
      e.name = 'ExecutionAlreadyExists';
      throw Object.assign(e, { $fault: 'client', $metadata: { httpStatusCode: 400 } });
    }
    const startDate = new Date();
    const exec: Execution = {
      name,
      arn,
      input,
      startDate,
      status: 'RUNNING',
      result: Promise.resolve() as never,
    };
    this.executions.set(name, exec);
    this.calls.push({ name, outcome: 'started' });
    exec.result = this.runner(arn, JSON.parse(input), (e) => {
      for (const l of this.listeners) l(arn, e);
    }).then((r) => {
      exec.status = r.status;
      exec.stopDate = new Date();
      return r;
    });
    return { executionArn: arn, startDate };
  }

  /** RunRegistry: every other execution still RUNNING (what ListExecutions statusFilter=RUNNING gives). */
  async othersRunning(executionId: string): Promise<{ id: string; startedAt: string }[]> {
    return [...this.executions.values()]
      .filter((e) => e.status === 'RUNNING' && e.arn !== executionId)
      .map((e) => ({ id: e.arn, startedAt: e.startDate.toISOString() }));
  }

  /** Resolves when an execution enters `state`. */
  entered(state: string): Promise<string> {
    return new Promise((resolve) =>
      this.listeners.push((arn, e) => {
        if (e.kind === 'state-entered' && e.state === state) resolve(arn);
      }),
    );
  }

  async results(): Promise<Record<string, LocalRunResult>> {
    const out: Record<string, LocalRunResult> = {};
    for (const e of this.executions.values()) out[e.name] = await e.result;
    return out;
  }
}

/** A second alarm name for the source server, so two different alarms can fire for one outage. */
const twoAlarms = (w: World['t']): World['t'] => ({
  ...w,
  servers: w.servers.map((s, i) =>
    i === 0 ? { ...s, alarmNames: [...s.alarmNames, `sandbox-${s.id}-health-down`] } : s,
  ) as World['t']['servers'],
});

/** The trigger handler of region B's stack, on the local Step Functions. */
function trigger(w: World, sfn: LocalStepFunctions) {
  const h = buildTriggerHandler({
    topology: () => w.t,
    sfn: () => sfn as unknown as SFNClient,
    stateMachineArn: MACHINE,
    targetServer: w.sb.clusters[1],
  });
  return (event: unknown) =>
    h(event as never, { awsRequestId: crypto.randomUUID() } as Context) as Promise<TriggerResult>;
}

function localSfn(w: World): LocalStepFunctions {
  const sfn: LocalStepFunctions = new LocalStepFunctions((arn, input, onEvent) =>
    runFailover(w, { input, executionId: arn, onEvent, ports: { ...w.ports, runs: sfn } }),
  );
  return sfn;
}

/** The real ALARM event of region A's outage. */
async function outageAlarm(w: World): Promise<AlarmStateChangeEvent> {
  const alarm = new Promise<AlarmStateChangeEvent>((resolve) =>
    w.sb.events.on('alarm', (ev: AlarmStateChangeEvent) => {
      if (ev.detail.state.value === 'ALARM') resolve(ev);
    }),
  );
  await w.sb.killRegion(w.sb.regionNames[0]);
  return alarm;
}

/** The same event for another alarm name, `shiftMs` later. */
function otherAlarm(ev: AlarmStateChangeEvent, alarmName: string, shiftMs = 0): AlarmStateChangeEvent {
  const at = new Date(Date.parse(ev.detail.state.timestamp.replace(/\+0000$/, 'Z')) + shiftMs);
  const stamp = at.toISOString().replace('Z', '+0000');
  return {
    ...ev,
    id: crypto.randomUUID(),
    time: at.toISOString().replace(/\.\d+Z$/, 'Z'),
    detail: { ...ev.detail, alarmName, state: { ...ev.detail.state, timestamp: stamp } },
  };
}

// Scenarios run concurrently (at most FAULT_CONCURRENCY, default 2, at once: see support.ts).
describe.concurrent('fault scenarios', { timeout: 120_000 }, () => {
  describe('two alarms at once', () => {
    it('starts exactly one run for two alarms (and a redelivery) of one incident, and it converges', async (ctx) => {
      // prepare
      const w = await faultWorld(ctx, {}, twoAlarms);
      const [, b] = w.sb.regionNames;
      const [east, west] = w.sb.clusters;
      const sfn = localSfn(w);
      const start = trigger(w, sfn);
      const first = await outageAlarm(w);
      const second = otherAlarm(first, `sandbox-${east}-health-down`, 1_000);
      // act: both alarms and an EventBridge redelivery of the first, all at once
      const answers = await Promise.all([start(first), start(second), start(first)]);
      const results = await sfn.results();
      // assess
      expect(sfn.executions.size).toBe(1);
      const [name] = sfn.executions.keys();
      expect(answers.map((a) => (a as { executionName?: string }).executionName)).toEqual([name, name, name]);
      expect(sfn.calls.map((c) => c.outcome).sort()).toEqual([
        'ExecutionAlreadyExists',
        'same-execution',
        'started',
      ]);
      expect(answers.filter((a) => !a.started && 'alreadyRunning' in a && a.alreadyRunning)).toHaveLength(1);
      expect(results[name!]!.endState).toBe('FailedOver');
      expect((await systemState(w)).locks[b]).toEqual({ holder: west, epoch: 2 });
      await expectAgentsOn(w, west);
      expectInvariants(w);
    });

    it('refuses a second run (RunInProgress) that starts while the first runs; nothing changed by it', async (ctx) => {
      // prepare: the second alarm falls into the next incident window, so it gets its own name
      const w = await faultWorld(ctx, {}, twoAlarms);
      const [, b] = w.sb.regionNames;
      const [east, west] = w.sb.clusters;
      const sfn = localSfn(w);
      const start = trigger(w, sfn);
      const first = await outageAlarm(w);
      const verifying = sfn.entered('VerifySourceOutage');
      // act
      expect((await start(first)).started).toBe(true);
      await verifying;
      const second = await start(otherAlarm(first, `sandbox-${east}-health-down`, 30 * 60_000));
      const results = await sfn.results();
      // assess
      expect(second.started).toBe(true);
      expect(sfn.executions.size).toBe(2);
      const [one, two] = [...sfn.executions.keys()];
      expect(results[one!]!.endState).toBe('FailedOver');
      expect(results[two!]!.endState).toBe('TargetNotReady');
      expect(caughtError(results[two!]!).Error).toBe('RunInProgress');
      expect((await systemState(w)).locks[b]).toEqual({ holder: west, epoch: 2 });
      await expectAgentsOn(w, west);
      expectInvariants(w);
    });

    it('lets exactly one of two runs started at the same instant (different incident names) fail over', async (ctx) => {
      // prepare: two alarms either side of an incident-window boundary, delivered together
      const w = await faultWorld(ctx, {}, twoAlarms);
      const [, b] = w.sb.regionNames;
      const [east, west] = w.sb.clusters;
      const sfn = localSfn(w);
      const start = trigger(w, sfn);
      const first = await outageAlarm(w);
      // act
      await Promise.all([start(first), start(otherAlarm(first, `sandbox-${east}-health-down`, 30 * 60_000))]);
      const results = await sfn.results();
      // assess: one fails over, the other is refused; never zero (the outage must be handled)
      const ends = Object.values(results)
        .map((r) => r.endState)
        .sort();
      expect(
        ends,
        'two runs started at the same instant refuse each other (RunInProgress): nobody fails over',
      ).toEqual(['FailedOver', 'TargetNotReady']);
      expect((await systemState(w)).locks[b]).toEqual({ holder: west, epoch: 2 });
      await expectAgentsOn(w, west);
      expectInvariants(w);
    });
  });
});
