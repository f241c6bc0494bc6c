import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { approvalCard } from '../../src/bot/approval-card.js';
import type { ExecResult, TargetView } from '../../src/runbooks/index.js';
import { execResultSchema, targetViewSchema } from '../../src/runbooks/index.js';
import { builtinRunbook } from '../../src/runbooks/library/index.js';
import { followUpReason } from '../../src/runbooks/repair-story.js';
import { engineDriver } from '../support/engine-driver.js';
import { res } from '../support/toy-runbook.js';

// The application's health check through the engine, on the recorded wrong-network story with two
// more clients that declare one (api and web): a restart is proposed only after a verified Redis fix
// and only for the client whose check still fails; on a first look with Redis healthy a failing
// check escalates, never "no fault".
const raw = JSON.parse(
  readFileSync(
    join(import.meta.dirname, '../fixtures/rehearsals/wrong-network.redis-connectivity.json'),
    'utf8',
  ),
);
const base = targetViewSchema.parse(raw.target);
const url = (c: string) => `http://127.0.0.1:8080/${c}/health`;
const target: TargetView = {
  ...base,
  clients: [
    ...base.clients,
    ...['api', 'web'].map((name) => ({
      name,
      container: `${base.redis.container}-${name}`,
      health: { url: url(name), status: 200, bodyPattern: '"redis_connection":"ok"' },
    })),
  ],
};
const results: Record<string, ExecResult> = Object.fromEntries(
  Object.entries(raw.results).map(([k, v]) => [k, execResultSchema.parse(v)]),
);
for (const c of ['api', 'web'])
  for (const step of ['client-ping', 'client-network'])
    results[`${step}@${c}`] = {
      ...(results[`${step}@app`] as ExecResult),
      stdout: (results[`${step}@app`] as ExecResult).stdout.replaceAll('app', c),
    };
const rb = builtinRunbook('redis-connectivity');
if (!rb) throw new Error('redis-connectivity');

const healthy = res('{"status":"ok","redis_connection":"ok"}\n200');
const failing = res('{"status":"error","redis_connection":"error"}\n500');
const HEALTH_STEPS = ['app-health', 'verify-app-health-after-fix', 'verify-app-health'];

/** `unhealthy(step, round, client)`: whether that client's health check fails there. */
function drive(unhealthy: (step: string, round: number, client: string) => boolean, redisFine = false) {
  return engineDriver(rb as NonNullable<typeof rb>, {
    target,
    runId: 'INC-0012',
    answer: (id, round, key) => {
      const client = key.split('@')[1] ?? '';
      if (id === 'client-http-tool') return res('curl\n');
      if (HEALTH_STEPS.includes(id)) return unhealthy(id, round, client) ? failing : healthy;
      if (id === 'verify-client-ping') return res('PONG\n');
      if ((round > 1 || redisFine) && id === 'client-ping') return res('PONG\n');
      return results[key];
    },
  }).run();
}

describe('app health checks through the engine', () => {
  it('only web still fails after the network connect: web alone is offered a restart, saying why and what Reject does', () => {
    const d = drive(
      (step, round, c) => c === 'web' && (round < 2 || (round === 2 && step !== 'verify-app-health')),
    );
    const first = Object.values(d.state.approvals)[0];
    expect(first?.gateId).toBe('approve-connect');
    // The connect card says the apps fail too.
    expect(first?.alsoFound).toContain('app-unhealthy');
    d.approve();
    const connect = Object.values(d.state.steps).find((r) => r.stepId === 'connect-network');
    expect(connect?.verified).toBe(true);
    const restart = Object.values(d.state.approvals).find((a) => a.gateId === 'approve-restart-unhealthy');
    expect(restart?.status).toBe('pending');
    expect(restart?.commands).toEqual([`docker restart ${base.redis.container}-web`]);
    expect(restart?.cause).toBe('app-stale-after-fix');
    expect(followUpReason(d.state, restart as NonNullable<typeof restart>)).toMatchObject({ verified: true });
    const card = JSON.stringify(
      approvalCard('INC-0012', d.state, rb, restart as NonNullable<typeof restart>).blocks,
    );
    expect(card).toContain('health check still fails after the Redis fix');
    expect(card).toContain('web');
    expect(card).toContain('HTTP 500');
    expect(card).toContain('If you reject:* The Redis fault was fixed and verified');
    d.approve();
    expect(d.state.status).toBe('resolved');
  });

  it('every app passes after the connect: no restart card', () => {
    const d = drive((_step, round) => round < 2 && _step === 'app-health');
    d.approve();
    expect(Object.values(d.state.approvals).map((a) => a.gateId)).toEqual(['approve-connect']);
    expect(d.state.status).toBe('resolved');
  });

  it('the restart is rejected: the ending says the Redis fault was fixed', () => {
    const d = drive((_s, _r, c) => c === 'web');
    d.approve();
    const restart = Object.values(d.state.approvals).find((a) => a.gateId === 'approve-restart-unhealthy');
    d.feed({
      type: 'approval-decision',
      approvalId: restart?.id ?? '',
      decision: 'reject',
      by: 'U_APPROVER',
    });
    expect(d.state.status).toBe('rejected');
    expect(d.state.outcome?.summary).toMatch(/^The Redis fault was fixed and verified/);
  });

  it('first look, Redis healthy, one app failing: escalated as the app, never no fault, no restart', () => {
    const d = drive((_s, _r, c) => c === 'api', true);
    expect(d.state.status).toBe('escalated');
    expect(d.state.cause).toBe('app-unhealthy');
    expect(d.state.outcome?.summary).toMatch(/^The application's health check fails while Redis is healthy/);
    expect(Object.keys(d.state.approvals)).toEqual([]);
  });

  it('first look, Redis healthy, every app passing: no fault, resting on the health checks', () => {
    const d = drive(() => false, true);
    expect(d.state.status).toBe('no-fault');
  });

  it('an app whose image has no HTTP tool: could not diagnose, naming it', () => {
    const d = engineDriver(rb as NonNullable<typeof rb>, {
      target,
      answer: (id, _round, key) =>
        id === 'client-http-tool' ? res('none\n') : id === 'client-ping' ? res('PONG\n') : results[key],
    }).run();
    expect(d.state.status).toBe('inconclusive');
    expect(d.state.outcome?.summary).toContain('none of curl, wget, node, python3');
  });
});
