import { parseInspect } from '../analyzers/container-inspect.js';
import { LOG_CODES } from '../analyzers/log-patterns.js';
import { scanLogs } from '../analyzers/log-scan.js';
import { infoLine, parseInfo } from '../analyzers/redis-info.js';
import { classifyReply } from '../analyzers/redis-reply.js';
import { sudoRefusal } from '../analyzers/systemd-unit.js';
import type { Analysis, DiagnoseStep, Finding, StepContext, VerifyStep } from '../model.js';
import type { ExecResult } from '../result.js';
import { allOutput } from '../result.js';
import { SAFE_NAME, SAFE_PATH } from './facts.js';
import { whyUnread } from './unread.js';

/** The code of a finding that says a check could not be read; every diagnose step may emit it. */
export const UNREAD = 'probe-failed';

type DiagnoseInput = Omit<DiagnoseStep, 'kind' | 'needs'> & { needs?: string[] };
type VerifyInput = Omit<VerifyStep, 'kind' | 'needs'> & { needs?: string[] };
export const diagnose = (s: DiagnoseInput): DiagnoseStep => ({
  kind: 'diagnose',
  needs: [],
  ...s,
  emits: [...s.emits, UNREAD],
});
// Replies that refuse the check itself: the bot may not run it, or this Redis cannot take it (a
// replica refusing a write). Whether the repair worked is then unread, not failed.
const REFUSALS: ReadonlySet<string> = new Set(['noperm', 'readonly', 'wrongpass', 'noauth', 'tool-missing']);

export const verify = (s: VerifyInput): VerifyStep => ({
  kind: 'verify',
  needs: [],
  ...s,
  check: (r, ctx) => {
    const reply = classifyReply(r);
    if (REFUSALS.has(reply.kind))
      return { passed: false, statement: reply.line, evidence: [reply.line], unread: whyUnread(r, reply) };
    return s.check(r, ctx);
  },
});

const redis = { at: 'redis' } as const;
const T = 15_000;

/** Output cut at the executor's cap is not the whole answer: what is missing may be what matters. */
export const CUT = 'the output was cut at the size limit, so part of it is missing';

/** Why a probe is unread; a refused sudo is named as such, never left as a bare exit code. */
export function unreadBecause(r: ExecResult): string {
  const refused = sudoRefusal(r);
  return refused ? `sudo refused (${refused})` : whyUnread(r);
}

/** The analysis of a probe that got no usable answer: a blind spot, never an absence of faults. */
export function couldNotRun(what: string, r: ExecResult, why = unreadBecause(r)): Analysis {
  return {
    findings: [
      {
        code: UNREAD,
        severity: 'unknown',
        statement: `Could not ${what}: ${why}`,
        evidence: allOutput(r).split('\n').filter(Boolean).slice(0, 3),
      },
    ],
    unread: why,
  };
}

export function analyzeContainer(r: ExecResult, ctx: StepContext): Analysis {
  const c = r.truncated ? null : parseInspect(r.stdout);
  const name = ctx.target.redis.container ?? '?';
  if (!c) {
    // "No such container" is a reading: the engine answered (404), and the container is not there.
    // The executor marks it unreachable for the actions that need the container; not for this one.
    if (/no such container/i.test(allOutput(r)) && !/engine unreachable/i.test(allOutput(r)))
      return {
        findings: [
          {
            code: 'container-missing',
            severity: 'critical',
            statement: `There is no container named ${name}`,
            evidence: [allOutput(r).trim()],
          },
        ],
        facts: { 'redis.running': false },
      };
    return couldNotRun(`inspect container ${name}`, r);
  }
  const findings: Finding[] = [];
  const state = `State.Status=${c.status} ExitCode=${c.exitCode} OOMKilled=${c.oomKilled}${c.health ? ` Health=${c.health}` : ''}`;
  if (c.restarting)
    findings.push({
      code: 'container-restarting',
      severity: 'critical',
      statement: `${name} is restarting in a loop (last exit code ${c.exitCode})`,
      evidence: [state],
    });
  else if (!c.running)
    findings.push({
      code: 'container-not-running',
      severity: 'critical',
      statement: `${name} is not running: ${c.status}, exit code ${c.exitCode}`,
      evidence: [state],
    });
  else
    findings.push({
      code: 'container-running',
      severity: 'ok',
      statement: `${name} is running`,
      evidence: [state],
    });
  if (c.oomKilled)
    findings.push({
      code: 'container-oom-killed',
      severity: 'critical',
      statement: `${name} was killed by the kernel for lack of memory`,
      evidence: [state],
    });
  if (c.health === 'unhealthy')
    findings.push({
      code: 'container-unhealthy',
      severity: 'warning',
      statement: `${name}'s healthcheck reports unhealthy`,
      evidence: [state],
    });
  const port = ctx.target.redis.port;
  // Said so that a refusal seen from the host itself is not taken for the fault (seed 000).
  if (c.running && c.published && (c.published[`${port}/tcp`] ?? []).length === 0)
    findings.push({
      code: 'port-not-published',
      severity: 'info',
      statement: `Redis publishes no port on the Docker host: from the host itself (redis-cli -h 127.0.0.1 -p ${port}) it answers "Connection refused", by design; clients reach it over its Docker networks as ${ctx.target.redis.host}:${port}`,
      evidence: [`${port}/tcp: not published`],
    });
  const bind = c.mounts.find((m) => m.destination === (ctx.target.redis.dataDir ?? '/data'));
  return {
    findings,
    facts: {
      'redis.running': c.running && !c.restarting,
      'redis.status': c.status,
      'redis.exitCode': c.exitCode,
      'redis.networks': c.networks.filter((n) => SAFE_NAME.test(n)),
      ...(SAFE_NAME.test(c.user) ? { 'redis.user': c.user } : {}),
      ...(bind && SAFE_PATH.test(bind.source) ? { 'redis.mountSource': bind.source } : {}),
    },
  };
}

