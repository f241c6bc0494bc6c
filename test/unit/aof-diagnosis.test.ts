import { describe, expect, it } from 'vitest';
import { fileWritable, parseStats } from '../../src/runbooks/analyzers/file-owner.js';
import type { ExecResult, RunState } from '../../src/runbooks/index.js';
import { builtinRunbook } from '../../src/runbooks/library/index.js';
import { engineDriver } from '../support/engine-driver.js';
import { loadRehearsal, type Rehearsal } from '../support/rehearsal-fixture.js';
import { res } from '../support/toy-runbook.js';

// Seed 001 on a running Redis, replayed from the real lab recording (aof-rewrite-denied): which
// readings lead to the AOF repair, which to its fallback, and which to no conclusion at all.
type Fixture = Rehearsal;
const load = loadRehearsal;
const aof = load('aof-rewrite-denied.redis-permissions.json');
const rdb = load('rdb-permission.redis-permissions.json');
type Answer = (id: string, round: number) => ExecResult | undefined;

function drive(
  fx: Fixture,
  answer: Answer = () => undefined,
  approve = false,
  repair?: ExecResult,
): RunState {
  const rb = builtinRunbook('redis-permissions');
  if (!rb) throw new Error('no runbook');
  return engineDriver(rb, {
    target: fx.target,
    answer: (id, round, key) => answer(id, round) ?? fx.results[key],
    autoApprove: approve,
    ...(repair
      ? {
          repair: (c) => ({ type: 'step-result', stepKey: c.stepKey, attempt: c.attempt, results: [repair] }),
        }
      : {}),
  }).run().state;
}
const gates = (s: RunState) => Object.values(s.approvals).map((a) => a.gateId);
const persistence = (text: string) =>
  (aof.results['info-persistence'] as ExecResult).stdout.replace(/err/g, text);
const rewriteOk = (id: string) => (id === 'info-persistence' ? res(persistence('ok')) : undefined);

describe('seed 001: the AOF of a running Redis', () => {
  it('an appendonlydir Redis cannot write, with the rewrite failing: chown of that dir only, low risk, undo named', () => {
    const s = drive(aof);
    expect(s.cause).toBe('aof-dir-owner');
    const card = Object.values(s.approvals)[0];
    expect(card?.gateId).toBe('approve-chown-aof');
    expect(card?.commands).toEqual([expect.stringMatching(/chown -R -h 999:999 \/data\/appendonlydir\/\.$/)]);
    const found = Object.values(s.steps).flatMap((r) => r.findings.map((f) => f.code));
    expect(found).toEqual(
      expect.arrayContaining(['aof-dir-unwritable', 'aof-rewrite-failing', 'data-dir-ok']),
    );
  });

  it('the same dir while rewrites still succeed: latent, nothing proposed', () => {
    const s = drive(
      aof,
      (id) => rewriteOk(id) ?? (id === 'logs' ? res('1:M Ready to accept connections\n') : undefined),
    );
    expect(s.status).toBe('no-fault');
    expect(s.outcome?.summary).toMatch(/not writable/);
    expect(s.approvals).toEqual({});
  });

  it('a base file owned by root in a dir Redis owns is only read: not a fault', () => {
    const stat = [
      '999 999 755 redis redis /data/appendonlydir',
      '0 0 644 root root /data/appendonlydir/appendonly.aof.1.base.rdb',
      '999 999 644 redis redis /data/appendonlydir/appendonly.aof.1.incr.aof',
      '999 999 644 redis redis /data/appendonlydir/appendonly.aof.manifest',
      '',
    ].join('\n');
    const s = drive(aof, (id) => rewriteOk(id) ?? (id === 'aof-dir' ? res(stat) : undefined));
    const found = Object.values(s.steps).flatMap((r) => r.findings.map((f) => f.code));
    expect(found).toContain('aof-dir-ok');
    expect(found).not.toContain('aof-dir-unwritable');
  });

  it('AOF on and its directory unread: no conclusion of health', () => {
    const s = drive(
      aof,
      (id) => rewriteOk(id) ?? (id === 'aof-dir' ? res('', { exitCode: null, timedOut: true }) : undefined),
    );
    expect(s.status).toBe('inconclusive');
  });

  it('a stat of another path than the AOF is not a reading of it', () => {
    const s = drive(aof, (id) =>
      id === 'aof-dir' ? res('999 999 755 redis redis /elsewhere\n') : undefined,
    );
    expect(s.status).toBe('inconclusive');
  });

  it('after a failed AOF fix the card offers CONFIG SET appendonly no; after a failed RDB fix, stop-writes', () => {
    const failing = (fx: Fixture) =>
      drive(
        fx,
        (id) =>
          id.startsWith('verify-') ? res('ERR Background saving error\n', { exitCode: 1 }) : undefined,
        true,
      );
    const a = failing(aof);
    const fallback = Object.values(a.approvals).find((x) => x.gateId === 'approve-aof-fallback');
    expect(fallback?.commands).toEqual([expect.stringMatching(/redis-cli .* CONFIG SET appendonly no$/)]);
    expect(fallback?.risk).toBe('high');
    expect(fallback?.undo).toMatch(/CONFIG SET appendonly yes/);
    expect(gates(a)).not.toContain('approve-fallback');
    const r = failing(rdb);
    expect(gates(r)).toContain('approve-fallback');
    expect(gates(r)).not.toContain('approve-aof-fallback');
  });
});

describe('stat listings', () => {
  it('reads one line per path and judges a file by the one class of its mode that applies', () => {
    const [dir, file] = parseStats(
      '1001 1001 755 1001 1001 /data/appendonlydir\nnoise\n999 999 644 redis redis /data/appendonlydir/a.aof\n',
    );
    expect(dir?.path).toBe('/data/appendonlydir');
    expect(file && fileWritable(file, 999, 999)).toBe(true);
    expect(dir && fileWritable(dir, 999, 999)).toBe(false);
    expect(dir && fileWritable({ ...dir, mode: 0o664 }, 999, 5, [1001])).toBe(true);
    expect(dir && fileWritable({ ...dir, mode: 0o646 }, 999, 1001)).toBe(false);
    expect(dir && fileWritable(dir, 0, 0)).toBe(true);
  });
});

describe('a data dir or appendonlydir that is a symlink into the system', () => {
  it('is never chowned: the link is followed to where it leads, and /etc is refused', () => {
    const stat = (rdb.results['data-dir'] as ExecResult).stdout.trim();
    const s = drive(rdb, (id) => (id === 'data-dir' ? res(`${stat}\n/etc\n`) : undefined));
    expect(s.approvals).toEqual({});
    expect(s.outcome?.summary).toMatch(/unsafe to act on/);
    const a = drive(aof, (id) =>
      id === 'aof-dir' ? res(`${(aof.results['aof-dir'] as ExecResult).stdout}realpath /etc\n`) : undefined,
    );
    expect(a.approvals).toEqual({});
  });

  it('a link that leads to another ordinary data dir is followed and chowned there', () => {
    const stat = (rdb.results['data-dir'] as ExecResult).stdout.trim();
    const s = drive(rdb, (id) => (id === 'data-dir' ? res(`${stat}\n/srv/redis-data\n`) : undefined));
    expect(gates(s)).toEqual(['approve-chown-running']);
  });
});
