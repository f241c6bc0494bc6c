import { describe, expect, it } from 'vitest';
import { editDistance, nearMisses, nearMissThreshold } from '../../src/bot/near-miss.js';
import { helpText, type Known, parseIncidentCommand } from '../../src/bot/parse-command.js';
import { builtinCatalogue as catalogue } from '../../src/runbooks/library/index.js';

// `/incident help` lists what this bot knows, from what it was given (the catalogue, the targets
// file); a near miss gets "did you mean", and nothing starts on a guess.

const known: Known = {
  runbookIds: ['redis-connectivity', 'redis-permissions'],
  targetNames: ['cache', 'sessions', 'store', 'db-host'],
  runbookTitles: {
    'redis-connectivity': 'Redis unreachable from its clients',
    'redis-permissions': 'Redis cannot persist (RDB/AOF permission denied, MISCONF)',
  },
  targetKinds: { cache: 'docker', sessions: 'docker', store: 'docker', 'db-host': 'ssh' },
};
const refusal = (text: string, k: Known = known) => {
  const r = parseIncidentCommand(text, k);
  if (r.ok) throw new Error(`"${text}" was accepted as ${JSON.stringify(r.command)}`);
  return r.message;
};

describe('near misses', () => {
  it('counts insertions, deletions, substitutions and swapped neighbours', () => {
    expect(editDistance('status', 'status')).toBe(0);
    expect(editDistance('stauts', 'status')).toBe(1);
    expect(editDistance('lst', 'list')).toBe(1);
    expect(editDistance('cahce', 'cache')).toBe(1);
    expect(editDistance('redis-permision', 'redis-permissions')).toBe(2);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('a', 'abcdef', 2)).toBe(3);
  });

  it('allows one edit for short names, up to three for long ones', () => {
    expect(nearMissThreshold('run')).toBe(1);
    expect(nearMissThreshold('status')).toBe(1);
    expect(nearMissThreshold('sessions')).toBe(2);
    expect(nearMissThreshold('redis-permissions')).toBe(3);
    expect(nearMisses('log', ['list', 'status'])).toEqual([]);
    expect(nearMisses('xyz', known.targetNames)).toEqual([]);
    expect(nearMisses('CACHE', known.targetNames)).toEqual(['cache']);
    expect(nearMisses('stor', known.targetNames)).toEqual(['store']);
    // Two equally close: both are offered, in the order they are known.
    expect(nearMisses('redis', known.runbookIds)).toEqual(['redis-connectivity', 'redis-permissions']);
  });
});

describe('/incident help', () => {
  it('lists every runbook of the catalogue with its one line, and every target with how it is reached', () => {
    const help = helpText({
      runbookIds: catalogue.ids,
      targetNames: ['cache', 'db-host'],
      runbookTitles: Object.fromEntries(catalogue.runbooks.map((r) => [r.id, r.title])),
      targetKinds: { cache: 'docker', 'db-host': 'ssh' },
    });
    for (const r of catalogue.runbooks) expect(help).toContain(`• \`${r.id}\`: ${r.title}`);
    expect(help).toContain(`*Runbooks* (${catalogue.ids.length}):`);
    expect(help).toContain('*Targets* (2): `cache` (docker), `db-host` (ssh)');
    expect(help).toContain('/incident run <runbook> <target>');
    expect(help).toContain(`Example: \`/incident run ${catalogue.ids[0]} cache\``);
  });

  it('says what it was given, not what it expects: other runbooks and targets, or none', () => {
    const other = helpText({ runbookIds: ['disk-full'], targetNames: ['web-1'] });
    expect(other).toContain('• `disk-full`');
    expect(other).toContain('*Targets* (1): `web-1`');
    expect(other).not.toMatch(/redis|cache/);
    const none = helpText({ runbookIds: [], targetNames: [] });
    expect(none).toContain('*Targets* (0): (none configured)');
    expect(none).not.toContain('Example');
  });

  it('escapes what it lists and bounds a long list', () => {
    const help = helpText({
      runbookIds: ['odd'],
      targetNames: Array.from({ length: 100 }, (_, i) => `t${i}`),
      runbookTitles: { odd: 'Pings <!channel> & <@U_EVIL>' },
      targetKinds: { t0: '<!here>' },
    });
    expect(help).not.toMatch(/<!channel>|<@U_EVIL>|<!here>/);
    expect(help).toContain('Pings &lt;!channel&gt; &amp; &lt;@U_EVIL&gt;');
    expect(help).toContain('and 40 more');
  });
});

describe('did you mean', () => {
  it('a misspelt subcommand is named, written out in full when the rest of the line is right', () => {
    expect(refusal('stauts')).toMatch(
      /no subcommand `stauts`\. Did you mean `\/incident status`\? Nothing was done/,
    );
    expect(refusal('rnu redis-permissions cache')).toMatch(
      /Did you mean `\/incident run redis-permissions cache`\?/,
    );
    expect(refusal('reprot inc-0007')).toMatch(/Did you mean `\/incident report INC-0007`\?/);
    // The rest is wrong too: only the subcommand is suggested.
    expect(refusal('rnu redis-permissions nowhere')).toMatch(/Did you mean `run`\?/);
    // Nothing close: the whole help, with the runbooks and targets.
    const far = refusal('restart cache');
    expect(far).not.toMatch(/Did you mean/);
    expect(far).toContain('• `redis-permissions`: Redis cannot persist');
  });

  it('a misspelt runbook or target is named; both misspelt, the command is written out', () => {
    expect(refusal('run redis-permision cache')).toMatch(
      /no runbook `redis-permision`\. Did you mean `\/incident run redis-permissions cache`\?/,
    );
    expect(refusal('run redis-permissions cahce')).toMatch(
      /no target `cahce`\. Did you mean `\/incident run redis-permissions cache`\?/,
    );
    expect(refusal('run redis-permision cahce')).toMatch(
      /Did you mean `\/incident run redis-permissions cache`\?/,
    );
    expect(refusal('run Redis-Permissions Cache')).toMatch(
      /Did you mean `\/incident run redis-permissions cache`\?/,
    );
    expect(refusal('run redis cache')).toMatch(/Did you mean `redis-connectivity` or `redis-permissions`\?/);
    expect(refusal('run redis-permissions nowhere')).toMatch(/no target `nowhere`\. Nothing was started\./);
    expect(refusal('run redis-permissions nowhere')).not.toMatch(/Did you mean/);
  });

  it('target and runbook the wrong way round are put back in order, and not run', () => {
    expect(refusal('run cache redis-permissions')).toMatch(
      /runbook comes first.*`\/incident run redis-permissions cache`\? Nothing was started/,
    );
  });

  it('never starts on a guess, and echoes what was typed only escaped', () => {
    for (const text of [
      'stauts',
      'rnu redis-permissions cache',
      'run redis-permision cache',
      'run cache redis-permissions',
    ])
      expect(parseIncidentCommand(text, known).ok).toBe(false);
    const m = refusal('run redis-permissions <!channel>');
    expect(m).not.toContain('<!channel>');
    expect(m).toContain('&lt;!channel&gt;');
    expect(refusal('<@U_EVIL>')).not.toContain('<@U_EVIL>');
    expect(refusal('stat<!here>')).not.toContain('<!here>');
    // A name that could carry formatting is never offered back as a suggestion.
    expect(refusal('run redis-permissions cach*', { ...known, targetNames: ['cach*'] })).not.toMatch(
      /Did you mean/,
    );
  });
});