export const containerStep = diagnose({
  id: 'container',
  title: 'Container state',
  when: { targetKind: 'docker' },
  action: () => ({ kind: 'inspect', place: redis }),
  analyze: analyzeContainer,
  emits: [
    'container-missing',
    'container-restarting',
    'container-not-running',
    'container-running',
    'container-oom-killed',
    'container-unhealthy',
    'port-not-published',
  ],
  timeoutMs: T,
});

// A log line says what happened then; the live checks say what is true now. The logs' words for a
// full disk or a read-only filesystem get codes of their own so they never stand in for the live df.
const LOGGED_AS: Record<string, string> = {
  'disk-full': 'disk-full-logged',
  'read-only-fs': 'read-only-fs-logged',
};
const logCode = (code: string) => LOGGED_AS[code] ?? code;

export const logsStep = diagnose({
  id: 'logs',
  title: 'Recent Redis logs',
  action: () => ({ kind: 'logs', place: redis, tail: 300 }),
  analyze: (r) => {
    if (r.exitCode !== 0 || r.unreachable || r.timedOut) return couldNotRun('read the logs', r);
    // The cap keeps the first bytes of `--tail 300`: the newest lines, the ones that matter, are lost.
    if (r.truncated) return couldNotRun('read the logs', r, `${CUT} (the newest lines)`);
    // Nothing at all (Redis logs to a file, not to the console): the last start said nothing here.
    // journalctl for a unit with no journal (a wrong unit name) prints only this.
    if (allOutput(r).trim() === '' || allOutput(r).trim() === '-- No entries --')
      return {
        findings: [
          {
            code: 'logs-empty',
            severity: 'info',
            statement: 'The logs are empty here (Redis may log to a file instead)',
            evidence: [],
          },
        ],
      };
    const scan = scanLogs(allOutput(r));
    const dir = scan.firstMatch.get('rdb-permission-denied')?.[2];
    return {
      findings: [...scan.findings.map((x) => ({ ...x, code: logCode(x.code) })), ...scan.history],
      facts: dir && SAFE_PATH.test(dir) ? { 'log.rdbDir': dir } : {},
    };
  },
  emits: [...LOG_CODES.map(logCode), 'logs-empty'],
  timeoutMs: T,
});

const running = { not: { finding: 'container-not-running' } } as const;

/** INFO <section> with the answer's blind spots told apart from its content. */
export function readInfo(r: ExecResult, what: string, field: string): Map<string, string> | Analysis {
  if (r.truncated) return couldNotRun(`read ${what}`, r, CUT);
  const info = parseInfo(r.stdout);
  return info.has(field) ? info : couldNotRun(`read ${what}`, r);
}

export const serverStep = diagnose({
  id: 'info-server',
  title: 'INFO server',
  needs: ['container'],
  when: running,
  action: () => ({ kind: 'redis', place: redis, args: ['INFO', 'server'] }),
  analyze: (r) => {
    const info = readInfo(r, 'INFO server', 'process_id');
    if (!(info instanceof Map)) return info;
    const pid = info.get('process_id') ?? '';
    const version = info.get('redis_version') ?? '?';
    return {
      findings: [
        {
          code: 'server-info',
          severity: 'info',
          statement: `Redis ${version}, up ${info.get('uptime_in_seconds') ?? '?'} s`,
          evidence: [
            infoLine(info, 'redis_version'),
            infoLine(info, 'uptime_in_seconds'),
            infoLine(info, 'process_id'),
          ],
        },
      ],
      facts: /^\d+$/.test(pid) ? { 'redis.pid': pid, 'redis.version': version } : {},
    };
  },
  emits: ['server-info'],
  timeoutMs: T,
});
