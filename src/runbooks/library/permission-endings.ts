// The endings of redis-permissions other than a fix: handovers, escalations, the mitigation.
import type { OutcomeStep } from '../model.js';
import { outcome } from './step-builders.js';

const escalate = (id: string, summary: string) => outcome(id, 'escalated', summary);

export const permissionEndings: OutcomeStep[] = [
  outcome(
    'hand-over',
    'handed-over',
    'Redis refuses writes because it reached maxmemory (OOM): handed over to redis-connectivity.',
    'redis-connectivity',
  ),
  outcome(
    'hand-over-stopped',
    'handed-over',
    'The Redis container is not running, and its last start logged no persistence error, so its persistence could not be read: handed over to redis-connectivity to start it.',
    'redis-connectivity',
  ),
  escalate(
    'escalate-down',
    'Redis does not answer PING properly on its own host, so its persistence could not be read; no automatic repair.',
  ),
  escalate(
    'escalate-missing',
    'The Redis container does not exist. Recreate it from its compose file; no automatic repair.',
  ),
  escalate(
    'escalate-unresponsive',
    'Redis does not answer on its own host (frozen, stopped with SIGSTOP, swapping or blocked by a script), so its persistence could not be read. Look at the process (state, CPU, memory) before anything else; no automatic repair.',
  ),
  escalate(
    'escalate-loading',
    'Redis is still loading its dataset; run the diagnosis again once it is done.',
  ),
  escalate(
    'escalate-auth',
    "Redis refuses the bot's credentials, so its persistence could not be read. Fix the password the targets file names; no automatic repair.",
  ),
  escalate(
    'escalate-disk',
    'The disk holding the data directory is full. Free space or grow the volume; no automatic repair.',
  ),
  escalate(
    'escalate-rofs',
    'The data directory is on a read-only filesystem. Find out why it was remounted read-only; no automatic repair.',
  ),
  escalate(
    'escalate-unexplained',
    'Persistence is failing but ownership, mode and disk look right. A person must look further.',
  ),
  escalate(
    'escalate-service-unit',
    'Redis runs as another user than its service user, but the unit running it could not be read (no systemd, or no such unit: check unit: in the targets file). Set User=/Group= of the service and give its data and log dirs to that user; no automatic repair.',
  ),
  escalate(
    'escalate-no-service-user',
    'The service user Redis should run as does not exist on the host. Create it (the redis package does) or correct serviceUser in the targets file; no automatic repair.',
  ),
  escalate(
    'escalate-repair-failed',
    'The repair did not make persistence work again. A person must take over.',
  ),
  escalate(
    'mitigated',
    'Writes are accepted again with stop-writes-on-bgsave-error no, but snapshots still fail: data is at risk until a person fixes the data directory.',
  ),
];
