import { mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileReportStore } from '../../src/reports/file-report-store.js';

const freshDir = () => join(mkdtempSync(join(tmpdir(), 'rbb-reports-')), 'reports');

describe('FileReportStore', () => {
  it('concurrent writes of one report all succeed and leave one whole version, no temporary file', async () => {
    const dir = freshDir();
    const store = new FileReportStore(dir);
    // Large enough that the writes overlap; each version is recognisable end to end.
    const versions = Array.from({ length: 20 }, (_, i) => `# v${i}\n${`line of v${i}\n`.repeat(20_000)}`);
    const paths = await Promise.all(versions.map((md) => store.save('INC-0001', md)));
    expect(new Set(paths)).toEqual(new Set([join(dir, 'INC-0001.md')]));
    expect(versions).toContain(readFileSync(join(dir, 'INC-0001.md'), 'utf8'));
    expect(readdirSync(dir)).toEqual(['INC-0001.md']);
  });

  it('a write that fails leaves no temporary file behind', async () => {
    const dir = freshDir();
    // A directory where the report should go: the rename onto it fails.
    mkdirSync(join(dir, 'INC-0002.md'), { recursive: true });
    await expect(new FileReportStore(dir).save('INC-0002', '# x')).rejects.toThrow();
    expect(readdirSync(dir)).toEqual(['INC-0002.md']);
  });

  it('loads what it saved, nothing for an unknown incident, and refuses what is not an incident id', async () => {
    const store = new FileReportStore(freshDir());
    await store.save('INC-0003', '# three');
    expect(await store.load('INC-0003')).toBe('# three');
    expect(await store.load('INC-0004')).toBeUndefined();
    expect(() => store.pathOf('../etc/passwd')).toThrow(/not an incident id/);
  });
});
