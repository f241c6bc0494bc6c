// After a repair, each client that declares a health check must pass it again. An application
// reconnects in its own time, so a failing check is retried for a few seconds before it counts.
import type { Check } from '../model.js';
import { healthAction, healthOf, judgeHealth, readHealth, toolOf } from './app-health-steps.js';
import { verify } from './common-steps.js';
import { clientFact } from './facts.js';
import { whyUnread } from './unread.js';

const T = 15_000;
/** About 8 s for the application to reconnect by itself before a restart is considered. */
const RETRY = { attempts: 9, delayMs: 1000 };

/**
 * `own`: the repair made the application's health its business (a client restart), so a failing
 * check fails it. Otherwise (a Redis-side fix) the fix is verified by its own checks, and a failing
 * health check is the application's fault, which the look after the fix takes up: a restart of
 * that client under its own approval.
 */
function healthCheck(id: string, title: string, own: boolean) {
  return verify({
    id,
    title,
    forEach: 'health-client',
    action: healthAction,
    check: (r, ctx): Check => {
      const c = ctx.item ?? '?';
      const health = healthOf(ctx);
      const tool = toolOf(ctx);
      const got = tool && health ? readHealth(tool, r) : undefined;
      if (!health || !got)
        return {
          passed: false,
          statement: `${c}: health check not read`,
          evidence: [],
          unread: whyUnread(r),
        };
      const v = judgeHealth(c, health, got);
      return {
        passed: v.healthy,
        pending: !v.healthy,
        statement: v.statement,
        evidence: v.evidence,
        ...(!v.healthy && !own ? { otherFault: 'app-health-failing' } : {}),
        facts: { [clientFact(c, 'healthy')]: v.healthy },
      };
    },
    timeoutMs: T,
    retry: RETRY,
  });
}

/** In the verify list of every Redis-side repair. */
export const verifyAppHealthAfterFix = healthCheck(
  'verify-app-health-after-fix',
  "Each client's health check passes after the fix",
  false,
);
/** The verification of restarting an unhealthy client. */
export const verifyAppHealth = healthCheck('verify-app-health', "Each client's health check passes", true);
