import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAlertmanager } from '../../src/alerts/payload.js';

// The payload schema against Alertmanager 0.25's webhook body (version "4"). The fixtures follow the
// documented format and the field order and times of Alertmanager's notify/webhook Message: Go's
// RFC 3339 with nanoseconds, and a firing alert's endsAt being Go's zero time.
const fixture = (name: string) =>
  readFileSync(join(import.meta.dirname, '../fixtures/alertmanager', name), 'utf8');
const firing = () =>
  JSON.parse(fixture('firing.json')) as Record<string, unknown> & { alerts: Record<string, unknown>[] };

describe('the Alertmanager payload', () => {
  it('reads a real firing notification: times in ms, the zero endsAt as unset, unknown fields kept', () => {
    const r = parseAlertmanager(fixture('firing.json'));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.payload).toMatchObject({ version: '4', status: 'firing', receiver: 'runbook-bot' });
    expect(r.payload.truncatedAlerts).toBe(0);
    const [a] = r.payload.alerts;
    expect(a).toMatchObject({
      status: 'firing',
      fingerprint: '5f2b8c1d0e9a7b63',
      startsAt: Date.UTC(2026, 11, 2, 3, 4, 5, 123),
      endsAt: undefined,
      labels: { alertname: 'RedisBgsaveFailing', runbook: 'redis-permissions', target: 'cache' },
    });
    expect(a?.generatorURL).toMatch(/^http:\/\/prometheus\.lab:9090\/graph\?g0\.expr=/);
  });

  it('reads the resolved notification with its endsAt', () => {
    const r = parseAlertmanager(fixture('resolved.json'));
    expect(r.ok && r.payload.alerts[0]).toMatchObject({
      status: 'resolved',
      endsAt: Date.UTC(2026, 11, 2, 3, 9, 41, 500),
    });
  });

  it('accepts fields a later Alertmanager may add, at every level, and offsets in times', () => {
    const p = firing();
    p.orgId = 7;
    p.alerts[0] = {
      ...p.alerts[0],
      silenceURL: 'http://x',
      values: { A: 1 },
      startsAt: '2026-12-02T04:04:05+01:00',
    };
    const r = parseAlertmanager(JSON.stringify(p));
    expect(r.ok && r.payload.alerts[0]?.startsAt).toBe(Date.UTC(2026, 11, 2, 3, 4, 5));
  });

  it('refuses what is not a version 4 payload, saying where, without echoing values', () => {
    const bad: [string, (p: ReturnType<typeof firing>) => unknown][] = [
      ['version', (p) => ({ ...p, version: '3' })],
      ['status', (p) => ({ ...p, status: 'pending' })],
      ['alerts', (p) => ({ ...p, alerts: 'many' })],
      ['alerts.0.status', (p) => ({ ...p, alerts: [{ ...p.alerts[0], status: 'firin' }] })],
      ['alerts.0.labels.a', (p) => ({ ...p, alerts: [{ ...p.alerts[0], labels: { a: 1 } }] })],
      ['alerts.0.annotations', (p) => ({ ...p, alerts: [{ ...p.alerts[0], annotations: undefined }] })],
      ['alerts.0.startsAt', (p) => ({ ...p, alerts: [{ ...p.alerts[0], startsAt: 'yesterday' }] })],
      ['alerts.0.endsAt', (p) => ({ ...p, alerts: [{ ...p.alerts[0], endsAt: undefined }] })],
      ['alerts.0.generatorURL', (p) => ({ ...p, alerts: [{ ...p.alerts[0], generatorURL: 5 }] })],
      ['alerts.0.fingerprint', (p) => ({ ...p, alerts: [{ ...p.alerts[0], fingerprint: '$(reboot)' }] })],
      ['(top)', () => [1, 2]],
    ];
    for (const [where, change] of bad) {
      const r = parseAlertmanager(JSON.stringify(change(firing())));
      expect(r.ok, where).toBe(false);
      if (!r.ok) {
        expect(r.error, where).toContain(`${where}:`);
        expect(r.error).not.toContain('reboot');
      }
    }
    expect(parseAlertmanager('{"version": "4",')).toEqual({ ok: false, error: 'the body is not JSON' });
    expect(parseAlertmanager('').ok).toBe(false);
  });

  it('fingerprints are lowercased hex, since they become Redis keys', () => {
    const p = firing();
    p.alerts[0] = { ...p.alerts[0], fingerprint: '5F2B8C1D0E9A7B63' };
    const r = parseAlertmanager(JSON.stringify(p));
    expect(r.ok && r.payload.alerts[0]?.fingerprint).toBe('5f2b8c1d0e9a7b63');
    for (const fp of ['', 'a:b', 'x'.repeat(10), '0'.repeat(65)]) {
      p.alerts[0] = { ...p.alerts[0], fingerprint: fp };
      expect(parseAlertmanager(JSON.stringify(p)).ok, fp).toBe(false);
    }
  });
});
