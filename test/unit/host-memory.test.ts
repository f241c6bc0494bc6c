import { describe, expect, it } from 'vitest';
import type { TargetView } from '../../src/runbooks/index.js';
import { hostMemoryStep } from '../../src/runbooks/library/host-memory-step.js';
import { res } from '../support/toy-runbook.js';

// Seed 004's "check system resources": the host's memory and the container's cgroup, as printed by
// /proc/meminfo and cgroup v2 / v1 files.
const target: TargetView = {
  name: 't',
  kind: 'docker',
  redis: { container: 'r', host: 'r', port: 6379, hasPassword: false },
  clients: [],
};
const meminfo = (totalKb: number, availKb: number) =>
  `MemTotal:       ${totalKb} kB\nMemFree:          100000 kB\nMemAvailable:   ${availKb} kB\nSwapTotal: 0 kB\n`;
const run = (stdout: string, exitCode = 0) =>
  hostMemoryStep.analyze(res(stdout, { exitCode }), { target, facts: {} });
const codes = (a: ReturnType<typeof run>) => a.findings.map((f) => f.code);

describe('host memory', () => {
  it('plenty free and no cgroup limit (v2 says max): ok', () => {
    const a = run(`${meminfo(16_000_000, 12_000_000)}---cgroup---\nmax\n52428800\n`);
    expect(codes(a)).toEqual(['host-memory-ok']);
    expect(a.findings[0]?.evidence).toContain('container cgroup: no memory limit read');
  });
  it('under 10 % available is low: forks for saves may fail', () => {
    expect(codes(run(`${meminfo(16_000_000, 1_000_000)}---cgroup---\n`))).toEqual(['host-memory-low']);
  });
  it('a container at 90 % of its cgroup limit (v1 files) is named', () => {
    const a = run(`${meminfo(16_000_000, 12_000_000)}---cgroup---\n104857600\n99614720\n`);
    expect(codes(a)).toEqual(['container-memory-near-limit']);
    expect(a.findings[0]?.statement).toMatch(/95\.00 MiB of its 100\.00 MiB memory limit/);
  });
  it('a v1 cgroup with no limit (2^63 rounded) is no limit', () => {
    expect(
      codes(run(`${meminfo(16_000_000, 12_000_000)}---cgroup---\n9223372036854771712\n99614720\n`)),
    ).toEqual(['host-memory-ok']);
  });
  it('no /proc/meminfo is unread, never ok', () => {
    expect(run("cat: can't open /proc/meminfo\n---cgroup---\n").unread).toBeDefined();
    expect(run(meminfo(1, 1), 126).unread).toBeDefined();
  });
});
