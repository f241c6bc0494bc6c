import type { Action } from '../action.js';
import { modeString, parseId, parseStat, writeAccess } from '../analyzers/file-owner.js';
import { parseConfigGet } from '../analyzers/redis-info.js';
import type { Analysis, Facts, Finding, StepContext } from '../model.js';
import type { ExecResult } from '../result.js';
import { allOutput } from '../result.js';
import { couldNotRun, diagnose } from './common-steps.js';
import { dataDirOf, num, SAFE_NAME, SAFE_PATH, str } from './facts.js';

const redis = { at: 'redis' } as const;
const T = 15_000;
const running = { not: { finding: 'container-not-running' } } as const;

/** Runs argv beside Redis: in its container (or a helper sharing its volumes if it exited), or on its host. */
export function besideRedis(ctx: StepContext, argv: string[], user: string): Action {
  if (ctx.target.kind === 'docker' && ctx.facts['redis.running'] === false)
    return { kind: 'helper', place: redis, argv, user };
  return ctx.target.kind === 'ssh' && user === 'root'
    ? { kind: 'exec', place: redis, argv }
    : { kind: 'exec', place: redis, argv, user };
}

export const configStep = diagnose({
  id: 'config',
  title: 'CONFIG GET dir, appendonly, stop-writes-on-bgsave-error',
  needs: ['container'],
  when: running,
  command: 'redis-cli CONFIG GET dir appendonly stop-writes-on-bgsave-error save',
  action: () => ({
    kind: 'redis',
    place: redis,
    args: ['CONFIG', 'GET', 'dir', 'appendonly', 'stop-writes-on-bgsave-error', 'save'],
  }),
  analyze: (r, ctx) => {
    const cfg = parseConfigGet(r.stdout);
    const dir = cfg.get('dir');
    if (dir === undefined) return { findings: [couldNotRun('read CONFIG GET', r)] };
    const ev = [...cfg].map(([k, v]) => `${k} ${v === '' ? '""' : v}`);
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
    return {
      findings,
      facts: {
        ...(SAFE_PATH.test(dir) ? { 'redis.dir': dir } : {}),
        'redis.appendonly': cfg.get('appendonly') ?? '',
      },
    };
  },
  timeoutMs: T,
});

function ownerFacts(uid: number, gid: number, user: string): Facts {
  return { 'redis.uid': uid, 'redis.gid': gid, ...(SAFE_NAME.test(user) ? { 'redis.userName': user } : {}) };
}

export const processOwnerStep = diagnose({
  id: 'process-owner',
  title: 'User Redis runs as',
  needs: ['info-server'],
  when: { fact: 'redis.pid' },
  command: 'stat -c "%u %g %U %G" /proc/<redis pid>',
  action: (ctx) => {
    const pid = str(ctx.facts, 'redis.pid');
    return pid ? { kind: 'exec', place: redis, argv: ['stat', '-c', '%u %g %U %G', `/proc/${pid}`] } : null;
  },
  analyze: (r, ctx) => {
    const m = /^(\d+) (\d+) (\S+) (\S+)/m.exec(r.stdout);
    if (!m) return { findings: [couldNotRun('find the user Redis runs as', r)] };
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
    return { findings, facts: ownerFacts(uid, gid, user) };
  },
  timeoutMs: T,
});

export const imageUserStep = diagnose({
  id: 'image-user',
  title: 'User the stopped container runs Redis as',
  needs: ['container'],
  when: { all: [{ targetKind: 'docker' }, { finding: 'container-not-running' }] },
  command: 'docker run --rm --volumes-from <redis container> -u <its user> <its image> id',
  action: (ctx) => ({
    kind: 'helper',
    place: redis,
    argv: ['id'],
    user: str(ctx.facts, 'redis.user') ?? 'root',
  }),
  analyze: (r) => {
    const id = parseId(r.stdout);
    if (!id) return { findings: [couldNotRun('find the container user', r)] };
    return {
      findings: [
        {
          code: 'redis-user',
          severity: 'info',
          statement: `The container runs Redis as ${id.user} (${id.uid}:${id.gid})`,
          evidence: [r.stdout.trim()],
        },
      ],
      facts: ownerFacts(id.uid, id.gid, id.user),
    };
  },
  timeoutMs: 60_000,
});

