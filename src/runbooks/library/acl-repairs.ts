// Seed 002: the ACL file is in the container but Redis has not loaded its users. ACL LOAD reads it
// again, without a restart; it runs on whatever connection Redis accepts (the default user, on with
// no password, when the configured user is not loaded yet), and is verified as the configured user.
import { guarded, outcome } from './step-builders.js';

const redis = { at: 'redis' } as const;

export const aclRepairs = [
  guarded({
    id: 'acl-load',
    title: 'Load the ACL users from the ACL file (ACL LOAD)',
    gate: { id: 'approve-acl-load', title: 'Approve ACL LOAD' },
    precondition: { step: 'acl-file', findings: ['acl-users-not-loaded'] },
    // ACL LOAD replaces every user with the file's: users made at run time with ACL SETUSER and
    // not in the file are gone, and the default user is what the file says (off, in the seed).
    risk: 'medium',
    actions: () => [{ kind: 'redis', place: redis, args: ['ACL', 'LOAD'] }],
    verify: ['verify-acl-user', 'verify-ping'],
    undo: 'none by command: the users before ACL LOAD were not from the file; re-create them with ACL SETUSER if one is missed',
    timeoutMs: 30_000,
    onSuccess: 'recheck',
    onFailure: 'escalate-repair-failed',
  }),
];

const f = (finding: string) => ({ finding });

/** Triage branches, before the other theories: a missing secret first, since nothing else can load. */
export const aclBranches = [
  { when: f('secret-not-mounted'), to: 'escalate-secrets', cause: 'secrets-not-mounted' },
  {
    when: { all: [f('acl-users-not-loaded'), { fact: 'acl.loadable', equals: true }] },
    to: 'approve-acl-load',
    cause: 'acl-not-loaded',
  },
  { when: f('acl-users-not-loaded'), to: 'escalate-acl-not-loaded', cause: 'acl-not-loaded' },
];

export const aclOutcomes = [
  outcome(
    'escalate-secrets',
    'escalated',
    "Secrets not mounted: a file the container's command names (its ACL file, config file or password file) is not in the container. Recreate the container with its mounts, with the command in the finding secret-not-mounted; no automatic repair.",
  ),
  outcome(
    'escalate-acl-not-loaded',
    'escalated',
    'ACL users not loaded, and no connection Redis accepts may run ACL LOAD (the default user is off). Restart Redis so it reads its ACL file at start, with the command in the finding acl-users-not-loaded; no automatic repair.',
  ),
];
