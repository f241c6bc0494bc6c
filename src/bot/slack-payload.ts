import { z } from 'zod';

// The two kinds of request the bot handles, checked for the fields Bolt and the handlers read before
// either sees them. Slack adds fields over time, so unknown ones pass; a missing or mistyped one is a
// 400 here rather than a TypeError deep inside Bolt. Everything else is not the bot's business (404).

const userId = z.string().regex(/^[UW][A-Z0-9_]{1,30}$/);
const channelId = z.string().regex(/^[CDG][A-Z0-9_]{1,30}$/);
const responseUrl = z.url({ protocol: /^https?$/ });

export const slashCommandSchema = z.looseObject({
  command: z.string().min(1).max(100),
  text: z.string().max(4000),
  user_id: userId,
  channel_id: channelId,
  team_id: z.string().max(40).optional(),
  response_url: responseUrl,
});

export const blockActionsSchema = z.looseObject({
  type: z.literal('block_actions'),
  user: z.looseObject({ id: userId }),
  actions: z
    .array(
      z.looseObject({
        type: z.string().max(40),
        action_id: z.string().max(255),
        block_id: z.string().max(255).optional(),
        value: z.string().max(2000).optional(),
      }),
    )
    .min(1)
    .max(25),
  channel: z.looseObject({ id: channelId }).optional(),
  container: z
    .looseObject({ message_ts: z.string().max(40).optional(), channel_id: channelId.optional() })
    .optional(),
  message: z.looseObject({ ts: z.string().max(40).optional() }).optional(),
  response_url: responseUrl,
});

export type PayloadCheck = { ok: true } | { ok: false; status: 400 | 404; reason: string };

export function checkPayload(body: Record<string, unknown>): PayloadCheck {
  // Bolt routes on `event` before anything else: a command or click carrying one is neither.
  if ('event' in body)
    return { ok: false, status: 404, reason: 'an Events API payload; the bot handles none' };
  const bad = (e: z.ZodError): PayloadCheck => ({
    ok: false,
    status: 400,
    reason: e.issues
      .slice(0, 3)
      .map((i) => `${i.path.join('.') || 'body'}: ${i.message}`)
      .join('; '),
  });
  if ('command' in body) {
    const r = slashCommandSchema.safeParse(body);
    return r.success ? { ok: true } : bad(r.error);
  }
  if (body.type === 'block_actions') {
    const r = blockActionsSchema.safeParse(body);
    return r.success ? { ok: true } : bad(r.error);
  }
  return {
    ok: false,
    status: 404,
    reason: `not a request this bot handles (type ${String(body.type).slice(0, 40)})`,
  };
}
