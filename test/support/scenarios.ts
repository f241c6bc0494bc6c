import type { ScenarioName } from '@runbook-bot/lab';
import type { RunStatus } from '../../src/runbooks/index.js';

/** What each seed scenario must lead to: the root cause, the approval offered, the commands on its card. */
export interface Expectation {
  scenario: ScenarioName;
  runbook: 'redis-permissions' | 'redis-connectivity';
  cause?: string;
  /** The approval step the run stops at; absent when the run ends without proposing a repair. */
  approval?: string;
  /** Patterns the rendered commands on the approval card must match, in order. */
  commands?: RegExp[];
  /** Status once diagnosis is over (awaiting-approval when a repair is proposed). */
  status: RunStatus;
}

export const EXPECTATIONS: readonly Expectation[] = [
  {
    scenario: 'rdb-permission',
    runbook: 'redis-permissions',
    cause: 'owner-mismatch',
    approval: 'approve-chown-running',
    commands: [/^docker exec -u root \S+ chown -R -h 999:999 \/data\/\.$/],
    status: 'awaiting-approval',
  },
  {
    scenario: 'aof-permission',
    runbook: 'redis-permissions',
    cause: 'owner-mismatch',
    approval: 'approve-chown-stopped',
    commands: [
      /^docker run --rm --volumes-from \S+ -u root .* chown -R -h 999:999 \/data\/\.$/,
      /^docker start \S+$/,
    ],
    status: 'awaiting-approval',
  },
  {
    scenario: 'aof-rewrite-denied',
    runbook: 'redis-permissions',
    cause: 'aof-dir-owner',
    approval: 'approve-chown-aof',
    commands: [/^docker exec -u root \S+ chown -R -h 999:999 \/data\/appendonlydir\/\.$/],
    status: 'awaiting-approval',
  },
  {
    scenario: 'volatile-lru-full',
    runbook: 'redis-connectivity',
    cause: 'maxmemory',
    approval: 'approve-maxmemory',
    commands: [/^docker exec \S+ redis-cli -h 127\.0\.0\.1 -p 6379 CONFIG SET maxmemory \d+mb$/],
    status: 'awaiting-approval',
  },
  {
    scenario: 'pubsub-leak',
    runbook: 'redis-connectivity',
    cause: 'pubsub-leak',
    approval: 'approve-kill-pubsub',
    commands: Array.from(
      { length: 8 },
      () => /^docker exec \S+ redis-cli -h 127\.0\.0\.1 -p 6379 CLIENT KILL ID \d+$/,
    ),
    status: 'awaiting-approval',
  },
  {
    scenario: 'service-user-mismatch',
    runbook: 'redis-permissions',
    cause: 'service-user',
    approval: 'approve-service-user',
    commands: [
      /^ssh \S+ -- chown -R -h 1000:1000 \/var\/lib\/redis\/\.$/,
      /^ssh \S+ -- install -d -m 0755 \/etc\/systemd\/system\/redis-server\.service\.d$/,
      /^ssh \S+ -- sh -c .* sh redis redis \/etc\/systemd\/system\/redis-server\.service\.d\/zz-runbook-bot-service-user\.conf$/,
      /^ssh \S+ -- systemctl daemon-reload$/,
      /^ssh \S+ -- systemctl stop -- redis-server$/,
      /^ssh \S+ -- chown -R -h redis:redis \/var\/lib\/redis\/\.$/,
      /^ssh \S+ -- chown -R -h redis:redis \/var\/log\/redis\/\.$/,
      /^ssh \S+ -- systemctl start -- redis-server$/,
    ],
    status: 'awaiting-approval',
  },
  {
    scenario: 'wrong-network',
    runbook: 'redis-connectivity',
    cause: 'wrong-network',
    approval: 'approve-connect',
    commands: [/^docker network connect \S+ \S+$/],
    status: 'awaiting-approval',
  },
  {
    scenario: 'container-stopped',
    runbook: 'redis-connectivity',
    cause: 'container-stopped',
    approval: 'approve-start',
    commands: [/^docker start \S+$/],
    status: 'awaiting-approval',
  },
  {
    scenario: 'maxmemory',
    runbook: 'redis-connectivity',
    cause: 'maxmemory',
    approval: 'approve-maxmemory',
    commands: [/redis-cli -h 127\.0\.0\.1 -p 6379 CONFIG SET maxmemory \d+mb$/],
    status: 'awaiting-approval',
  },
  {
    scenario: 'maxclients',
    runbook: 'redis-connectivity',
    cause: 'clients-exhausted',
    approval: 'approve-restart-holder',
    commands: [/^docker restart \S+$/, /CONFIG SET timeout 300$/],
    status: 'awaiting-approval',
  },
  { scenario: 'auth-refused', runbook: 'redis-connectivity', cause: 'auth-refused', status: 'escalated' },
  { scenario: 'rdb-permission', runbook: 'redis-connectivity', cause: 'misconf', status: 'handed-over' },
  { scenario: 'healthy', runbook: 'redis-connectivity', status: 'no-fault' },
  { scenario: 'healthy', runbook: 'redis-permissions', status: 'no-fault' },
];

export const fixtureName = (e: Pick<Expectation, 'scenario' | 'runbook'>) =>
  `${e.scenario}.${e.runbook}.json`;
