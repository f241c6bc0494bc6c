// Before the first real request: one synthetic pass over the code an acknowledgement runs, so the
// first burst after a start does not also pay for compiling it. Everything here is answered in the
// ack itself and changes nothing: `help`, and a `run` of names that exist nowhere (refused by the
// parser), each through Bolt and the `/incident` listener; in HTTP mode the request checks first,
// over a body signed with the process's own secret.
import { createHmac } from 'node:crypto';
import type { App } from '@slack/bolt';
import { parseSlackBody, verifySignature } from './request-check.js';
import { checkPayload } from './slack-payload.js';

const TEXTS = ['help', 'run no-such-runbook no-such-target'];

function warmBody(text: string): Record<string, string> {
  return {
    command: '/incident',
    text,
    user_id: 'U_WARM_UP',
    channel_id: 'C_WARM_UP',
    team_id: 'T_WARM_UP',
    // Never called: both texts are answered in the acknowledgement.
    response_url: 'http://127.0.0.1:9/warm-up',
    trigger_id: 'warm-up',
  };
}

/** Resolves with how many of the synthetic requests were acknowledged (all of them, unless a bug). */
export async function warmUp(app: App, signingSecret: string | undefined, now: number): Promise<number> {
  let acked = 0;
  for (const text of TEXTS) {
    const body = warmBody(text);
    if (signingSecret) {
      const raw = Buffer.from(new URLSearchParams(body).toString());
      const ts = String(Math.floor(now / 1000));
      const sig = createHmac('sha256', signingSecret).update(`v0:${ts}:`).update(raw).digest('hex');
      const headers = { 'x-slack-request-timestamp': ts, 'x-slack-signature': `v0=${sig}` };
      verifySignature(headers, raw, signingSecret, now);
      const parsed = parseSlackBody('application/x-www-form-urlencoded', raw.toString());
      if (parsed.ok) checkPayload(parsed.value);
    }
    await app.processEvent({
      body,
      ack: async () => {
        acked += 1;
      },
    });
  }
  return acked;
}
