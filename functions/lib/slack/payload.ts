/** Parsing of Slack interactivity requests (`payload=` JSON, form-encoded) of type `block_actions`. */
import * as z from 'zod';

/** The parts of a `block_actions` payload the approval callback relies on (others are kept). */
export const BlockActionsPayloadSchema = z.looseObject({
  type: z.literal('block_actions'),
  user: z.looseObject({
    id: z.string().min(1),
    username: z.string().optional(),
    name: z.string().optional(),
  }),
  trigger_id: z.string().min(1),
  response_url: z.url({ protocol: /^https?$/ }),
  container: z
    .looseObject({ type: z.string(), message_ts: z.string().optional(), channel_id: z.string().optional() })
    .optional(),
  channel: z.looseObject({ id: z.string(), name: z.string().optional() }).optional(),
  actions: z
    .array(
      z.looseObject({
        type: z.string(),
        action_id: z.string().min(1),
        block_id: z.string().optional(),
        value: z.string().optional(),
        action_ts: z.string().min(1),
      }),
    )
    .length(1, 'expected exactly one action'),
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
