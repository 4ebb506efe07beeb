/**
 * A local stand-in for Slack: the Web API methods the approvals use (chat.postMessage, chat.update),
 * auth.test (readiness),
 * interaction `response_url`s, and a "user" who clicks buttons by sending a correctly signed
 * `block_actions` callback to the real slack-callback handler served over local HTTP
 * ({@link serveSlackCallback}). Point `@slack/web-api`'s WebClient at it with
 * `slackApiUrl: standIn.apiUrl`. Loopback only.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { KnownBlock } from '@slack/web-api';
import type { Context } from 'aws-lambda';
import { type Clock, systemClock } from '#lib/clock.ts';
import { encodeInteractionBody } from '#lib/slack/payload.ts';
import { signedHeaders } from '#lib/slack/signature.ts';
import { localLambdaContext as lambdaContext } from './lambda-context.ts';

/** One message in the stand-in's channel history. */
export interface StandInMessage {
  channel: string;
  ts: string;
  text: string;
  blocks: KnownBlock[];
  deleted: boolean;
  /** Every version, oldest first, with what produced it. */
  history: { text: string; blocks: KnownBlock[]; via: 'chat.postMessage' | 'chat.update' | 'response_url' }[];
}

/** An ephemeral reply (only the clicking user sees it in real Slack). */
export interface StandInEphemeral {
  channel: string;
  messageTs: string;
  userId: string;
  text: string;
  blocks?: KnownBlock[];
}

/** A raw HTTP request the stand-in received (to check, e.g., that no task token ever reached Slack). */
export interface StandInRequest {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A signed interactivity request, ready to send (or to replay). */
export interface SignedRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** The `block_actions` payload inside `body`. */
  payload: Record<string, unknown>;
}

/** Options of {@link startSlackStandIn}. */
export interface SlackStandInOptions {
  /** The app's signing secret: clicks are signed with it. */
  signingSecret: string;
  /** When set, Web API calls must carry `Authorization: Bearer <botToken>`. */
  botToken?: string;
  /** Where clicks are POSTed (the slack-callback server); can be set later. */
  callbackUrl?: string;
  /** Signing timestamps and message ts come from this clock (default: real time). */
  clock?: Clock;
  /** User names by id (`user.username` in payloads, names in {@link renderForTerminal}). */
  users?: Record<string, string>;
  teamId?: string;
  channelNames?: Record<string, string>;
}

interface Reply {
  status: number;
  doc: unknown;
  /** A new message, announced to listeners once answered. */
  posted?: StandInMessage;
}

interface ResponseUrlTarget {
  channel: string;
  messageTs: string;
  userId: string;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(res: ServerResponse, status: number, doc: unknown): void {
  const body = JSON.stringify(doc);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** Parses Web API arguments: form-encoded (what WebClient sends, objects as JSON strings) or JSON. */
function parseArgs(req: IncomingMessage, body: string): Record<string, unknown> {
  if (String(req.headers['content-type'] ?? '').includes('application/json')) return JSON.parse(body || '{}');
  const out: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(body)) {
    if (k === 'blocks' || k === 'attachments' || k === 'metadata') {
      try {
        out[k] = JSON.parse(v);
        continue;
      } catch {
        // leave it as text: the method answers invalid_blocks
      }
    }
    out[k] = v;
  }
  return out;
}

/** The running stand-in. */
export class SlackStandIn {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** The Web API base URL to give WebClient (`slackApiUrl`). */
  readonly apiUrl: string;
  /** Where clicks are POSTed. */
  callbackUrl: string | undefined;
  /** Ephemeral replies received on response_urls. */
  readonly ephemerals: StandInEphemeral[] = [];
  /** Every HTTP request received. */
  readonly requests: StandInRequest[] = [];

  private readonly server: Server;
  private readonly opts: SlackStandInOptions;
  private readonly clock: Clock;
  private readonly byTs = new Map<string, StandInMessage>();
  private readonly responseUrls = new Map<string, ResponseUrlTarget>();
  private readonly postListeners = new Set<(m: StandInMessage) => void>();
  private seq = 0;

  private constructor(server: Server, url: string, opts: SlackStandInOptions) {
    this.server = server;
    this.url = url;
    this.apiUrl = `${url}/api/`;
    this.opts = opts;
    this.clock = opts.clock ?? systemClock;
    this.callbackUrl = opts.callbackUrl;
  }

