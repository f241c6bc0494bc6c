import type { Runbook } from '../model.js';
import { redisConnectivity } from './redis-connectivity.js';
import { redisPermissions } from './redis-permissions.js';

const runbooks: readonly Runbook[] = [redisConnectivity, redisPermissions];

export const builtinRunbooks: readonly Runbook[] = runbooks;
export const builtinRunbook = (id: string): Runbook | undefined => runbooks.find((r) => r.id === id);
