/**
 * Starts one execution of a state machine in aws-local-stepfunctions, the way both local runners
 * (the failover/failback workflow and reprotect) run theirs: Waits scaled, retries shortened, each
 * Task resolved to a local handler, and the context object filled as Step Functions fills it.
 */
import { StateMachine } from 'aws-local-stepfunctions';

/** A local stand-in for a Task's resource: takes the task's input, returns its result. */
export type LocalTaskHandler = (payload: unknown) => Promise<unknown>;

/** Options of {@link startLocalExecution}. */
export interface LocalExecutionOptions {
  /** The ASL to run, as the workflow builders return it. */
  definition: { States: Record<string, unknown> };
  input: unknown;
  /** The execution ARN (`$$.Execution.Id`); its last segment is `$$.Execution.Name`. */
  executionId: string;
  /** Wait states take `seconds * waitScale * 1000` ms. */
  waitScale: number;
  /** Every Retry interval, in ms. */
  retryIntervalMs: number;
  /** The handler of the Task state `name`, whose `Resource` is `resource`. */
  taskHandler: (name: string, resource: string) => LocalTaskHandler;
}

/** Validates the definition and starts the execution; the caller reads its `eventLogs` and awaits its `result`. */
export function startLocalExecution(o: LocalExecutionOptions) {
  const handlers: Record<string, LocalTaskHandler> = {};
  const waits: Record<string, number> = {};
  const retries: Record<string, number> = {};
  for (const [name, st] of Object.entries(o.definition.States) as [string, Record<string, unknown>][]) {
    if (st.Type === 'Wait') waits[name] = Math.round(Number(st.Seconds) * o.waitScale * 1000);
    if (st.Type !== 'Task') continue;
    retries[name] = o.retryIntervalMs;
    handlers[name] = o.taskHandler(name, String(st.Resource));
  }
  const sm = new StateMachine(o.definition as never, {
    validationOptions: { checkArn: true, checkPaths: true },
  });
  return sm.run(
    o.input as never,
    {
      overrides: {
        taskResourceLocalHandlers: handlers,
        waitTimeOverrides: waits,
        retryIntervalOverrides: retries,
      },
      context: {
        Execution: {
          Id: o.executionId,
          Input: o.input,
          StartTime: new Date().toISOString(),
          Name: o.executionId.split(':').pop(),
        },
        Task: { Token: `local-token-${crypto.randomUUID()}` },
      },
    } as never,
  );
}
