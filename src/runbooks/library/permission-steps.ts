import type { Action } from '../action.js';
import { modeString, parseId, parseStat, writeAccess } from '../analyzers/file-owner.js';
import { parseConfigGet } from '../analyzers/redis-info.js';
import type { Analysis, Facts, Finding, StepContext } from '../model.js';
import type { ExecResult } from '../result.js';
import { CUT, couldNotRun, diagnose, UNREAD } from './common-steps.js';
import { dataDirOf, list, num, SAFE_NAME, SAFE_PATH, str } from './facts.js';

const redis = { at: 'redis' } as const;
const T = 15_000;
const running = { not: { finding: 'container-not-running' } } as const;

/** Runs argv beside Redis: in its container (or a helper sharing its volumes if it exited), or on its host. */
export function besideRedis(ctx: StepContext, argv: string[], user: string): Action {
  if (ctx.target.kind === 'docker' && ctx.facts['redis.running'] === false)
    return { kind: 'helper', place: redis, argv, user };
  return { kind: 'exec', place: redis, argv, user };
}

export const configStep = diagnose({
  id: 'config',
  title: 'CONFIG GET (dir, appendonly, stop-writes-on-bgsave-error, save)',
  needs: ['container'],
  when: running,
  // Before Redis 7 CONFIG GET takes one pattern; `*` is the one that reads all four on every version.
  action: () => ({ kind: 'redis', place: redis, args: ['CONFIG', 'GET', '*'] }),
  analyze: (r, ctx) => {
    if (r.truncated) return couldNotRun('read CONFIG GET', r, CUT);
    const cfg = parseConfigGet(r.stdout);
    const dir = cfg.get('dir');
    if (dir === undefined) return couldNotRun('read CONFIG GET', r);
    const ev = ['dir', 'appendonly', 'stop-writes-on-bgsave-error', 'save'].map(
      (k) => `${k} ${cfg.get(k) === '' ? '""' : (cfg.get(k) ?? '(absent)')}`,
    );
    const findings: Finding[] = [
      {
        code: 'config',
        severity: 'info',
        statement: `Data dir ${dir}, appendonly ${cfg.get('appendonly')}, stop-writes-on-bgsave-error ${cfg.get('stop-writes-on-bgsave-error')}`,
        evidence: ev,
      },
    ];
    if (cfg.get('stop-writes-on-bgsave-error') === 'yes')
      findings.push({
        code: 'stop-writes-on',
        severity: 'info',
        statement:
          'While saves fail, Redis refuses writes (stop-writes-on-bgsave-error yes), which clients see as MISCONF',
        evidence: ['stop-writes-on-bgsave-error yes'],
      });
    const configured = ctx.target.redis.dataDir;
    if (configured !== undefined && configured !== dir)
      findings.push({
        code: 'data-dir-differs',
        severity: 'warning',
        statement: `Redis writes to ${dir}, but the targets file says its data dir is ${configured}; the runbook acts on ${configured}`,
        evidence: [`dir ${dir}`, `dataDir ${configured} (targets file)`],
      });
    if (cfg.get('save') === '' && cfg.get('appendonly') === 'no')
      findings.push({
        code: 'persistence-off',
        severity: 'info',
        statement:
          'Persistence is off (save "" and appendonly no): Redis writes nothing to its data directory',
        evidence: ['save ""', 'appendonly no'],
      });
    return {
      findings,
      facts: {
        ...(SAFE_PATH.test(dir) ? { 'redis.dir': dir } : {}),
        ...(SAFE_PATH.test(cfg.get('logfile') ?? '') ? { 'redis.logfile': cfg.get('logfile') ?? '' } : {}),
        'redis.appendonly': cfg.get('appendonly') ?? '',
        ...aofPathFact(dir, cfg),
      },
    };
  },
  emits: ['config', 'stop-writes-on', 'data-dir-differs', 'persistence-off'],
  timeoutMs: T,
});

// Where the AOF lives while it is on: appendonlydir (7.0+, `appenddirname`) or the one file before.
function aofPathFact(dir: string, cfg: Map<string, string>): Facts {
  const name = cfg.get('appenddirname') ?? cfg.get('appendfilename');
  if (cfg.get('appendonly') !== 'yes' || name === undefined || !SAFE_NAME.test(name) || !SAFE_PATH.test(dir))
    return {};
  return {
    'redis.aofPath': `${dir.replace(/\/+$/, '')}/${name}`,
    'redis.aofIsDir': cfg.has('appenddirname'),
  };
}

function ownerFacts(uid: number, gid: number, user: string, groups: readonly number[]): Facts {
  return {
    'redis.uid': uid,
    'redis.gid': gid,
    'redis.groups': groups.map(String),
    ...(SAFE_NAME.test(user) ? { 'redis.userName': user } : {}),
  };
}

/** Supplementary groups from a `Groups:` line of /proc/<pid>/status. */
const groupsOf = (text: string) =>
  (/^Groups:[ \t]*([\d \t]*)$/m.exec(text)?.[1] ?? '').split(/\s+/).filter(Boolean).map(Number);

