import { z } from 'zod';

// A client's own health check (seeds 000, 002, 004 end on it: "Chainlit UI responding 200",
// {"status":"ok","redis_connection":"ok"}, the API's /readyz). Fetched from inside the client
// container, with the URL as one argv element, so it is checked here once for what may reach argv.

/** Longest URL accepted; a health URL is short, and it is shown on cards and in reports. */
export const HEALTH_URL_MAX = 2048;
/** Longest body pattern: a short regex, compiled once, run over a body capped at the output limit. */
export const BODY_PATTERN_MAX = 200;

function urlProblem(raw: string): string | undefined {
  // Control characters or spaces would be read differently by each HTTP tool; none belongs in a URL.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing them is the point
  if (/[\s\u0000-\u001f\u007f]/.test(raw)) return 'a URL has no spaces or control characters';
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return 'not a URL';
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return 'only http and https URLs';
  // A password in a URL would reach argv, the cards and the reports: refused, not redacted.
  if (u.username !== '' || u.password !== '') return 'no user or password in the URL (userinfo)';
  if (u.hostname === '') return 'the URL names no host';
  return undefined;
}

const compiles = (p: string) => {
  try {
    new RegExp(p);
    return true;
  } catch {
    return false;
  }
};

export const healthUrl = z
  .string()
  .min(1)
  .max(HEALTH_URL_MAX)
  .superRefine((raw, ctx) => {
    const why = urlProblem(raw);
    if (why) ctx.addIssue({ code: 'custom', message: why });
  });

export const clientHealthSchema = z
  .object({
    url: healthUrl,
    status: z.number().int().min(100).max(599).default(200),
    bodyPattern: z
      .string()
      .min(1)
      .max(BODY_PATTERN_MAX)
      .refine(compiles, 'a regular expression (JavaScript syntax) that compiles')
      .optional(),
    // The worker may fetch it itself when the image has no HTTP tool and the URL is reachable from
    // the worker (a published port, a shared network): the operator's word, never a guess.
    fromWorker: z.boolean().optional(),
  })
  .strict();

/** What the core knows of a client's health check: the same fields, defaults filled in. */
export const healthViewSchema = z.object({
  url: healthUrl,
  status: z.number().int(),
  bodyPattern: z.string().max(BODY_PATTERN_MAX).refine(compiles).optional(),
  fromWorker: z.boolean().optional(),
});
export type ClientHealth = z.infer<typeof healthViewSchema>;

export const healthView = (h: z.infer<typeof clientHealthSchema>): ClientHealth => ({
  url: h.url,
  status: h.status,
  ...(h.bodyPattern !== undefined ? { bodyPattern: h.bodyPattern } : {}),
  ...(h.fromWorker ? { fromWorker: true } : {}),
});
