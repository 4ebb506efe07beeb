/**
 * Slack approvals in the sandbox: {@link LocalTaskCallbacks} (Step Functions' task-token callbacks
 * in memory) and {@link startLocalApprovals}, which wires the REAL request-approval and
 * slack-callback handlers to the in-memory token table, the Slack stand-in and local callbacks.
 */
import { randomBytes } from 'node:crypto';
import type { Context } from 'aws-lambda';
import {
  buildApprovalHandler,
  buildApprovalTimeoutHandler,
  buildRequestApprovalHandler,
} from '#functions/request-approval/handler.ts';
import { buildSlackCallbackHandler } from '#functions/slack-callback/handler.ts';
import { InMemoryApprovalStore } from '#lib/approvals/memory-store.ts';
import type { ApprovalOutput } from '#lib/approvals/model.ts';
import type { CallbackResult, TaskCallbacks } from '#lib/approvals/ports.ts';
import { type Clock, systemClock } from '#lib/clock.ts';
import { ApprovalRejected, FailoverError } from '#lib/errors.ts';
import { SlackChatPoster } from '#lib/slack/chat.ts';
import type { Topology } from '#lib/topology.ts';
import {
  localLambdaContext,
  type SlackStandIn,
  serveSlackCallback,
  startSlackStandIn,
} from './slack-standin.ts';

type Settled =
  | { kind: 'success'; output: ApprovalOutput }
  | { kind: 'failure'; error: string; cause: string }
  | { kind: 'closed'; reason: string };

interface Waiter {
  resolve(output: ApprovalOutput): void;
  reject(e: Error): void;
  timer?: NodeJS.Timeout;
}

/** One callback sent to a task token. */
export interface SentCallback {
  token: string;
  kind: 'success' | 'failure';
  output?: ApprovalOutput;
  error?: string;
  cause?: string;
  result: CallbackResult['outcome'];
}

/** The error a failed task becomes: `name` = the SendTaskFailure error, `message` = its cause. */
export function taskFailureError(error: string, cause: string): FailoverError {
  let details: Record<string, unknown> = { cause };
  try {
    const parsed = JSON.parse(cause);
    if (parsed && typeof parsed === 'object') details = parsed;
  } catch {
    // a cause that is not JSON stays text
  }
  // message = cause: aws-local-stepfunctions puts `message` into the Catch `Cause`, as SFN does the cause.
  return error === 'ApprovalRejected'
    ? new ApprovalRejected(cause, details)
    : new FailoverError(error, cause, details);
}

/**
 * Step Functions task-token callbacks in memory. The first `sendSuccess` / `sendFailure` for a
 * token settles it; later ones answer `TaskTimedOut` (the task is closed), as Step Functions does.
 * A callback may come before `wait()` is called: it is kept until then.
 */
export class LocalTaskCallbacks implements TaskCallbacks {
  /** Every callback, in order. */
  readonly sent: SentCallback[] = [];
  private readonly settled = new Map<string, Settled>();
  private readonly waiters = new Map<string, Waiter>();

  /** A token shaped like Step Functions' (opaque, long, base64). */
  static newToken(): string {
    return `AQC${randomBytes(96).toString('base64url')}`;
  }

  private settle(token: string, s: Settled): CallbackResult {
    if (this.settled.has(token))
      return {
        outcome: 'execution-ended',
        error: 'TaskTimedOut',
        message: 'Task Timed Out: the task associated with this token has already been closed',
      };
    this.settled.set(token, s);
    const w = this.waiters.get(token);
    if (w) {
      this.waiters.delete(token);
      if (w.timer) clearTimeout(w.timer);
      this.deliver(s, w);
    }
    return { outcome: 'delivered' };
  }

  private deliver(s: Settled, w: Waiter): void {
    if (s.kind === 'success') w.resolve(s.output);
    else if (s.kind === 'failure') w.reject(taskFailureError(s.error, s.cause));
    else w.reject(new FailoverError('States.Timeout', s.reason));
  }

  async sendSuccess(token: string, output: ApprovalOutput): Promise<CallbackResult> {
    const result = this.settle(token, { kind: 'success', output });
    this.sent.push({ token, kind: 'success', output, result: result.outcome });
    return result;
  }

  async sendFailure(token: string, error: string, cause: string): Promise<CallbackResult> {
    const result = this.settle(token, { kind: 'failure', error, cause });
    this.sent.push({ token, kind: 'failure', error, cause, result: result.outcome });
    return result;
  }

  /**
   * Waits for the token's callback: resolves with the SendTaskSuccess output, rejects with an
   * Error named as the SendTaskFailure error (`ApprovalRejected`, cause in `details`), or with
   * `States.Timeout` after `timeoutMs` (the token is then closed, like a timed-out task).
   */
  wait(token: string, timeoutMs?: number): Promise<ApprovalOutput> {
    return new Promise((resolve, reject) => {
      const done = this.settled.get(token);
      if (done) return this.deliver(done, { resolve, reject });
      if (this.waiters.has(token))
        return reject(new Error(`already waiting for token ${token.slice(0, 12)}…`));
      const w: Waiter = { resolve, reject };
      if (timeoutMs !== undefined) {
        w.timer = setTimeout(() => this.expire(token), timeoutMs);
        w.timer.unref();
      }
      this.waiters.set(token, w);
    });
  }

