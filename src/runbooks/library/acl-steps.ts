// Seed 002, "Redis ACL users were not properly loaded" and "secrets were not properly mounted":
// who the bot is to Redis, which users Redis has loaded, and whether the files the container's
// command names as the source of its users or password are there.
import { mountOf, parseAclSource, parseSourceCheck, SOURCE_CHECK } from '../analyzers/acl-source.js';
import { classifyReply } from '../analyzers/redis-reply.js';
import type { Analysis, Finding, StepContext } from '../model.js';
import type { ExecResult } from '../result.js';
import { allOutput } from '../result.js';
import { couldNotRun, diagnose, verify } from './common-steps.js';
import { list, SAFE_NAME, SAFE_PATH, str } from './facts.js';

const redis = { at: 'redis' } as const;
const T = 15_000;
const running = { not: { finding: 'container-not-running' } } as const;
const f = (finding: string) => ({ finding });
const aclTarget = { fact: 'redis.acl', equals: true } as const;
// An ACL target refused, or a start that failed on its config: only then are the sources of users
// and password looked at (a password-only target refused has no users file to look for).
const refusedOrBlocked = {
  any: [{ all: [aclTarget, f('auth-refused')] }, f('acl-load-failed'), f('config-load-failed')],
};

/** The user the bot should be: the targets file's ACL user, else Redis's `default`. */
export const expectedUser = (ctx: StepContext) =>
  ctx.target.redis.username ?? str(ctx.facts, 'redis.aclUser') ?? 'default';

// redis-cli goes on after a refused AUTH: the command then runs as whoever the connection is
// without it (the default user, when that is on with no password), or gets NOAUTH.
const AUTH_FAILED = /^AUTH failed:\s*(.*)$/;
function answerLines(r: ExecResult): { authFailed?: string; answers: string[] } {
  const lines = allOutput(r)
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const failed = lines.find((l) => AUTH_FAILED.test(l));
  return {
    ...(failed ? { authFailed: failed } : {}),
    answers: lines.filter((l) => !AUTH_FAILED.test(l) && !/^Warning: /.test(l)),
  };
}

export const aclUserStep = diagnose({
  id: 'acl-user',
  title: 'Who the bot is to Redis (ACL WHOAMI)',
  needs: ['ping'],
  // ACL targets (PING says so): a password-only one has no user to be but `default`, which PING shows.
  when: { all: [running, aclTarget] },
  action: () => ({ kind: 'redis', place: redis, args: ['ACL', 'WHOAMI'] }),
  analyze: (r, ctx) => {
    const want = expectedUser(ctx);
    const { authFailed, answers } = answerLines(r);
    const answer = answers[0] ?? '';
    const ev = [...(authFailed ? [authFailed] : []), ...(answer ? [`ACL WHOAMI → ${answer}`] : [])];
    if (r.unreachable || r.timedOut) return couldNotRun('ask Redis who the bot is', r);
    if (!authFailed && answer === want)
      return {
        findings: [
          { code: 'acl-user-ok', severity: 'ok', statement: `The bot is ${want} to Redis`, evidence: ev },
        ],
        facts: { 'acl.whoami': want, 'acl.canRun': true },
      };
    if (SAFE_NAME.test(answer) && !/^(?:NOAUTH|NOPERM|WRONGPASS|ERR)\b/.test(answer))
      return {
        findings: [
          {
            code: 'default-user-open',
            severity: 'warning',
            statement: `Redis let the bot in as ${answer} instead of ${want}: the ${answer} user is on without a password`,
            evidence: ev,
          },
        ],
        facts: { 'acl.whoami': answer, 'acl.canRun': true },
      };
    const kind = classifyReply({ ...r, stdout: answer, stderr: '' }).kind;
    if (kind === 'noauth')
      return {
        findings: [
          {
            code: 'default-user-off',
            severity: 'info',
            statement: `Without the ${want} user's login Redis lets nobody in (NOAUTH): the default user is off or has a password`,
            evidence: ev,
          },
        ],
        facts: { 'acl.defaultOff': true },
      };
    return couldNotRun('ask Redis who the bot is', r);
  },
  emits: ['acl-user-ok', 'default-user-open', 'default-user-off'],
  timeoutMs: T,
});

