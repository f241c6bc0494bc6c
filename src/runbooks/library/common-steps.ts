import { parseInspect } from '../analyzers/container-inspect.js';
import { scanLogs } from '../analyzers/log-patterns.js';
import { infoLine, infoNumber, parseInfo } from '../analyzers/redis-info.js';
import { classifyReply } from '../analyzers/redis-reply.js';
import type { Analysis, DiagnoseStep, Finding, StepContext, VerifyStep } from '../model.js';
import type { ExecResult } from '../result.js';
import { allOutput } from '../result.js';
import { SAFE_NAME, SAFE_PATH } from './facts.js';

type DiagnoseInput = Omit<DiagnoseStep, 'kind' | 'needs'> & { needs?: string[] };
type VerifyInput = Omit<VerifyStep, 'kind' | 'needs'> & { needs?: string[] };
export const diagnose = (s: DiagnoseInput): DiagnoseStep => ({ kind: 'diagnose', needs: [], ...s });
export const verify = (s: VerifyInput): VerifyStep => ({ kind: 'verify', needs: [], ...s });

const redis = { at: 'redis' } as const;
const T = 15_000;

/** A finding for a probe that got no usable answer, so a blind spot is reported rather than hidden. */
export function couldNotRun(what: string, r: ExecResult): Finding {
  const reply = classifyReply(r);
  const why = r.timedOut
    ? 'timed out'
    : r.unreachable
      ? 'target unreachable'
      : reply.kind !== 'ok' && reply.line
        ? reply.line
        : `exit code ${r.exitCode}`;
  return {
    code: 'probe-failed',
    severity: 'warning',
    statement: `Could not ${what}: ${why}`,
    evidence: allOutput(r).split('\n').filter(Boolean).slice(0, 3),
  };
}

export function analyzeContainer(r: ExecResult, ctx: StepContext): Analysis {
  const c = parseInspect(r.stdout);
  const name = ctx.target.redis.container ?? '?';
  if (!c) {
    const missing = /no such container|not found/i.test(allOutput(r));
    return {
      findings: [
        missing
          ? {
              code: 'container-missing',
              severity: 'critical',
              statement: `There is no container named ${name}`,
              evidence: [allOutput(r).trim()],
            }
          : couldNotRun(`inspect container ${name}`, r),
      ],
    };
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
  command: 'docker inspect <redis container>',
  action: () => ({ kind: 'inspect', place: redis }),
  analyze: analyzeContainer,
  timeoutMs: T,
});

export const logsStep = diagnose({
  id: 'logs',
  title: 'Recent Redis logs',
  command: 'docker logs --tail 300 <redis container> (or tail of the log file over SSH)',
  action: () => ({ kind: 'logs', place: redis, tail: 300 }),
  analyze: (r) => {
    const { findings, firstMatch } = scanLogs(allOutput(r));
    const dir = firstMatch.get('rdb-permission-denied')?.[2];
    if (findings.length === 0 && (r.exitCode !== 0 || r.unreachable))
      return { findings: [couldNotRun('read the logs', r)] };
    return { findings, facts: dir && SAFE_PATH.test(dir) ? { 'log.rdbDir': dir } : {} };
  },
  timeoutMs: T,
});

const running = { not: { finding: 'container-not-running' } } as const;

