/**
 * Path generator for an ASL definition (JSONPath, Task/Choice/Pass/Wait/Succeed/Fail): every path
 * from StartAt to a terminal state, read from the definition itself (each Task's success and each
 * Catch, each Choice rule and its Default, loops bounded by a visit limit), then the step outputs
 * that drive a run down that path, solved from the Choice rules the path passes. A run that leaves
 * the planned path (e.g. stopped by a States.Runtime error) is reported, never hidden.
 */
import { StateMachine } from 'aws-local-stepfunctions';

// biome-ignore lint/suspicious/noExplicitAny: ASL JSON
type AnyState = Record<string, any>;
/** An ASL definition as the workflow builder returns it. */
export interface Asl {
  StartAt: string;
  States: Record<string, AnyState>;
}

/** The branch a path takes in one state. */
export type Branch =
  | { kind: 'next' }
  | { kind: 'rule'; index: number }
  | { kind: 'default' }
  | { kind: 'catch'; index: number; error: string };

/** One state of a path and the branch taken there. */
export interface Step {
  state: string;
  branch: Branch;
}

/** One field constraint from a Choice rule on a Task's output. */
interface Constraint {
  field: string[];
  op: string;
  value: unknown;
  want: boolean;
}

/** A path and what each Task visit must do to take it. */
export interface PlannedPath {
  steps: Step[];
  /** The terminal state. */
  end: string;
  /** The branch choices, readable (e.g. `CheckAlreadyActive=rule1 RunPreflight=ok ...`). */
  name: string;
  /** Per Task state: what each successive call returns or throws. */
  calls: Record<string, ({ throw: string } | { set: { field: string[]; value: unknown }[] })[]>;
}

const STUB_ERROR = 'StubUnexpectedError';

/** A value a Pass state fixed at a path (a Choice on it has one feasible branch). */
interface Fixed {
  path: string[];
  value: unknown;
}

/** The value a Choice variable reads from the fixed values, or `unknown` when a Task wrote it. */
function fixedValue(fixed: Fixed[], path: string[]): { known: boolean; value?: unknown } {
  const w = [...fixed].reverse().find((x) => startsWith(path, x.path));
  if (!w || w.value === TASK) return { known: false };
  let v: unknown = w.value;
  for (const p of path.slice(w.path.length)) v = (v as Record<string, unknown> | null)?.[p];
  return { known: true, value: v };
}
const TASK = Symbol('written by a Task');

function afterWrite(fixed: Fixed[], st: AnyState, branch: Branch): Fixed[] {
  const put = (list: Fixed[], w: Fixed) => [...list.filter((x) => !startsWith(x.path, w.path)), w];
  if (st.Type === 'Pass') {
    const path = segments(st.ResultPath ?? '$');
    if ('Result' in st) return put(fixed, { path, value: st.Result });
    if (st.Parameters && path.length === 0)
      return Object.entries(st.Parameters as Record<string, unknown>)
        .filter(([k]) => !k.endsWith('.$'))
        .reduce((l, [k, v]) => put(l, { path: [k], value: v }), [] as Fixed[]);
    return put(fixed, { path, value: TASK });
  }
  if (st.Type === 'Task' && branch.kind === 'next')
    return put(fixed, { path: segments(st.ResultPath ?? '$'), value: TASK });
  if (st.Type === 'Task' && branch.kind === 'catch')
    return put(fixed, { path: segments(st.Catch[branch.index].ResultPath ?? '$'), value: TASK });
  return fixed;
}

/**
 * Every path from StartAt to a terminal state: every combination of branches, each loop (a poll)
 * taken once more on its own (`loopBudget` = how many times a path may return to a Choice it
 * passed, so the default 1 means: acyclic paths, plus each loop iterated once with every branch
 * after it).
 * Choice branches that contradict a value a Pass state fixed on this path (e.g. the outcome name)
 * are not generated. A branch that goes where a sibling goes (Choice rules with the same Next, a
 * Catch that rejoins its Task's Next) is driven once, on one complete path, not multiplied with
 * everything after it: what follows cannot tell them apart.
 */