export const aclUsersStep = diagnose({
  id: 'acl-users',
  title: 'The users Redis has loaded (ACL USERS)',
  needs: ['acl-user'],
  // Only when the bot is let in as someone else than it should be: that connection can still ask.
  when: { all: [running, f('default-user-open')] },
  action: () => ({ kind: 'redis', place: redis, args: ['ACL', 'USERS'] }),
  analyze: (r, ctx) => {
    const { answers } = answerLines(r);
    if (r.exitCode !== 0 || answers.some((l) => /^(?:NOAUTH|NOPERM|WRONGPASS|ERR)\b/.test(l)))
      return couldNotRun('list the ACL users', r);
    const users = answers.filter((u) => SAFE_NAME.test(u));
    const want = expectedUser(ctx);
    const loaded = users.includes(want);
    return {
      findings: [
        {
          code: loaded ? 'acl-user-loaded' : 'acl-user-not-loaded',
          severity: loaded ? 'info' : 'critical',
          statement: loaded
            ? `Redis has the user ${want}: it refuses the password`
            : `Redis has no user ${want}; it knows only ${users.join(', ') || 'no one'}`,
          evidence: [`ACL USERS → ${users.join(' ') || '(none)'}`],
        },
      ],
      facts: { 'acl.loadedUsers': users },
    };
  },
  emits: ['acl-user-loaded', 'acl-user-not-loaded'],
  timeoutMs: T,
});

export const aclSourceStep = diagnose({
  id: 'acl-source',
  title: 'What the container names as its users and password',
  needs: ['container', 'logs', 'ping'],
  when: { all: [{ targetKind: 'docker' as const }, refusedOrBlocked] },
  action: () => ({ kind: 'inspect', place: redis }),
  analyze: (r): Analysis => {
    const v = r.truncated ? null : parseAclSource(r.stdout);
    if (!v) return couldNotRun('read the container command', r);
    const sources = v.sources.filter((s) => SAFE_PATH.test(s.path));
    const mounted = sources.map((s) => {
      const m = mountOf(v, s.path);
      return `${s.kind} ${s.path}: ${m ? `under the mount ${m.source} → ${m.destination}` : 'under no mount'}`;
    });
    return {
      findings: [
        {
          code: sources.length > 0 ? 'acl-sources-named' : 'acl-sources-none',
          severity: 'info',
          statement:
            sources.length > 0
              ? `The container's command names ${sources.map((s) => `${s.path} (${s.kind})`).join(', ')}`
              : 'The container names no ACL file, config file or password file on its command line',
          evidence: [`command: ${v.argv.join(' ')}`, ...mounted],
        },
      ],
      facts: {
        'acl.named': sources.length > 0,
        'acl.sources': sources.map((s) => `${s.kind}:${s.path}`),
        'acl.unmounted': sources.filter((s) => !mountOf(v, s.path)).map((s) => s.path),
        'acl.recreate': v.recreate,
        ...(v.composeService ? { 'acl.composeService': v.composeService } : {}),
      },
    };
  },
  emits: ['acl-sources-named', 'acl-sources-none'],
  timeoutMs: T,
});