export const pingStep = diagnose({
  id: 'ping',
  title: 'PING from the Redis side',
  needs: ['container'],
  when: running,
  command: 'redis-cli PING (inside the Redis container or on its host)',
  action: () => ({ kind: 'redis', place: redis, args: ['PING'] }),
  analyze: (r) => {
    const reply = classifyReply(r);
    const ev = [reply.line];
    switch (reply.kind) {
      case 'ok':
        return {
          findings: [{ code: 'ping-ok', severity: 'ok', statement: 'Redis answers PING', evidence: ev }],
          facts: { 'redis.answers': true },
        };
      case 'misconf':
        return {
          findings: [
            {
              code: 'misconf',
              severity: 'critical',
              statement: 'Redis refuses writes (MISCONF): its last background save failed',
              evidence: ev,
            },
          ],
          facts: { 'redis.answers': true },
        };
      case 'wrongpass':
      case 'noauth':
        return {
          findings: [
            {
              code: 'auth-refused',
              severity: 'critical',
              statement:
                reply.kind === 'noauth'
                  ? 'Redis requires a password the target is not configured with (NOAUTH)'
                  : 'Redis refused the configured credentials (WRONGPASS)',
              evidence: ev,
            },
          ],
        };
      case 'max-clients':
        return {
          findings: [
            {
              code: 'clients-exhausted',
              severity: 'critical',
              statement: 'Redis refuses new connections: max number of clients reached',
              evidence: ev,
            },
          ],
        };
      case 'refused':
        return {
          findings: [
            {
              code: 'redis-not-listening',
              severity: 'critical',
              statement: 'Nothing accepts connections on the Redis port',
              evidence: ev,
            },
          ],
        };
      default:
        return {
          findings: [
            {
              code: 'ping-failed',
              severity: 'critical',
              statement: `PING failed: ${reply.line}`,
              evidence: ev,
            },
          ],
        };
    }
  },
  timeoutMs: T,
});

export const serverStep = diagnose({
  id: 'info-server',
  title: 'INFO server',
  needs: ['container'],
  when: running,
  command: 'redis-cli INFO server',
  action: () => ({ kind: 'redis', place: redis, args: ['INFO', 'server'] }),
  analyze: (r) => {
    const info = parseInfo(r.stdout);
    const pid = info.get('process_id');
    if (!pid) return { findings: [couldNotRun('read INFO server', r)] };
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
  timeoutMs: T,
});

export const persistenceStep = diagnose({
  id: 'info-persistence',
  title: 'INFO persistence',
  needs: ['container'],
  when: running,
  command: 'redis-cli INFO persistence',
  action: () => ({ kind: 'redis', place: redis, args: ['INFO', 'persistence'] }),
  analyze: (r) => {
    const info = parseInfo(r.stdout);
    if (!info.has('rdb_last_bgsave_status')) return { findings: [couldNotRun('read INFO persistence', r)] };
    const findings: Finding[] = [];
    if (info.get('rdb_last_bgsave_status') === 'err')
      findings.push({
        code: 'bgsave-failing',
        severity: 'critical',
        statement: 'The last background save (BGSAVE) failed',
        evidence: [
          infoLine(info, 'rdb_last_bgsave_status'),
          infoLine(info, 'rdb_changes_since_last_save'),
          infoLine(info, 'rdb_last_save_time'),
        ],
      });
    if (info.get('aof_enabled') === '1' && info.get('aof_last_write_status') === 'err')
      findings.push({
        code: 'aof-write-failing',
        severity: 'critical',
        statement: 'Writes to the append-only file are failing',
        evidence: [infoLine(info, 'aof_enabled'), infoLine(info, 'aof_last_write_status')],
      });
    if (info.get('aof_last_bgrewrite_status') === 'err')
      findings.push({
        code: 'aof-rewrite-failing',
        severity: 'warning',
        statement: 'The last AOF rewrite failed',
        evidence: [infoLine(info, 'aof_last_bgrewrite_status')],
      });
    if (findings.length === 0)
      findings.push({
        code: 'persistence-ok',
        severity: 'ok',
        statement: 'Persistence is healthy',
        evidence: [
          'rdb_last_bgsave_status',
          'aof_enabled',
          'aof_last_write_status',
          'aof_last_bgrewrite_status',
        ].map((f) => infoLine(info, f)),
      });
    return {
      findings,
      facts: { 'persistence.changesSinceSave': infoNumber(info, 'rdb_changes_since_last_save') ?? 0 },
    };
  },
  timeoutMs: T,
});