export function analyzeDataDir(r: ExecResult, ctx: StepContext): Analysis {
  const dir = parseStat(r.stdout);
  if (!dir) return { findings: [couldNotRun(`stat the data directory ${dataDirOf(ctx)}`, r)] };
  const uid = num(ctx.facts, 'redis.uid');
  const gid = num(ctx.facts, 'redis.gid');
  const src = str(ctx.facts, 'redis.mountSource');
  const where = src ? `${dir.path} (bind mount of ${src} on the host)` : dir.path;
  const owner = `${dir.user}:${dir.group} (${dir.uid}:${dir.gid}) mode ${modeString(dir.mode)}`;
  const evidence = [r.stdout.trim(), ...(uid !== undefined ? [`redis runs as ${uid}:${gid}`] : [])];
  const facts: Facts = { 'dir.path': dir.path, 'dir.uid': dir.uid, 'dir.gid': dir.gid, 'dir.mode': dir.mode };
  if (uid === undefined || gid === undefined)
    return {
      findings: [
        {
          code: 'data-dir',
          severity: 'info',
          statement: `${where} is owned by ${owner}; the Redis user is unknown`,
          evidence,
        },
      ],
      facts,
    };
  const access = writeAccess(dir, uid, gid);
  let finding: Finding;
  if (access.canWrite)
    finding = {
      code: 'data-dir-ok',
      severity: 'ok',
      statement: `${where} is writable by Redis (${uid}:${gid}): ${owner}`,
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
  command: 'stat -c "%u %g %a %U %G %n" <data dir>',
  action: (ctx) => besideRedis(ctx, ['stat', '-c', '%u %g %a %U %G %n', dataDirOf(ctx)], 'root'),
  analyze: analyzeDataDir,
  timeoutMs: 60_000,
});

export const diskStep = diagnose({
  id: 'disk',
  title: 'Free space and mount options of the data directory',
  needs: ['config', 'logs'],
  command: 'df -Pk <data dir>; cat /proc/mounts',
  action: (ctx) =>
    besideRedis(ctx, ['sh', '-c', 'df -Pk "$1"; echo ---; cat /proc/mounts', 'sh', dataDirOf(ctx)], 'root'),
  analyze: (r, ctx) => {
    const [dfPart = '', mountsPart = ''] = allOutput(r).split('\n---\n');
    const df = dfPart.split('\n').find((l) => /\s\d+%\s/.test(l));
    const use = df ? Number(/\s(\d+)%\s/.exec(df)?.[1]) : undefined;
    const dir = dataDirOf(ctx);
    const mount = mountsPart
      .split('\n')
      .map((l) => l.split(' '))
      .filter((p) => p.length >= 4 && dir.startsWith(p[1] ?? '\0'))
      .sort((a, b) => (b[1]?.length ?? 0) - (a[1]?.length ?? 0))[0];
    const ro = mount?.[3]?.split(',').includes('ro') ?? false;
    const findings: Finding[] = [];
    if (use !== undefined && use >= 99)
      findings.push({
        code: 'disk-full',
        severity: 'critical',
        statement: `The filesystem holding ${dir} is ${use}% full`,
        evidence: [df ?? ''],
      });
    if (ro)
      findings.push({
        code: 'read-only-fs',
        severity: 'critical',
        statement: `${dir} is on a filesystem mounted read-only (${mount?.[1]})`,
        evidence: [mount?.join(' ') ?? ''],
      });
    if (findings.length === 0 && use !== undefined)
      findings.push({
        code: 'disk-ok',
        severity: 'ok',
        statement: `${dir}: ${use}% used, mounted read-write`,
        evidence: [df ?? '', mount?.join(' ') ?? ''].filter(Boolean),
      });
    return { findings: findings.length ? findings : [couldNotRun('check free space', r)] };
  },
  timeoutMs: 60_000,
});
