import { execIn, labDocker } from '@runbook-bot/lab';
import { afterEach, describe, expect, it } from 'vitest';
import { type ApprovalRun, type RunState, targetConfigSchema } from '../../src/runbooks/index.js';
import { followUpReason } from '../../src/runbooks/repair-story.js';
import { type LabRun, labEnv, runOnScenario } from '../support/lab-run.js';

// The application's side of seeds 000, 002 and 004 for real: an app container whose HTTP health
// check answers 500 while it cannot reach Redis. The bot fetches it from inside the container,
// repairs Redis, offers a restart only to an app whose check still fails, and the test then asks the
// real app itself.
const approveAll = () => ({ decision: 'approve' as const, by: 'U_APPROVER' });

let current: LabRun | undefined;
afterEach(async () => {
  await current?.executor.close();
  await current?.scenario.teardown();
  current = undefined;
});

/** The app's health check as the app answers it now, fetched in its container by the test itself. */
async function appHealthNow(): Promise<{ status: string; body: string }> {
  if (!current) throw new Error('no scenario');
  const app = current.scenario.target.clients[0]?.docker.container ?? '';
  const url = current.scenario.target.clients[0]?.health?.url ?? '';
  const r = await execIn(labDocker(labEnv()), app, ['wget', '-q', '-S', '-O', '-', url], { timeoutSec: 10 });
  return { status: /HTTP\/1\.\d (\d{3})/.exec(r.stderr)?.[1] ?? `none (${r.stderr.trim()})`, body: r.stdout };
}

const gates = (s: RunState) => Object.values(s.approvals).map((a) => `${a.gateId}:${a.status}`);
const firstLook = (s: RunState, stepId: string) =>
  Object.values(s.steps).filter((r) => r.stepId === stepId && r.round === 1 && r.kind === 'diagnose');

function expectFailingFirst(s: RunState) {
  // The lab's targets-file entry is one the product's own schema accepts as it is.
  expect(targetConfigSchema.parse(current?.scenario.target)).toEqual(current?.scenario.target);
  const [health] = firstLook(s, 'app-health');
  expect(health?.findings.map((f) => f.code)).toEqual(['app-health-failing']);
  expect(health?.findings[0]?.evidence.join(' ')).toMatch(/→ HTTP 500/);
  // From inside the client, with the image's own tool and the URL as its last argv element.
  expect(health?.commands[0]).toMatch(/^docker exec \S+-app wget -q -S -O - http:\/\/127\.0\.0\.1:8080\//);
}

describe('app health checks against the real lab', () => {
  it('app-health (seed 002): failing before the network connect, passing after it: no restart offered', async () => {
    current = await runOnScenario('app-health', 'redis-connectivity', { decide: approveAll });
    const s = current.state;
    expectFailingFirst(s);
    expect(s.cause).toBe('wrong-network');
    expect(gates(s)).toEqual(['approve-connect:approved']);
    expect(s.status).toBe('resolved');
    const verify = Object.values(s.steps).find((r) => r.stepId === 'verify-app-health-after-fix');
    expect(verify?.check?.passed).toBe(true);
    const now = await appHealthNow();
    expect(now.status).toBe('200');
    expect(now.body).toContain('"redis_connection":"ok"');
  });

  it('app-health-stale (seeds 000/002): still failing after the fix, restarted under its own approval, then passing', async () => {
    current = await runOnScenario('app-health-stale', 'redis-connectivity', { decide: approveAll });
    const s = current.state;
    expectFailingFirst(s);
    expect(gates(s)).toEqual(['approve-connect:approved', 'approve-restart-unhealthy:approved']);
    const restart = Object.values(s.approvals).find(
      (a) => a.gateId === 'approve-restart-unhealthy',
    ) as ApprovalRun;
    expect(restart.commands).toEqual([
      `docker restart ${current.scenario.target.clients[0]?.docker.container}`,
    ]);
    expect(restart.cause).toBe('app-stale-after-fix');
    // The card's "why": the network connect ran and was verified; the look after it found the app failing.
    expect(followUpReason(s, restart)).toMatchObject({
      after: "Connect Redis to its clients' network",
      verified: true,
    });
    expect(s.status).toBe('resolved');
    const now = await appHealthNow();
    expect(now.status).toBe('200');
    expect(now.body).toContain('"redis_connection":"ok"');
  });

  it('app-health-stale, restart rejected: the Redis fault is fixed, the app left failing, and the ending says so', async () => {
    current = await runOnScenario('app-health-stale', 'redis-connectivity', {
      decide: (a) =>
        a.gateId === 'approve-restart-unhealthy'
          ? { decision: 'reject', by: 'U_APPROVER' }
          : { decision: 'approve', by: 'U_APPROVER' },
    });
    const s = current.state;
    expect(gates(s)).toEqual(['approve-connect:approved', 'approve-restart-unhealthy:rejected']);
    expect(s.status).toBe('rejected');
    expect(s.outcome?.summary).toMatch(/^The Redis fault was fixed and verified; the restart was rejected/);
    expect(s.outcome?.summary).toContain("Repaired and verified: Connect Redis to its clients' network");
    const ping = await current.scenario.redisCli(['PING'], { from: 'client' });
    expect(ping.stdout.trim()).toBe('PONG');
    expect((await appHealthNow()).status).toBe('500');
  });

  it('queue-stalled (seed 004): jobs wait with no worker; the network connect is verified by the queue moving again', async () => {
    current = await runOnScenario('queue-stalled', 'redis-connectivity', { decide: approveAll });
    const s = current.state;
    expect(targetConfigSchema.parse(current.scenario.target)).toEqual(current.scenario.target);
    const [counts] = firstLook(s, 'queue-counts');
    expect(counts?.findings.map((f) => f.code)).toEqual(['queue-not-moving']);
    expect(counts?.findings[0]?.evidence[0]).toMatch(/^5 waiting, 0 active/);
    expect(gates(s)).toEqual(['approve-connect:approved']);
    const moved = Object.values(s.steps).find((r) => r.stepId === 'verify-queue-moves');
    expect(moved?.check?.passed).toBe(true);
    expect(s.status).toBe('resolved');
    const cli = async (args: string[]) => (await current?.scenario.redisCli(args))?.stdout.trim();
    expect(await cli(['LLEN', 'bull:shell-query:wait'])).toBe('0');
    expect(await cli(['ZCARD', 'bull:shell-query:completed'])).toBe('5');
  });

  it('app-unhealthy (seed 004): Redis healthy, the app failing: escalated as such, never "no fault"', async () => {
    current = await runOnScenario('app-unhealthy', 'redis-connectivity', { decide: approveAll });
    const s = current.state;
    expect(s.status).toBe('escalated');
    expect(s.cause).toBe('app-unhealthy');
    expect(s.outcome?.summary).toMatch(/^The application's health check fails while Redis is healthy/);
    expect(Object.keys(s.approvals)).toEqual([]);
    expect((await appHealthNow()).status).toBe('500');
  });
});
