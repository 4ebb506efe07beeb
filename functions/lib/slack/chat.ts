/**
 * Slack {@link ChatPoster}: `@slack/web-api` WebClient for chat.postMessage / chat.update (its base
 * URL overridable with `slackApiUrl`, so the sandbox points it at the local stand-in) and `fetch`
 * for interaction `response_url`s.
 */
import { type KnownBlock, WebClient } from '@slack/web-api';
import type { ChatPoster, ResponseUrlPayload } from '../approvals/ports.ts';

/** Options of {@link SlackChatPoster}. */
export interface SlackChatOptions {
  /** Bot token (`xoxb-...`); needed for post/update, not for respond. */
  token?: string;
  /** Web API base URL, default `https://slack.com/api/`. */
  slackApiUrl?: string;
  /** Per-request timeout. */
  timeoutMs?: number;
  /** Retries of failed Web API calls (the library default retries for about 30 minutes). */
  retries?: number;
}

/** Posts, updates and answers Slack messages. */
export class SlackChatPoster implements ChatPoster {
  private readonly client: WebClient | undefined;
  private readonly timeoutMs: number;

  constructor(opts: SlackChatOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 3_000;
    this.client = opts.token
      ? new WebClient(opts.token, {
          ...(opts.slackApiUrl ? { slackApiUrl: opts.slackApiUrl } : {}),
          timeout: this.timeoutMs,
          retryConfig: { retries: opts.retries ?? 2, factor: 2, minTimeout: 250, maxTimeout: 2_000 },
        })
      : undefined;
  }

  private web(): WebClient {
    if (!this.client) throw new Error('no Slack bot token configured');
    return this.client;
  }

  async post(channel: string, text: string, blocks: KnownBlock[]): Promise<{ ts: string; channel: string }> {
    const res = await this.web().chat.postMessage({ channel, text, blocks });
    if (!res.ts) throw new Error('chat.postMessage returned no ts');
    return { ts: res.ts, channel: res.channel ?? channel };
  }

  async update(channel: string, ts: string, text: string, blocks: KnownBlock[]): Promise<void> {
    await this.web().chat.update({ channel, ts, text, blocks });
  }

  async respond(responseUrl: string, payload: ResponseUrlPayload): Promise<void> {
    const res = await fetch(responseUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(this.timeoutMs),
      redirect: 'error',
    });
    if (!res.ok) throw new Error(`response_url answered HTTP ${res.status}`);
  }
}
