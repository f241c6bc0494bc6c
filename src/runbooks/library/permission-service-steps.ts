// Seed 003: on a host run by systemd, which user the service is meant to run as, which one its unit
// makes it run as, and what the files it needs belong to. Read-only; the repair is in
// permission-service-repair.ts.
import { type OwnedPath, parseAccount, parseOwners, parseUnitShow } from '../analyzers/systemd-unit.js';
import type { Analysis, Facts, Finding, StepContext } from '../model.js';
import { allOutput, type ExecResult } from '../result.js';
import { CUT, couldNotRun, diagnose } from './common-steps.js';
import {
  dataDirOf,
  dropInPath,
  list,
  logDirOf,
  SAFE_PATH,
  str,
  UNIT_NAME,
  USER_NAME,
  unitOf,
} from './facts.js';

const redis = { at: 'redis' } as const;
const T = 15_000;
const ssh = { targetKind: 'ssh' } as const;
/** The distribution's package user (Debian, Ubuntu, RHEL): a dir of theirs says what Redis should run as. */
export const PACKAGE_USER = 'redis';
/** How many owner lines the undo carries; a data dir holds a handful of files. */
const MAX_OWNERS = 30;

export const serviceUnitStep = diagnose({
  id: 'service-unit',
  title: 'The systemd unit: systemctl show -p User,Group,ExecStart',
  when: ssh,
  action: (ctx) => {
    const unit = unitOf(ctx);
    const props = 'User,Group,ExecStart,FragmentPath,DropInPaths,LoadState,ActiveState,MainPID';
    return unit ? { kind: 'exec', place: redis, argv: ['systemctl', 'show', '-p', props, '--', unit] } : null;
  },
  analyze: (r, ctx) => {
    const unit = unitOf(ctx) ?? '?';
    // A host without systemd answers that much: a reading (there is no unit), not a failed probe.
    const none = /System has not been booted with systemd|systemctl: (command )?not found/.exec(allOutput(r));
    if (none)
      return {
        findings: [
          {
            code: 'no-systemd',
            severity: 'info',
            statement: `The host does not run systemd, so there is no unit ${unit} to read`,
            evidence: [none[0]],
          },
        ],
      };
    const show = r.truncated ? null : parseUnitShow(r.stdout);
    if (!show) return couldNotRun(`read the unit ${unit} (systemctl show)`, r, r.truncated ? CUT : undefined);
    const evidence = r.stdout.trim().split('\n').slice(0, 10);
    if (show.loadState !== 'loaded')
      return {
        findings: [
          {
            code: 'unit-missing',
            severity: 'warning',
            statement: `systemd has no unit ${unit} (LoadState=${show.loadState}): check unit: in the targets file`,
            evidence,
          },
        ],
      };
    const user = show.user || 'root';
    const from = show.dropIns.length > 0 ? `drop-ins ${show.dropIns.join(', ')} over ` : '';
    const findings: Finding[] = [
      {
        code: 'unit-read',
        severity: 'info',
        statement: `The unit ${unit} runs ${show.execStart || 'its ExecStart'} as ${user}:${show.group || user} (${from}${show.fragmentPath || 'its unit file'})`,
        evidence,
      },
    ];
    const facts: Facts = {
      'unit.user': USER_NAME.test(user) ? user : '',
      'unit.group': USER_NAME.test(show.group) ? show.group : '',
      'unit.dropIns': show.dropIns.filter((p) => SAFE_PATH.test(p)),
    };
    return { findings, facts };
  },
  emits: ['unit-read', 'unit-missing', 'no-systemd'],
  timeoutMs: T,
});

// The bot's drop-in as it is now (for the undo), then the owner of the data dir, the log dir and
// every file in them (also for the undo): what the repair will change, read before it does.
const FILES_SCRIPT = [
  'f=$1; shift',
  'if [ -e "$f" ]; then echo "dropin: present"; sed "s/^/dropin| /" -- "$f"; else echo "dropin: absent"; fi',
  'echo "owners:"',
  'find "$@" -maxdepth 2 -printf "%u:%g %p\\n"',
].join('\n');

