import { describe, expect, it } from 'vitest';
import { parseIncidentCommand } from '../../src/bot/parse-command.js';

const known = {
  runbookIds: ['redis-connectivity', 'redis-permissions'],
  targetNames: ['cache', 'session-store'],
};
const parse = (text: string) => parseIncidentCommand(text, known);
const refusal = (text: string) => {
  const r = parse(text);
  if (r.ok) throw new Error(`"${text}" was accepted`);
  return r.message;
};

describe('/incident parser', () => {
  it('parses every subcommand', () => {
    expect(parse('run redis-permissions cache')).toEqual({
      ok: true,
      command: { kind: 'run', runbookId: 'redis-permissions', targetName: 'cache' },
    });
    expect(parse('  RUN   redis-connectivity   session-store ')).toMatchObject({ ok: true });
    expect(parse('status')).toEqual({ ok: true, command: { kind: 'status' } });
    expect(parse('status inc-0042')).toEqual({
      ok: true,
      command: { kind: 'status', incidentId: 'INC-0042' },
    });
    expect(parse('list')).toEqual({ ok: true, command: { kind: 'list' } });
    expect(parse('cancel INC-0001')).toEqual({
      ok: true,
      command: { kind: 'cancel', incidentId: 'INC-0001' },
    });
    expect(parse('report INC-0001')).toEqual({
      ok: true,
      command: { kind: 'report', incidentId: 'INC-0001' },
    });
    expect(parse('help')).toEqual({ ok: true, command: { kind: 'help' } });
    expect(parse('')).toEqual({ ok: true, command: { kind: 'help' } });
  });

  it('an unknown subcommand gets the help', () => {
    const m = refusal('restart cache');
    expect(m).toMatch(/no subcommand `restart`/);
    expect(m).toMatch(/\/incident run <runbook> <target>/);
  });

  it('an unknown runbook or target lists the known ones', () => {
    expect(refusal('run redis-magic cache')).toMatch(
      /no runbook `redis-magic`.*`redis-connectivity`, `redis-permissions`/s,
    );
    expect(refusal('run redis-permissions nowhere')).toMatch(
      /no target `nowhere`.*`cache`, `session-store`/s,
    );
  });

  it('wrong argument counts and ids say what would be right', () => {
    expect(refusal('run')).toMatch(/needs a runbook and a target \(got neither\)/);
    expect(refusal('run redis-permissions')).toMatch(/got 1 argument\b/);
    expect(refusal('run redis-permissions cache extra')).toMatch(/got 3 arguments/);
    expect(refusal('cancel')).toMatch(/needs an incident id/);
    expect(refusal('report 42')).toMatch(/not an incident id.*INC-0001/);
    expect(refusal('status INC-1 INC-2')).toMatch(/one incident id/);
    expect(refusal('list everything')).toMatch(/takes no arguments/);
  });

  it('never echoes mentions, links or formatting back', () => {
    const m = refusal('run redis-permissions <!channel>');
    expect(m).not.toContain('<!channel>');
    expect(m).toContain('&lt;!channel&gt;');
    expect(refusal('run redis-permissions `x`;rm')).not.toMatch(/``/);
    expect(refusal(`run redis-permissions ${'a'.repeat(500)}`).length).toBeLessThan(400);
  });

  it('text only selects names: shell syntax is just an unknown name', () => {
    expect(refusal('run redis-permissions cache;reboot')).toMatch(/no target/);
    expect(refusal('run ../../etc cache')).toMatch(/no runbook/);
  });
});
