/** Step Functions {@link TaskCallbacks}: SendTaskSuccess / SendTaskFailure. */
import { SendTaskFailureCommand, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { ApprovalOutput } from './model.ts';
import { type CallbackResult, EXECUTION_ENDED_ERRORS, type TaskCallbacks } from './ports.ts';

/** Maps Step Functions' "the task is gone" errors to a result; rethrows anything else. */
export function executionEnded(e: unknown): CallbackResult | null {
  const name = (e as { name?: string } | null)?.name;
  const known = EXECUTION_ENDED_ERRORS.find((n) => n === name);
  return known ? { outcome: 'execution-ended', error: known, message: (e as Error).message } : null;
}

/** Sends approval decisions to Step Functions. */
export class SfnTaskCallbacks implements TaskCallbacks {
  private readonly client: SFNClient;

  constructor(client: SFNClient) {
    this.client = client;
  }

  async sendSuccess(taskToken: string, output: ApprovalOutput): Promise<CallbackResult> {
    try {
      await this.client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
      return { outcome: 'delivered' };
    } catch (e) {
      const ended = executionEnded(e);
      if (ended) return ended;
      throw e;
    }
  }

  async sendFailure(taskToken: string, error: string, cause: string): Promise<CallbackResult> {
    try {
      await this.client.send(new SendTaskFailureCommand({ taskToken, error, cause }));
      return { outcome: 'delivered' };
    } catch (e) {
      const ended = executionEnded(e);
      if (ended) return ended;
      throw e;
    }
  }
}
