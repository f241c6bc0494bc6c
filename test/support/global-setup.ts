import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ensureLab, labEnvFrom } from '@runbook-bot/lab';

// The integration tests need the lab (Podman's Docker API, the Redis image, sshd, redis-server) and
// Debian's chromium. As root this installs and starts whatever is missing, so `npm test` works on a
// fresh machine; otherwise it stops at once with the exact commands to run.
export default function setup(): void {
  const root = resolve(import.meta.dirname, '../..');
  const lab = labEnvFrom(process.env);
  const isRoot = process.getuid?.() === 0;
  const ready = ensureLab(lab.dockerSocket, isRoot, 'npm test');
  if (!ready.ok) throw new Error(ready.message);
  if (!existsSync('/usr/bin/chromium')) {
    const cmd = 'apt-get install -y --no-install-recommends chromium fonts-noto-color-emoji';
    if (!isRoot) throw new Error(`The browser tests need Debian's chromium. Run, once:\n\n  sudo ${cmd}\n`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const ok =
      spawnSync('sh', ['-c', `apt-get update -qq && ${cmd}`], { stdio: 'inherit', env }).status === 0;
    if (!ok) throw new Error(`installing chromium failed: ${cmd}`);
  }
  if (!existsSync(join(root, 'dist/cli.js')))
    throw new Error('Build first: npm run build (npm test does it for you).');
}
