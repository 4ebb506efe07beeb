/**
 * Slack Web API `auth.test` ("Checks authentication & identity", no scope required, docs.slack.dev
 * reference): the readiness check that the bot token the approvals use still works. The token is
 * read through `readToken` (Secrets Manager on AWS) and never logged or returned.
 */
import { WebClient } from '@slack/web-api';
import type { SlackAuth } from '#functions/readiness/readiness.ts';

/** Options of {@link slackAuthTest}. */
export interface SlackAuthOptions {
  /** Reads the bot token from its secret. */
  readToken: (secret: string) => Promise<string>;
  /** Web API base URL (the sandbox's stand-in), default Slack's. */
  slackApiUrl?: string;
  timeoutMs?: number;
}

/** {@link SlackAuth} with `@slack/web-api` (no retries: the next evaluation is the retry). */
export function slackAuthTest(opts: SlackAuthOptions): SlackAuth {
  return {
    authTest: async (secret) => {
      const token = await opts.readToken(secret);
      const web = new WebClient(token, {
        ...(opts.slackApiUrl ? { slackApiUrl: opts.slackApiUrl } : {}),
        timeout: opts.timeoutMs ?? 3_000,
        retryConfig: { retries: 0 },
      });
      try {
        const r = await web.auth.test();
        return { ok: true, detail: `team ${r.team ?? r.team_id ?? '?'}, user ${r.user ?? r.user_id ?? '?'}` };
      } catch (e) {
        // WebAPIPlatformError carries Slack's `error` code (invalid_auth, token_revoked, ...).
        const code = (e as { data?: { error?: string } }).data?.error;
        return { ok: false, detail: code ?? (e as Error).message };
      }
    },
  };
}