  /** Closes the token as a task timeout would: a waiter rejects `States.Timeout`; later callbacks answer TaskTimedOut. */
  expire(token: string): void {
    this.settle(token, { kind: 'closed', reason: 'the approval task timed out' });
  }
}

/** Options of {@link startLocalApprovals}. */
export interface LocalApprovalsOptions {
  /** The sandbox topology. When it has no `approvals.slack`, `slack` below fills it in. */
  topology: Topology;
  slack?: { channel?: string; approvers?: string[] };
  /** Default: random. */
  signingSecret?: string;
  /** Default: random `xoxb-...`; the stand-in checks it. */
  botToken?: string;
  clock?: Clock;
  /** Names of Slack users by id (payload usernames, terminal rendering). */
  users?: Record<string, string>;
}

/** The approvals of a sandbox, running. */
export interface LocalApprovals {
  topology: Topology;
  standIn: SlackStandIn;
  store: InMemoryApprovalStore;
  callbacks: LocalTaskCallbacks;
  /** The slack-callback server's URL (the stand-in clicks to it). */
  callbackUrl: string;
  /** The real approval Lambda handler (request, and `action: 'timeout'`) with local ports. */
  approvalHandler: (event: unknown, context?: Context) => Promise<unknown>;
  /**
   * The approval Task as the local workflow runner needs it (an `ApprovalResolver`): runs the
   * real request-approval handler with the Task's Payload, then waits for the decision. The token
   * is made unique per call (`<taskToken>.<n>`), as Step Functions' tokens are per task.
   */
  runApprovalTask(payload: unknown, opts?: { timeoutMs?: number }): Promise<ApprovalOutput>;
  /** The `action: 'timeout'` invocation (`onApprovalTimeout` of the local runner). */
  runApprovalTimeout(payload: unknown): Promise<unknown>;
  stop(): Promise<void>;
}

/** Starts the stand-in, the slack-callback server and the local ports, all wired to the real handlers. */
export async function startLocalApprovals(opts: LocalApprovalsOptions): Promise<LocalApprovals> {
  const clock = opts.clock ?? systemClock;
  const signingSecret = opts.signingSecret ?? randomBytes(16).toString('hex');
  const botToken = opts.botToken ?? `xoxb-sandbox-${randomBytes(8).toString('hex')}`;
  const topology: Topology = opts.topology.approvals.slack
    ? opts.topology
    : {
        ...opts.topology,
        approvals: {
          ...opts.topology.approvals,
          slack: {
            channel: opts.slack?.channel ?? 'C0SANDBOX1',
            approvers: opts.slack?.approvers ?? ['U0SANDBOX1'],
            botTokenSecret: 'sandbox/unused-bot-token',
            signingSecret: 'sandbox/unused-signing-secret',
          },
        },
      };
  const store = new InMemoryApprovalStore({ clock });
  const callbacks = new LocalTaskCallbacks();
  const standIn = await startSlackStandIn({
    signingSecret,
    botToken,
    clock,
    ...(opts.users ? { users: opts.users } : {}),
  });
  const chat = new SlackChatPoster({ token: botToken, slackApiUrl: standIn.apiUrl, retries: 0 });
  const deps = { topology: () => topology, store, chat, clock };
  const callbackHandler = buildSlackCallbackHandler({ ...deps, callbacks, signingSecret });
  const server = await serveSlackCallback(callbackHandler);
  standIn.callbackUrl = server.url;
  const approvalHandler = buildApprovalHandler(deps);
  const request = buildRequestApprovalHandler(deps);
  const timeout = buildApprovalTimeoutHandler(deps);
  let tasks = 0;
  return {
    topology,
    standIn,
    store,
    callbacks,
    callbackUrl: server.url,
    approvalHandler: (event, context) =>
      approvalHandler(event, context ?? localLambdaContext('request-approval')),
    async runApprovalTask(payload, o = {}) {
      // aws-local-stepfunctions gives every task of a run the same `$$.Task.Token`; Step Functions
      // gives each task its own. Make it unique, or a second gate would take the first decision.
      const p = payload as { taskToken?: unknown };
      const token = typeof p.taskToken === 'string' ? `${p.taskToken}.${++tasks}` : p.taskToken;
      await request({ ...(payload as object), taskToken: token }, localLambdaContext('request-approval'));
      return callbacks.wait(token as string, o.timeoutMs);
    },
    runApprovalTimeout: (payload) =>
      timeout({ action: 'timeout', ...(payload as object) }, localLambdaContext('request-approval')),
    async stop() {
      await server.stop();
      await standIn.stop();
    },
  };
}