export const serviceFilesStep = diagnose({
  id: 'service-files',
  title: "Owners of the data and log directories' files, and the bot's drop-in (for the undo)",
  needs: ['config', 'service-unit'],
  when: { all: [ssh, { finding: 'unit-read' }] },
  action: (ctx) => {
    const unit = unitOf(ctx);
    const log = logDirOf(ctx);
    const argv = [
      'sh',
      '-c',
      FILES_SCRIPT,
      'sh',
      dropInPath(unit ?? ''),
      dataDirOf(ctx),
      ...(log ? [log] : []),
    ];
    return unit ? { kind: 'exec', place: redis, argv, user: 'root' } : null;
  },
  analyze: analyzeServiceFiles,
  emits: ['service-files'],
  timeoutMs: T,
});

export function analyzeServiceFiles(r: ExecResult, ctx: StepContext): Analysis {
  const m = r.truncated ? null : /^dropin: (present|absent)\n([\s\S]*?)^owners:\n([\s\S]*)$/m.exec(r.stdout);
  const owners = parseOwners(m?.[3] ?? '');
  if (!m || !owners.some((o) => o.path === dataDirOf(ctx)))
    return couldNotRun('read the owners of the data directory', r, r.truncated ? CUT : undefined);
  const previous = (m[2] ?? '')
    .split('\n')
    .filter((l) => l.startsWith('dropin| '))
    .map((l) => l.slice(8));
  const kept = owners.filter((o) => SAFE_PATH.test(o.path)).slice(0, MAX_OWNERS);
  return {
    findings: [
      {
        code: 'service-files',
        severity: 'info',
        statement: `${kept.length} paths read for the undo; the bot's drop-in is ${m[1] === 'present' ? 'there already' : 'not there'}`,
        evidence: [
          ...kept.map((o) => `${o.user}:${o.group} ${o.path}`),
          ...previous.map((l) => `drop-in: ${l}`),
        ],
      },
    ],
    facts: {
      'dropin.present': m[1] === 'present',
      'dropin.previous': previous,
      'owners.before': kept.map((o) => `${o.user}:${o.group} ${o.path}`),
    },
  };
}

/**
 * The user the service should run as: the operator's word, else the package user when the dir is
 * theirs. `known` false: neither says so, and the package user is only looked up, not expected.
 */
export function wantedUser(ctx: StepContext): { user: string; why: string; known: boolean } | undefined {
  const declared = ctx.target.redis.serviceUser;
  if (declared !== undefined)
    return USER_NAME.test(declared)
      ? { user: declared, why: 'serviceUser in the targets file', known: true }
      : undefined;
  const theirs = str(ctx.facts, 'dir.user') === PACKAGE_USER;
  const why = theirs
    ? `the data directory belongs to the distribution's ${PACKAGE_USER} user`
    : `no serviceUser in the targets file, and the data directory is not the ${PACKAGE_USER} user's`;
  return { user: PACKAGE_USER, why, known: theirs };
}

const nothingToCompare = (why: string): Finding => ({
  code: 'service-user-unknown',
  severity: 'info',
  statement: `Which user the service should run as is not known (${why}); the user Redis runs as is not judged`,
  evidence: [why],
});

export const serviceUserStep = diagnose({
  id: 'service-user',
  title: 'The service user exists (getent passwd) and Redis runs as it',
  needs: ['process-owner', 'data-dir', 'service-unit', 'service-files'],
  when: ssh,
  action: (ctx) => {
    const want = wantedUser(ctx);
    const script = 'getent passwd "$1" && id -gn "$1"';
    return want ? { kind: 'exec', place: redis, argv: ['sh', '-c', script, 'sh', want.user] } : null;
  },
  analyze: analyzeServiceUser,
  emits: ['service-user-missing', 'service-runs-as-other', 'service-user-ok', 'service-user-unknown'],
  timeoutMs: T,
});