function concludeFiles(r: ExecResult, ctx: StepContext): Analysis {
  const st = parseSourceCheck(r.stdout);
  if (!st) return couldNotRun('check the files the container names', r);
  const findings: Finding[] = [];
  const facts = ctx.facts;
  const want = expectedUser(ctx);
  const recreate = str(facts, 'acl.recreate');
  if (st.missing.length > 0)
    findings.push({
      code: 'secret-not-mounted',
      severity: 'critical',
      statement: `Secrets not mounted: the container's command names ${st.missing.map((m) => `${m.path} (${m.kind})`).join(', ')}, and ${st.missing.length > 1 ? 'they are' : 'it is'} not in the container`,
      evidence: [
        ...st.missing.map((m) => `missing ${m.kind} ${m.path}`),
        ...(recreate ? [`recreate it with its mounts: ${recreate}`] : []),
      ],
    });
  const aclFile = st.present.find((p) => p.kind === 'aclfile');
  const loaded = list(facts, 'acl.loadedUsers');
  const refused = facts['redis.auth'] === 'wrongpass' || facts['redis.auth'] === 'noauth';
  if (aclFile && refused) {
    const inFile = st.users.includes(want);
    const notLoaded = loaded.length > 0 ? !loaded.includes(want) : facts['acl.defaultOff'] === true;
    if (inFile && notLoaded) {
      const canLoad = facts['acl.canRun'] === true;
      findings.push({
        code: 'acl-users-not-loaded',
        severity: 'critical',
        statement: `ACL users not loaded: ${aclFile.path} defines ${want}, but Redis has not loaded it (it has ${loaded.length > 0 ? loaded.join(', ') : 'the default user, off, and no other'})`,
        evidence: [
          `present aclfile ${aclFile.path}, defining: ${st.users.join(' ')}`,
          loaded.length > 0 ? `ACL USERS → ${loaded.join(' ')}` : 'default user off: NOAUTH without a login',
          ...(canLoad
            ? []
            : [`no connection may run ACL LOAD; Redis reads the file at start: ${restartCommand(ctx)}`]),
        ],
      });
      return { findings, facts: { 'acl.loadable': canLoad } };
    }
    if (!inFile)
      findings.push({
        code: 'acl-user-not-in-file',
        severity: 'critical',
        statement: `${aclFile.path} does not define the user ${want}: the target names a user Redis is not given`,
        evidence: [`present aclfile ${aclFile.path}, defining: ${st.users.join(' ') || '(no users)'}`],
      });
  }
  if (findings.length === 0)
    findings.push({
      code: 'acl-sources-present',
      severity: 'ok',
      statement: 'Every file the container names is there',
      evidence: st.present.map((p) => `present ${p.kind} ${p.path}`),
    });
  return { findings };
}

/** Restarting reloads the ACL file; compose containers are restarted through compose. */
function restartCommand(ctx: StepContext): string {
  const service = str(ctx.facts, 'acl.composeService');
  const recreate = str(ctx.facts, 'acl.recreate');
  if (service && recreate) return recreate.replace(/ up -d --force-recreate (\S+)$/, ' restart $1');
  return `docker restart ${ctx.target.redis.container ?? '<redis container>'}`;
}

export const aclFileStep = diagnose({
  id: 'acl-file',
  title: 'The files the container names: there, and which users',
  needs: ['acl-source', 'acl-users', 'acl-user'],
  when: { all: [{ targetKind: 'docker' as const }, refusedOrBlocked, { fact: 'acl.named', equals: true }] },
  action: (ctx) => {
    const sources = list(ctx.facts, 'acl.sources').filter((s) =>
      /^(?:aclfile|conf|secret):\/[\w./-]*$/.test(s),
    );
    if (sources.length === 0) return null;
    const argv = ['sh', '-c', SOURCE_CHECK, 'sh', ...sources];
    // A stopped container cannot be exec'd into: a helper with its volumes sees what it would.
    return ctx.facts['redis.running'] === false
      ? { kind: 'helper', place: redis, argv, user: 'root' }
      : { kind: 'exec', place: redis, argv };
  },
  analyze: concludeFiles,
  emits: ['secret-not-mounted', 'acl-users-not-loaded', 'acl-user-not-in-file', 'acl-sources-present'],
  timeoutMs: 30_000,
});

export const aclSteps = [aclUserStep, aclUsersStep, aclSourceStep, aclFileStep];

/** After ACL LOAD: the bot is its configured user again, with no refused AUTH on the way. */
export const verifyAclUser = verify({
  id: 'verify-acl-user',
  title: 'The configured user authenticates (ACL WHOAMI)',
  action: () => ({ kind: 'redis', place: redis, args: ['ACL', 'WHOAMI'] }),
  check: (r, ctx) => {
    const want = expectedUser(ctx);
    const { authFailed, answers } = answerLines(r);
    const passed = !authFailed && answers[0] === want;
    return {
      passed,
      statement: passed ? `ACL WHOAMI → ${want}` : `ACL WHOAMI → ${authFailed ?? answers[0] ?? '(nothing)'}`,
      evidence: [...(authFailed ? [authFailed] : []), ...answers.slice(0, 1)],
    };
  },
  timeoutMs: T,
});
