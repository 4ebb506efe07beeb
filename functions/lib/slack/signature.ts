/**
 * Slack request signing (v0): `X-Slack-Signature: v0=` + hex HMAC-SHA256(signing secret,
 * `v0:{X-Slack-Request-Timestamp}:{raw body}`), the timestamp within 5 minutes of now either way.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** How far the request timestamp may be from now, either way. */
export const SLACK_MAX_SKEW_SECONDS = 300;

/** The `X-Slack-Signature` value for a body sent at `timestamp` (epoch seconds). */
export function slackSignature(signingSecret: string, timestamp: string | number, rawBody: string): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`;
}

/** The headers Slack sends with a signed request. */
export function signedHeaders(
  signingSecret: string,
  timestamp: number,
  rawBody: string,
): Record<string, string> {
  return {
    'Content-Type': 'application/x-www-form-urlencoded',
    'X-Slack-Request-Timestamp': String(timestamp),
    'X-Slack-Signature': slackSignature(signingSecret, timestamp, rawBody),
  };
}

/** A header by name, case-insensitively (first value when repeated). */
export function headerValue(
  headers: Record<string, string | string[] | undefined>,
  name: string,
): string | undefined {
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(headers))
    if (k.toLowerCase() === wanted) return Array.isArray(v) ? v[0] : v;
  return undefined;
}

/** The outcome of {@link verifySlackRequest}; `reason` is plain text fit for a 401 body. */
export type SignatureCheck = { ok: true } | { ok: false; reason: string };

/** Verifies a request's Slack signature and freshness in constant time. */
export function verifySlackRequest(req: {
  signingSecret: string;
  headers: Record<string, string | string[] | undefined>;
  rawBody: string;
  nowMs: number;
  maxSkewSeconds?: number;
}): SignatureCheck {
  const signature = headerValue(req.headers, 'x-slack-signature');
  const timestamp = headerValue(req.headers, 'x-slack-request-timestamp');
  if (!signature || !timestamp)
    return { ok: false, reason: 'unsigned request: missing X-Slack-Signature or X-Slack-Request-Timestamp' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'invalid X-Slack-Request-Timestamp' };
  const skew = Math.floor(req.nowMs / 1000) - Number(timestamp);
  const max = req.maxSkewSeconds ?? SLACK_MAX_SKEW_SECONDS;
  if (skew > max) return { ok: false, reason: `stale request: timestamp is ${skew} s old (limit ${max} s)` };
  if (-skew > max)
    return { ok: false, reason: `request timestamp is ${-skew} s in the future (limit ${max} s)` };
  const expected = Buffer.from(slackSignature(req.signingSecret, timestamp, req.rawBody), 'utf8');
  const given = Buffer.from(signature, 'utf8');
  // timingSafeEqual throws on different lengths; the length of a v0 signature is public anyway.
  const same = given.length === expected.length && timingSafeEqual(given, expected);
  return same ? { ok: true } : { ok: false, reason: 'bad signature' };
}
