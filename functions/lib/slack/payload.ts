/** Parsing of Slack interactivity requests (`payload=` JSON, form-encoded) of type `block_actions`. */
import * as z from '../z.ts';

/** The parts of a `block_actions` payload the approval callback relies on (others are kept). */
export const BlockActionsPayloadSchema = z.looseObject({
  type: z.literal('block_actions'),
  user: z.looseObject({
    id: z.string().check(z.minLength(1)),
    username: z.optional(z.string()),
    name: z.optional(z.string()),
  }),
  trigger_id: z.string().check(z.minLength(1)),
  response_url: z.url({ protocol: /^https?$/ }),
  container: z.optional(
    z.looseObject({
      type: z.string(),
      message_ts: z.optional(z.string()),
      channel_id: z.optional(z.string()),
    }),
  ),
  channel: z.optional(z.looseObject({ id: z.string(), name: z.optional(z.string()) })),
  actions: z
    .array(
      z.looseObject({
        type: z.string(),
        action_id: z.string().check(z.minLength(1)),
        block_id: z.optional(z.string()),
        value: z.optional(z.string()),
        action_ts: z.string().check(z.minLength(1)),
      }),
    )
    .check(z.length(1, 'expected exactly one action')),
});

/** A parsed `block_actions` payload. */
export type BlockActionsPayload = z.infer<typeof BlockActionsPayloadSchema>;

/** Parses a form-encoded interactivity body; `reason` names what is wrong. */
export function parseBlockActions(
  rawBody: string,
): { ok: true; payload: BlockActionsPayload } | { ok: false; reason: string } {
  const field = new URLSearchParams(rawBody).get('payload');
  if (field === null) return { ok: false, reason: 'no payload field in the form body' };
  let doc: unknown;
  try {
    doc = JSON.parse(field);
  } catch {
    return { ok: false, reason: 'payload is not JSON' };
  }
  const r = BlockActionsPayloadSchema.safeParse(doc);
  if (r.success) return { ok: true, payload: r.data };
  const issues = r.error.issues.map((i) => `${i.path.map(String).join('.') || 'payload'}: ${i.message}`);
  return { ok: false, reason: issues.join('; ') };
}

/** Form-encodes a payload as Slack does (`payload=<url-encoded JSON>`). */
export function encodeInteractionBody(payload: unknown): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}