export function enumeratePaths(def: Asl, loopBudget = 1): Step[][] {
  const out: Step[][] = [];
  const visits = new Map<string, number>();
  let budget = loopBudget;
  const onceDone = new Set<string>();
  // Inside a "once" subtree: stop as soon as it has produced one path.
  let stopAfter: number | null = null;
  const walk = (name: string, steps: Step[], fixed: Fixed[]) => {
    const st = def.States[name];
    if (!st) throw new Error(`state ${name} is named but not defined`);
    const n = visits.get(name) ?? 0;
    // Entering a Choice again closes a loop: allowed while the budget lasts; any state twice at most.
    if (n >= 2) return;
    const again = n > 0 && st.Type === 'Choice';
    if (again && budget === 0) return;
    if (again) budget--;
    visits.set(name, n + 1);
    const go = (branch: Branch, next: string | undefined, once = false) => {
      if (stopAfter !== null && out.length > stopAfter) return;
      const here = [...steps, { state: name, branch }];
      if (next === undefined) return void out.push(here);
      if (!once || stopAfter !== null) return walk(next, here, afterWrite(fixed, st, branch));
      const key = `${name}#${JSON.stringify(branch)}`;
      if (onceDone.has(key)) return;
      stopAfter = out.length;
      walk(next, here, afterWrite(fixed, st, branch));
      if (out.length > stopAfter) onceDone.add(key);
      stopAfter = null;
    };
    switch (st.Type) {
      case 'Succeed':
      case 'Fail':
        go({ kind: 'next' }, undefined);
        break;
      case 'Pass':
      case 'Wait':
        go({ kind: 'next' }, st.End ? undefined : st.Next);
        break;
      case 'Task': {
        go({ kind: 'next' }, st.End ? undefined : st.Next);
        const covered = new Set<string>();
        (st.Catch ?? []).forEach((c: AnyState, index: number) => {
          const names = c.ErrorEquals as string[];
          const error = names.find((e) => e !== 'States.ALL' && !covered.has(e)) ?? STUB_ERROR;
          const reaches =
            !covered.has('States.ALL') &&
            (names.includes(error) || (names.includes('States.ALL') && !covered.has(error)));
          for (const e of names) covered.add(e);
          if (reaches) go({ kind: 'catch', index, error }, c.Next, c.Next === st.Next);
        });
        break;
      }
      case 'Choice': {
        const rules = st.Choices as AnyState[];
        // With a fixed value only the first rule that holds is taken (and Default if none does).
        const fixedOutcome = (i: number) => {
          const { variable, op, value } = ruleOf(rules[i]!);
          const f = fixedValue(fixed, segments(variable));
          return f.known && f.value !== undefined ? holds(op, value, f.value) : undefined;
        };
        let decided = false;
        const taken = new Set<string>();
        rules.forEach((c, index) => {
          if (decided) return;
          const f = fixedOutcome(index);
          if (f === false) return;
          if (f === true) decided = true;
          go({ kind: 'rule', index }, c.Next, taken.has(c.Next));
          taken.add(c.Next);
        });
        if (st.Default && !decided) go({ kind: 'default' }, st.Default, taken.has(st.Default));
        break;
      }
      default:
        throw new Error(`state ${name}: type ${st.Type} is not supported by the path generator`);
    }
    visits.set(name, n);
    if (again) budget++;
  };
  walk(def.StartAt, [], []);
  return out;
}

const OPS = [
  'BooleanEquals',
  'StringEquals',
  'NumericGreaterThanEquals',
  'NumericEquals',
  'IsNull',
  'IsPresent',
];

function ruleOf(rule: AnyState): { variable: string; op: string; value: unknown } {
  const op = OPS.find((o) => o in rule);
  if (!op || typeof rule.Variable !== 'string')
    throw new Error(`Choice rule ${JSON.stringify(rule)}: the path generator supports ${OPS.join(', ')}`);
  return { variable: rule.Variable, op, value: rule[op] };
}

function holds(op: string, value: unknown, actual: unknown): boolean {
  switch (op) {
    case 'BooleanEquals':
    case 'StringEquals':
    case 'NumericEquals':
      return actual === value;
    case 'NumericGreaterThanEquals':
      return typeof actual === 'number' && actual >= (value as number);
    case 'IsNull':
      return (actual === null) === value;
    case 'IsPresent':
      return (actual !== undefined) === value;
    default:
      throw new Error(`unsupported operator ${op}`);
  }
}

const segments = (path: string) => (path === '$' ? [] : path.replace(/^\$\./, '').split('.'));
const startsWith = (a: string[], prefix: string[]) => prefix.every((p, i) => a[i] === p);