  /** Starts a stand-in on a free loopback port. */
  static async start(opts: SlackStandInOptions): Promise<SlackStandIn> {
    let self: SlackStandIn | undefined;
    const server = createServer((req, res) => {
      self!.handle(req, res).catch((e: Error) => sendJson(res, 500, { ok: false, error: e.message }));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const addr = server.address();
    if (!addr || typeof addr !== 'object') throw new Error('stand-in has no address');
    self = new SlackStandIn(server, `http://127.0.0.1:${addr.port}`, opts);
    return self;
  }

  /** Messages in posting order. */
  messages(): StandInMessage[] {
    return [...this.byTs.values()];
  }

  /** A message by ts. */
  message(ts: string): StandInMessage | undefined {
    return this.byTs.get(ts);
  }

  /** Calls `listener` for each new chat.postMessage; returns an unsubscribe function. */
  onPost(listener: (m: StandInMessage) => void): () => void {
    this.postListeners.add(listener);
    return () => this.postListeners.delete(listener);
  }

  /** Resolves with the next posted message (rejects after `timeoutMs`, default 10 s). */
  nextMessage(timeoutMs = 10_000): Promise<StandInMessage> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`no Slack message posted within ${timeoutMs} ms`));
      }, timeoutMs);
      const off = this.onPost((m) => {
        clearTimeout(timer);
        off();
        resolve(m);
      });
    });
  }

  private nextTs(): string {
    this.seq += 1;
    return `${Math.floor(this.clock.now() / 1000)}.${String(this.seq).padStart(6, '0')}`;
  }

  private userName(id: string): string {
    return this.opts.users?.[id] ?? `user.${id.toLowerCase()}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const path = new URL(req.url ?? '/', this.url).pathname;
    this.requests.push({ path, headers: req.headers, body });
    const { status, doc, posted } =
      req.method !== 'POST'
        ? { status: 405, doc: { ok: false, error: 'method_not_allowed' } }
        : path.startsWith('/api/')
          ? this.webApi(path.slice('/api/'.length), req, body)
          : path.startsWith('/actions/')
            ? this.responseUrl(path, body)
            : { status: 404, doc: { ok: false, error: 'not_found' } };
    sendJson(res, status, doc);
    if (posted) for (const l of this.postListeners) l(posted);
  }

  private webApi(method: string, req: IncomingMessage, body: string): Reply {
    const fail = (error: string): Reply => ({ status: 200, doc: { ok: false, error } });
    if (this.opts.botToken && req.headers.authorization !== `Bearer ${this.opts.botToken}`)
      return fail('invalid_auth');
    // auth.test ("Checks authentication & identity", docs.slack.dev): who the token is.
    if (method === 'auth.test')
      return {
        status: 200,
        doc: {
          ok: true,
          url: 'https://sandbox.slack.test/',
          team: 'Sandbox',
          user: 'gloo-failover',
          team_id: this.opts.teamId ?? 'T0SANDBOX',
          user_id: 'U0FAILBOT',
          bot_id: 'B0FAILBOT',
        },
      };
    const args = parseArgs(req, body);
    const channel = typeof args.channel === 'string' ? args.channel : '';
    const text = typeof args.text === 'string' ? args.text : '';
    if (args.blocks !== undefined && !Array.isArray(args.blocks)) return fail('invalid_blocks');
    const blocks = (args.blocks ?? []) as KnownBlock[];
    if (method === 'chat.postMessage') {
      if (!channel) return fail('channel_not_found');
      if (!text && blocks.length === 0) return fail('no_text');
      const ts = this.nextTs();
      const m: StandInMessage = {
        channel,
        ts,
        text,
        blocks,
        deleted: false,
        history: [{ text, blocks, via: 'chat.postMessage' }],
      };
      this.byTs.set(ts, m);
      return { status: 200, doc: { ok: true, channel, ts, message: this.wire(m) }, posted: m };
    }
    if (method === 'chat.update') {
      const m = this.byTs.get(String(args.ts ?? ''));
      if (!m || m.channel !== channel || m.deleted) return fail('message_not_found');
      m.text = text;
      m.blocks = blocks;
      m.history.push({ text, blocks, via: 'chat.update' });
      return { status: 200, doc: { ok: true, channel, ts: m.ts, text, message: this.wire(m) } };
    }
    return fail('unknown_method');
  }

  private responseUrl(path: string, body: string): Reply {
    const target = this.responseUrls.get(path);
    if (!target) return { status: 404, doc: { ok: false, error: 'invalid_response_url' } };
    let doc: Record<string, unknown>;
    try {
      doc = JSON.parse(body);
    } catch {
      return { status: 400, doc: { ok: false, error: 'invalid_json' } };
    }
    const text = typeof doc.text === 'string' ? doc.text : '';
    const blocks = Array.isArray(doc.blocks) ? (doc.blocks as KnownBlock[]) : undefined;
    const m = this.byTs.get(target.messageTs);
    if (doc.delete_original === true && m) m.deleted = true;
    else if (doc.replace_original === true && m) {
      m.text = text;
      m.blocks = blocks ?? [];
      m.history.push({ text, blocks: m.blocks, via: 'response_url' });
    } else
      this.ephemerals.push({
        channel: target.channel,
        messageTs: target.messageTs,
        userId: target.userId,
        text,
        ...(blocks ? { blocks } : {}),
      });
    return { status: 200, doc: { ok: true } };
  }

  /** A message as Slack shows it in payloads and API answers. */
  private wire(m: StandInMessage) {
    return {
      type: 'message',
      ts: m.ts,
      text: m.text,
      blocks: m.blocks,
      bot_id: 'B0STANDIN1',
      user: 'U0STANDINBOT',
    };
  }

  /**
   * Builds and signs the `block_actions` request Slack would send when `userId` clicks the button
   * `actionId` of message `messageTs` (the confirm dialog counts as confirmed). Throws when there
   * is no such message or button.
   */
  buildClick(messageTs: string, actionId: string, userId: string): SignedRequest {
    const m = this.byTs.get(messageTs);
    if (!m) throw new Error(`no message with ts ${messageTs}`);
    let found: { blockId: string | undefined; element: Record<string, unknown> } | undefined;
    for (const b of m.blocks)
      if (b.type === 'actions')
        for (const e of b.elements as unknown as Record<string, unknown>[])
          if (e.action_id === actionId) found = { blockId: b.block_id, element: e };
    if (!found) throw new Error(`message ${messageTs} has no button ${actionId}`);
    const teamId = this.opts.teamId ?? 'T0STANDIN1';
    const nowMs = this.clock.now();
    const sec = Math.floor(nowMs / 1000);
    const responsePath = `/actions/${teamId}/${sec}${this.seq}/${randomBytes(12).toString('hex')}`;
    this.responseUrls.set(responsePath, { channel: m.channel, messageTs, userId });
    const username = this.userName(userId);
    const payload = {
      type: 'block_actions',
      user: { id: userId, username, name: username, team_id: teamId },
      api_app_id: 'A0STANDIN1',
      token: 'verification-token-is-deprecated-do-not-use',
      container: { type: 'message', message_ts: messageTs, channel_id: m.channel, is_ephemeral: false },
      trigger_id: `${sec}${String(nowMs % 1000).padStart(3, '0')}.${sec}.${randomBytes(16).toString('hex')}`,
      team: { id: teamId, domain: 'sandbox' },
      channel: { id: m.channel, name: this.opts.channelNames?.[m.channel] ?? 'gloo-failover' },
      message: this.wire(m),
      response_url: `${this.url}${responsePath}`,
      actions: [
        {
          type: found.element.type ?? 'button',
          action_id: actionId,
          block_id: found.blockId,
          value: found.element.value,
          style: found.element.style,
          text: found.element.text,
          action_ts: `${sec}.${String((nowMs % 1000) * 1000 + (this.seq % 1000)).padStart(6, '0')}`,
        },
      ],
    };
    if (!this.callbackUrl)
      throw new Error('no callbackUrl: start serveSlackCallback and set standIn.callbackUrl');
    const body = encodeInteractionBody(payload);
    return {
      url: this.callbackUrl,
      headers: signedHeaders(this.opts.signingSecret, sec, body),
      body,
      payload,
    };
  }

  /** Sends a signed request (a click, or the same one again: a replay). */
  async send(req: SignedRequest): Promise<{ status: number; body: string }> {
    const res = await fetch(req.url, { method: 'POST', headers: req.headers, body: req.body });
    return { status: res.status, body: await res.text() };
  }

  /** `userId` clicks `actionId` (e.g. 'approve' / 'reject') on message `messageTs`. */
  async clickButton(
    messageTs: string,
    actionId: string,
    userId: string,
  ): Promise<{ status: number; body: string; request: SignedRequest }> {
    const request = this.buildClick(messageTs, actionId, userId);
    return { ...(await this.send(request)), request };
  }

  /** Stops the server. */
  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Starts a {@link SlackStandIn}. */
export function startSlackStandIn(opts: SlackStandInOptions): Promise<SlackStandIn> {
  return SlackStandIn.start(opts);
}

/** A Lambda context for the handlers the stand-in serves (30 s left). */
export const localLambdaContext = (name: string): Context => lambdaContext(name, 30_000);

/** A Lambda Function URL handler (what `buildSlackCallbackHandler` returns). */
export type FunctionUrlHandler = (event: unknown, context: Context) => Promise<unknown>;

/**
 * Serves a Function URL handler (the real slack-callback handler) over local HTTP: each request
 * becomes a Function URL event (payload format 2.0, body base64-encoded as Lambda does for form
 * posts) and the handler's `{statusCode, headers, body}` becomes the response.
 */
export async function serveSlackCallback(
  handler: FunctionUrlHandler,
): Promise<{ url: string; stop(): Promise<void> }> {
  const server = createServer((req, res) => {
    (async () => {
      const raw = await readBody(req);
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers))
        if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(',') : v;
      const now = new Date();
      const event = {
        version: '2.0',
        routeKey: '$default',
        rawPath: url.pathname,
        rawQueryString: url.search.slice(1),
        headers,
        requestContext: {
          accountId: 'anonymous',
          apiId: 'local',
          domainName: headers.host ?? '127.0.0.1',
          domainPrefix: 'local',
          http: {
            method: req.method ?? 'POST',
            path: url.pathname,
            protocol: 'HTTP/1.1',
            sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
            userAgent: headers['user-agent'] ?? '',
          },
          requestId: crypto.randomUUID(),
          routeKey: '$default',
          stage: '$default',
          time: now.toUTCString(),
          timeEpoch: now.getTime(),
        },
        body: Buffer.from(raw, 'utf8').toString('base64'),
        isBase64Encoded: true,
      };
      const out = (await handler(event, localLambdaContext('slack-callback'))) as {
        statusCode?: number;
        headers?: Record<string, string>;
        body?: string;
      };
      res.writeHead(out.statusCode ?? 200, out.headers ?? {});
      res.end(out.body ?? '');
    })().catch((e: Error) => {
      // Lambda answers an unhandled error with 502.
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`handler failed: ${e.name}`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  if (!addr || typeof addr !== 'object') throw new Error('callback server has no address');
  return {
    url: `http://127.0.0.1:${addr.port}/slack/interactivity`,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Slack mrkdwn to plain terminal text. */
function mrkdwnToPlain(s: string, users: Record<string, string>): string {
  return s
    .replace(/<@([UW][A-Z0-9]+)>/g, (_, id: string) => `@${users[id] ?? id}`)
    .replace(/<(https?:[^|>]+)\|([^>]+)>/g, '$2 ($1)')
    .replace(/<(https?:[^>]+)>/g, '$1')
    .replace(/(^|\s)\*([^*\n]+)\*/g, '$1$2')
    .replace(/(^|\s)_([^_\n]+)_/g, '$1$2')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/**
 * Renders a message readably for a terminal: the header, the plan, who may approve, and the
 * buttons with the words to type (their action ids).
 */
export function renderForTerminal(
  message: { text: string; blocks: KnownBlock[] },
  opts: { users?: Record<string, string>; width?: number } = {},
): string {
  const users = opts.users ?? {};
  const width = opts.width ?? 72;
  const lines: string[] = [];
  const rule = '─'.repeat(width);
  lines.push(rule);
  if (message.blocks.length === 0) lines.push(mrkdwnToPlain(message.text, users));
  for (const b of message.blocks) {
    switch (b.type) {
      case 'header':
        lines.push(b.text.text.toUpperCase(), '');
        break;
      case 'section': {
        if (b.text) lines.push(mrkdwnToPlain(b.text.text, users));
        for (const f of b.fields ?? []) {
          const [label, ...rest] = mrkdwnToPlain(f.text, users).split('\n');
          lines.push(`  ${(label ?? '').padEnd(10)} ${rest.join(' ')}`);
        }
        lines.push('');
        break;
      }
      case 'context':
        for (const e of b.elements) if ('text' in e) lines.push(`  ${mrkdwnToPlain(e.text, users)}`);
        lines.push('');
        break;
      case 'divider':
        lines.push(rule);
        break;
      case 'actions': {
        const buttons = (b.elements as unknown as Record<string, unknown>[]).map((e) => {
          const label = (e.text as { text?: string } | undefined)?.text ?? String(e.action_id);
          return `[ ${label} ]  type: ${String(e.action_id)}`;
        });
        lines.push(buttons.join('    '));
        break;
      }
      default:
        lines.push(`(${b.type} block)`);
    }
  }
  lines.push(rule);
  return lines.join('\n');
}
