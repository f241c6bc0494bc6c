import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadTargets, parseTargets } from '../../src/targets-file.js';

const HOST_KEY = `SHA256:${'A'.repeat(43)}`;
const KEY_TEXT =
  '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjE=\n-----END OPENSSH PRIVATE KEY-----\n';

const sshTarget = (privateKeyFile: string) => ({
  redis: { ssh: { host: '10.0.0.1', user: 'root', privateKeyFile, hostKey: HOST_KEY } },
});

/** A targets file in a fresh folder. */
function targetsFile(targets: Record<string, unknown>) {
  const dir = mkdtempSync(join(tmpdir(), 'rbb-targets-unit-'));
  const file = join(dir, 'targets.yaml');
  writeFileSync(file, stringify({ targets }));
  return { dir, file };
}

describe('loadTargets: SSH private keys', () => {
  it('accepts SSH targets whose key files exist, and Docker targets with none', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rbb-targets-unit-'));
    writeFileSync(join(dir, 'id_ed25519'), KEY_TEXT, { mode: 0o600 });
    const { file } = targetsFile({
      db: sshTarget(join(dir, 'id_ed25519')),
      cache: { redis: { docker: { container: 'shop-redis' } } },
    });
    const r = loadTargets(file);
    expect(r.ok ? [] : r.errors).toEqual([]);
  });

  it('refuses a missing key file at load time, naming the target and the path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rbb-targets-unit-'));
    writeFileSync(join(dir, 'present'), KEY_TEXT, { mode: 0o600 });
    const missing = join(dir, 'never-deployed', 'id_ed25519');
    const { file } = targetsFile({ good: sshTarget(join(dir, 'present')), db: sshTarget(missing) });
    const r = loadTargets(file);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toContain('db');
    expect(r.errors[0]).toContain(missing);
    expect(r.errors[0]).toMatch(/ENOENT/);
  });

  it('refuses a key path that is a directory, and never shows a key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rbb-targets-unit-'));
    mkdirSync(join(dir, 'keys'));
    writeFileSync(join(dir, 'keys', 'id_ed25519'), KEY_TEXT);
    const r = loadTargets(targetsFile({ db: sshTarget(join(dir, 'keys')) }).file);
    expect(r.ok ? [] : r.errors.join('\n')).toMatch(/db.*not a file/);
    expect(r.ok ? '' : r.errors.join('\n')).not.toContain('PRIVATE KEY');
  });

  it.skipIf(process.getuid?.() === 0)('refuses a key file this process cannot read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rbb-targets-unit-'));
    const key = join(dir, 'id_ed25519');
    writeFileSync(key, KEY_TEXT, { mode: 0o600 });
    chmodSync(key, 0o000);
    const r = loadTargets(targetsFile({ db: sshTarget(key) }).file);
    expect(r.ok ? [] : r.errors.join('\n')).toMatch(/db.*EACCES/);
  });

  it('leaves key files unchecked where no step runs (the bot role holds no keys)', () => {
    const { file } = targetsFile({ db: sshTarget('/nonexistent/id_ed25519') });
    expect(loadTargets(file, { keyFiles: false }).ok).toBe(true);
  });
});

describe('parseTargets: the service of an SSH target (seed 003)', () => {
  const ssh = { host: '10.0.0.1', user: 'ops', privateKeyFile: '/k', hostKey: HOST_KEY };
  const parse = (redis: Record<string, unknown>) =>
    parseTargets(stringify({ targets: { vm: { redis } } }), 't.yaml');

  it('takes unit, logDir, serviceUser and sudo; the unit defaults to redis-server', () => {
    const r = parse({
      ssh,
      serviceUser: 'redis',
      unit: 'redis-stack-server',
      logDir: '/var/log/redis-stack',
      sudo: true,
    });
    expect(r.ok && r.targets.view('vm')?.redis).toMatchObject({
      serviceUser: 'redis',
      unit: 'redis-stack-server',
      logDir: '/var/log/redis-stack',
      sudo: true,
    });
    const plain = parse({ ssh });
    expect(plain.ok && plain.targets.view('vm')?.redis.unit).toBe('redis-server');
  });

  it('refuses unit names that are not unit names, and unit/sudo on a Docker target', () => {
    for (const unit of ['--root=/', 'redis;reboot', 'a b', ''])
      expect(parse({ ssh, unit }).ok, unit).toBe(false);
    const docker = parse({ docker: { container: 'c' }, sudo: true });
    expect(docker.ok ? [] : docker.errors).toEqual([
      't.yaml: targets.vm.redis: unit and sudo are for ssh targets',
    ]);
  });
});