function candidates(c: Constraint[], baseline: unknown): unknown[] {
  const out: unknown[] = [baseline];
  for (const k of c) {
    out.push(k.value);
    if (k.op === 'BooleanEquals') out.push(!k.value);
    if (k.op.startsWith('Numeric')) out.push((k.value as number) - 1, (k.value as number) + 1, 0);
  }
  return out;
}

/**
 * Solves the Task outputs that make a run take `steps`, or returns null when no output can (the
 * path is infeasible: e.g. a Choice that reads a value a Pass state fixed).
 * `baseline(state)` is the output a step returns when nothing forces otherwise.
 */
export function planPath(
  def: Asl,
  steps: Step[],
  baseline: (state: string, input?: unknown) => unknown,
): PlannedPath | null {
  // Who last wrote each ResultPath: a Task call (constraints go to it) or a Pass with a fixed value.
  type Writer =
    | { kind: 'task'; state: string; call: number; path: string[] }
    | { kind: 'fixed'; path: string[]; value: unknown };
  let writers: Writer[] = [];
  const callCount = new Map<string, number>();
  const constraints = new Map<string, Constraint[]>(); // `${state}#${call}` -> constraints
  const write = (w: Writer) => {
    writers = writers.filter((x) => !startsWith(x.path, w.path));
    writers.push(w);
  };
  for (const { state, branch } of steps) {
    const st = def.States[state]!;
    if (st.Type === 'Pass') {
      const path = segments(st.ResultPath ?? '$');
      if ('Result' in st) write({ kind: 'fixed', path, value: st.Result });
      else if (st.Parameters && path.length === 0)
        for (const [k, v] of Object.entries(st.Parameters as Record<string, unknown>))
          if (!k.endsWith('.$')) write({ kind: 'fixed', path: [k], value: v });
    }
    if (st.Type === 'Task') {
      const call = callCount.get(state) ?? 0;
      callCount.set(state, call + 1);
      if (branch.kind === 'next') write({ kind: 'task', state, call, path: segments(st.ResultPath ?? '$') });
    }
    if (st.Type !== 'Choice') continue;
    const rules = st.Choices as AnyState[];
    const upto = branch.kind === 'rule' ? branch.index : rules.length - 1;
    for (let i = 0; i <= upto; i++) {
      const { variable, op, value } = ruleOf(rules[i]!);
      const want = branch.kind === 'rule' && branch.index === i;
      const path = segments(variable);
      const w = [...writers].reverse().find((x) => startsWith(path, x.path));
      if (!w) continue; // read from the execution input or nowhere: the run itself shows it
      if (w.kind === 'fixed') {
        let v: unknown = w.value;
        for (const p of path.slice(w.path.length)) v = (v as Record<string, unknown> | null)?.[p];
        // A path into a value that is not there is a States.Runtime error: run it, the run shows it.
        if (v === undefined && op !== 'IsPresent') continue;
        if (holds(op, value, v) !== want) return null;
        continue;
      }
      const key = `${w.state}#${w.call}`;
      constraints.set(key, [
        ...(constraints.get(key) ?? []),
        { field: path.slice(w.path.length), op, value, want },
      ]);
    }
  }

  const calls: PlannedPath['calls'] = {};
  const seen = new Map<string, number>();
  for (const { state, branch } of steps) {
    if (def.States[state]!.Type !== 'Task') continue;
    const call = seen.get(state) ?? 0;
    seen.set(state, call + 1);
    calls[state] ??= [];
    const list = calls[state];
    if (branch.kind === 'catch') {
      list.push({ throw: branch.error });
      continue;
    }
    const mine = constraints.get(`${state}#${call}`) ?? [];
    const byField = new Map<string, Constraint[]>();
    for (const c of mine) byField.set(c.field.join('.'), [...(byField.get(c.field.join('.')) ?? []), c]);
    const set: { field: string[]; value: unknown }[] = [];
    for (const [field, cs] of byField) {
      let base: unknown = baseline(state);
      for (const p of cs[0]!.field) base = (base as Record<string, unknown> | null)?.[p];
      const v = candidates(cs, base).find((x) => cs.every((c) => holds(c.op, c.value, x) === c.want));
      if (v === undefined && !cs.every((c) => holds(c.op, c.value, undefined) === c.want)) return null;
      set.push({ field: field.split('.'), value: v });
    }
    list.push({ set });
  }
  const name = steps
    .filter((s) => s.branch.kind !== 'next')
    .map((s) =>
      s.branch.kind === 'rule'
        ? `${s.state}->${def.States[s.state]!.Choices[s.branch.index].Next}`
        : s.branch.kind === 'default'
          ? `${s.state}->${def.States[s.state]!.Default}`
          : `${s.state}!${(s.branch as { error: string }).error}`,
    )
    .join(' ');
  return { steps, end: steps.at(-1)!.state, name, calls };
}