export const processOwnerStep = diagnose({
  id: 'process-owner',
  title: 'User Redis runs as',
  needs: ['info-server'],
  // Not applicable to a container that exited (image-user covers it); without a pid from a running
  // Redis, the step is unread rather than "not applicable".
  when: running,
  action: (ctx) => {
    const pid = str(ctx.facts, 'redis.pid');
    // Supplementary groups decide write access as much as the uid does (a 0775 dir of a shared group).
    const script = 'stat -c "%u %g %U %G" "/proc/$1" && grep "^Groups:" "/proc/$1/status"';
    return pid ? { kind: 'exec', place: redis, argv: ['sh', '-c', script, 'sh', pid] } : null;
  },
  analyze: (r, ctx) => {
    const m = r.truncated ? null : /^(\d+) (\d+) (\S+) (\S+)/m.exec(r.stdout);
    // Without the Groups: line the write access cannot be judged (a supplementary group may give it).
    if (!m || !/^Groups:/m.test(r.stdout)) return couldNotRun('find the user Redis runs as', r);
    const [uid, gid, user, group] = [Number(m[1]), Number(m[2]), m[3] ?? '', m[4] ?? ''];
    const findings: Finding[] = [
      {
        code: 'redis-user',
        severity: 'info',
        statement: `Redis runs as ${user}:${group} (${uid}:${gid})`,
        evidence: [r.stdout.trim()],
      },
    ];
    const want = ctx.target.redis.serviceUser;
    if (want && want !== user)
      findings.push({
        code: 'service-user-mismatch',
        severity: 'warning',
        statement: `Redis runs as ${user}, but the service is meant to run as ${want}`,
        evidence: [`process owner ${user} (${uid}:${gid})`, `serviceUser ${want} (targets file)`],
      });
    const groups = groupsOf(r.stdout);
    if (groups.length > 0) findings[0]?.evidence.push(`Groups: ${groups.join(' ')}`);
    return { findings, facts: ownerFacts(uid, gid, user, groups) };
  },
  emits: ['redis-user', 'service-user-mismatch'],
  timeoutMs: T,
});

export const imageUserStep = diagnose({
  id: 'image-user',
  title: 'User the stopped container runs Redis as',
  needs: ['container'],
  when: { all: [{ targetKind: 'docker' }, { finding: 'container-not-running' }] },
  action: (ctx) => ({
    kind: 'helper',
    place: redis,
    argv: ['id'],
    user: str(ctx.facts, 'redis.user') ?? 'root',
  }),
  analyze: (r) => {
    const id = parseId(r.stdout);
    if (!id) return couldNotRun('find the container user', r);
    return {
      findings: [
        {
          code: 'redis-user',
          severity: 'info',
          statement: `The container runs Redis as ${id.user} (${id.uid}:${id.gid})`,
          evidence: [r.stdout.trim()],
        },
      ],
      facts: ownerFacts(id.uid, id.gid, id.user, id.groups),
    };
  },
  emits: ['redis-user'],
  timeoutMs: 60_000,
});

export function analyzeDataDir(r: ExecResult, ctx: StepContext): Analysis {
  const dir = r.truncated ? null : parseStat(r.stdout);
  if (!dir) return couldNotRun(`stat the data directory ${dataDirOf(ctx)}`, r);
  const uid = num(ctx.facts, 'redis.uid');
  const gid = num(ctx.facts, 'redis.gid');
  const src = str(ctx.facts, 'redis.mountSource');
  const where = src ? `${dir.path} (bind mount of ${src} on the host)` : dir.path;
  const owner = `${dir.user}:${dir.group} (${dir.uid}:${dir.gid}) mode ${modeString(dir.mode)}`;
  const evidence = [r.stdout.trim(), ...(uid !== undefined ? [`redis runs as ${uid}:${gid}`] : [])];
  // The line after the stat: where the path really leads (absent where readlink is missing).
  const real = r.stdout.split('\n').map((l) => l.trim())[1];
  const facts: Facts = {
    ...(real !== undefined && SAFE_PATH.test(real) ? { 'dir.real': real } : {}),
    'dir.path': dir.path,
    'dir.uid': dir.uid,
    'dir.gid': dir.gid,
    'dir.mode': dir.mode,
    ...(SAFE_NAME.test(dir.user) ? { 'dir.user': dir.user } : {}),
    ...(SAFE_NAME.test(dir.group) ? { 'dir.group': dir.group } : {}),
  };
  if (uid === undefined || gid === undefined) {
    const why = 'the user Redis runs as is unknown, so whether it may write there cannot be told';
    return {
      findings: [
        { code: UNREAD, severity: 'unknown', statement: `${where} is owned by ${owner}; ${why}`, evidence },
      ],
      facts,
      unread: why,
    };
  }
  const groups = list(ctx.facts, 'redis.groups').map(Number);
  const access = writeAccess(dir, uid, gid, groups);
  let finding: Finding;
  if (access.canWrite)
    finding = {
      code: 'data-dir-ok',
      severity: 'ok',
      statement: `${where} is writable by Redis (${uid}:${gid}, by its ${access.via} bits): ${owner}`,
      evidence,
    };
  else if (dir.uid !== uid)
    finding = {
      code: 'owner-mismatch',
      severity: 'critical',
      statement: `${where} is owned by ${dir.uid}:${dir.gid}, but Redis runs as ${uid}:${gid} and the mode (${modeString(dir.mode)}) gives it no write access`,
      evidence,
    };
  else
    finding = {
      code: 'no-write-bit',
      severity: 'critical',
      statement: `${where} belongs to the Redis user (${uid}) but its mode ${modeString(dir.mode)} has no owner write bit`,
      evidence,
    };
  return { findings: [finding], facts };
}

export const dataDirStep = diagnose({
  id: 'data-dir',
  title: 'Owner and mode of the data directory',
  needs: ['config', 'process-owner', 'image-user', 'logs'],
  // -L: a data dir that is a symlink is judged by the directory behind it, which Redis writes to;
  // readlink -f says which directory that is, so a repair can refuse a link into the system.
  action: (ctx) =>
    besideRedis(
      ctx,
      ['sh', '-c', 'stat -L -c "%u %g %a %U %G %n" "$1" && readlink -f "$1"', 'sh', dataDirOf(ctx)],
      'root',
    ),
  analyze: analyzeDataDir,
  emits: ['data-dir-ok', 'owner-mismatch', 'no-write-bit'],
  timeoutMs: 60_000,
});