/** The cause of seed 003, from what the steps before read: pure, and unit-tested as such. */
export function analyzeServiceUser(r: ExecResult, ctx: StepContext): Analysis {
  const want = wantedUser(ctx);
  if (!want) return couldNotRun('tell the service user', r);
  // getent exits 2 for "no such entry": an answer, not a failed probe.
  if (r.exitCode === 2 && r.stdout.trim() === '' && !want.known)
    return { findings: [nothingToCompare(want.why)] };
  if (r.exitCode === 2 && r.stdout.trim() === '')
    return {
      findings: [
        {
          code: 'service-user-missing',
          severity: 'critical',
          statement: `The service user ${want.user} (${want.why}) does not exist on the host: getent passwd ${want.user} found nothing`,
          evidence: [`getent passwd ${want.user}: exit 2, no entry`],
        },
      ],
    };
  const account = r.truncated || r.exitCode !== 0 ? null : parseAccount(r.stdout);
  if (!account || !USER_NAME.test(account.group)) return couldNotRun(`look up the user ${want.user}`, r);
  const running = str(ctx.facts, 'redis.userName');
  if (running === undefined) return couldNotRun('compare the service user with the one Redis runs as', r);
  const facts: Facts = {
    'service.user': account.user,
    'service.group': account.group,
    'service.uid': account.uid,
    'service.gid': account.gid,
    'service.undo': serviceUndo(ctx),
  };
  const line = r.stdout.trim().split('\n')[0] ?? '';
  if (!want.known && running !== account.user) return { findings: [nothingToCompare(want.why)], facts };
  if (running === account.user)
    return {
      findings: [
        {
          code: 'service-user-ok',
          severity: 'ok',
          statement: `Redis runs as its service user ${running}`,
          evidence: [line],
        },
      ],
      facts,
    };
  const unitUser = str(ctx.facts, 'unit.user');
  const dir = `${str(ctx.facts, 'dir.user') ?? '?'}:${str(ctx.facts, 'dir.group') ?? '?'} ${dataDirOf(ctx)}`;
  return {
    findings: [
      {
        code: 'service-runs-as-other',
        severity: 'critical',
        statement: `Redis runs as ${running}, but its service user is ${account.user} (${want.why})${unitUser ? `: the unit ${unitOf(ctx)} sets User=${unitUser}` : ''}. The fix goes on the service, not on the directory`,
        evidence: [
          `process owner ${running}`,
          ...(unitUser ? [`unit User=${unitUser} Group=${str(ctx.facts, 'unit.group') || unitUser}`] : []),
          `data dir ${dir}`,
          line,
        ],
      },
    ],
    facts,
  };
}

/** The undo with the values read before the repair: the drop-in as it was, then every owner as it was. */
export function serviceUndo(ctx: StepContext): string {
  const unit = unitOf(ctx);
  if (!unit || !UNIT_NAME.test(unit)) return 'unknown: the unit was not read';
  const path = dropInPath(unit);
  const previous = list(ctx.facts, 'dropin.previous');
  const dropIn =
    ctx.facts['dropin.present'] === true
      ? `write back ${path} as it was (${previous.join(' / ') || 'empty'})`
      : `rm ${path} (it did not exist before)`;
  const owners = list(ctx.facts, 'owners.before').flatMap((l): OwnedPath[] => {
    const [owner, p] = [l.slice(0, l.indexOf(' ')), l.slice(l.indexOf(' ') + 1)];
    const [user, group] = owner.split(':');
    return user && group ? [{ user, group, path: p }] : [];
  });
  const chowns = owners.map((o) => `chown -h ${o.user}:${o.group} ${o.path}`);
  return [
    dropIn,
    'systemctl daemon-reload',
    `systemctl stop ${unit}`,
    ...chowns,
    `systemctl start ${unit}`,
  ].join('; ');
}