function withFields(base: unknown, set: { field: string[]; value: unknown }[]): unknown {
  const out = structuredClone(base) as Record<string, unknown>;
  for (const { field, value } of set) {
    let o = out;
    for (const p of field.slice(0, -1)) {
      o[p] ??= {};
      o = o[p] as Record<string, unknown>;
    }
    o[field.at(-1)!] = value;
  }
  return out;
}

/** What one planned run did. */
export interface PathRun {
  /** The states entered, in order. */
  entered: string[];
  status: 'SUCCEEDED' | 'FAILED';
  /** The execution's error (the Fail state's name, or e.g. States.Runtime). */
  error?: string;
  cause?: string;
  /** The largest state input or output of the run, in UTF-8 bytes of its JSON. */
  maxStateBytes: number;
  /** Every Task's effective input (after Parameters), by state, in call order. */
  taskInputs: Record<string, unknown[]>;
}

/** The engine for a definition (validated once; run it once per path). */
export function machineOf(def: Asl): StateMachine {
  return new StateMachine(def as never, { validationOptions: { checkArn: true, checkPaths: true } });
}

/**
 * Runs `def` down a planned path with stub Tasks (baseline outputs adjusted as planned), every Wait
 * and retry interval at 0.
 */
export async function runPath(
  def: Asl,
  machine: StateMachine,
  plan: PlannedPath,
  baseline: (state: string, input: unknown) => unknown,
  input: unknown,
): Promise<PathRun> {
  const handlers: Record<string, (i: unknown) => Promise<unknown>> = {};
  const waits: Record<string, number> = {};
  const retries: Record<string, number> = {};
  const taskInputs: Record<string, unknown[]> = {};
  for (const [name, st] of Object.entries(def.States)) {
    if (st.Type === 'Wait') waits[name] = 0;
    if (st.Type !== 'Task') continue;
    retries[name] = 0;
    handlers[name] = async (i) => {
      taskInputs[name] ??= [];
      const n = taskInputs[name].push(i) - 1;
      const planned = plan.calls[name]?.[n];
      if (!planned)
        throw Object.assign(new Error(`unplanned call ${n + 1} of ${name}`), { name: 'Unplanned' });
      if ('throw' in planned)
        throw Object.assign(new Error(`stub: ${planned.throw}`), { name: planned.throw });
      return withFields(baseline(name, i), planned.set);
    };
  }
  const execution = machine.run(
    input as never,
    {
      overrides: {
        taskResourceLocalHandlers: handlers as never,
        waitTimeOverrides: waits,
        retryIntervalOverrides: retries,
      },
      context: {
        Execution: {
          Id: 'arn:aws:states:us-east-1:000000000000:execution:paths:run',
          Input: input,
          StartTime: '2026-01-01T00:00:00.000Z',
          Name: 'run',
        },
        Task: { Token: 'local-token' },
      },
    } as never,
  );
  const entered: string[] = [];
  let maxStateBytes = 0;
  const size = (v: unknown) => (v === undefined ? 0 : Buffer.byteLength(JSON.stringify(v), 'utf8'));
  let failure: { error?: string; cause?: string } = {};
  const consume = (async () => {
    for await (const ev of execution.eventLogs) {
      const e = ev as {
        type: string;
        state?: { name: string; input?: unknown; output?: unknown };
        Error?: string;
        Cause?: unknown;
      };
      if (e.type === 'StateEntered') entered.push(e.state!.name);
      if (e.state) maxStateBytes = Math.max(maxStateBytes, size(e.state.input), size(e.state.output));
      if (e.type === 'ExecutionFailed') failure = { error: e.Error, cause: String(e.Cause ?? '') };
    }
  })();
  let status: PathRun['status'] = 'SUCCEEDED';
  try {
    await execution.result;
  } catch (err) {
    status = 'FAILED';
    if (!failure.error) failure = { error: (err as Error).name, cause: (err as Error).message };
  }
  await consume;
  return { entered, status, ...failure, maxStateBytes, taskInputs };
}
