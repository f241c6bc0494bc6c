// `npm run demo`: the product, lab targets and the local Slack's console on this machine.
// `npm run demo -- --socket` (or DEMO_SLACK_MODE=socket) runs the bot in Socket Mode instead of HTTP;
// `-- --alerts` also runs the monitoring stack, so broken targets open their incidents by themselves.
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureLab, LAB_SCRIPTS, labEnvFrom } from '@runbook-bot/lab';
import { DEMO_EXIT, DemoError } from './demo-claim.js';
import { type Demo, startDemo } from './demo-stack.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

async function demo(args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const opt = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
  const port = opt('--port') ?? '8080';
  const verbose = env.LOG_LEVEL !== undefined;
  const mode = args.includes('--socket') ? 'socket' : (env.DEMO_SLACK_MODE ?? 'http');
  if (mode !== 'http' && mode !== 'socket') {
    process.stderr.write(`DEMO_SLACK_MODE must be http or socket, not ${mode}\n`);
    return DEMO_EXIT.badArguments;
  }
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) {
    process.stderr.write(`npm run demo: --port takes a port number (0-65535), not ${JSON.stringify(port)}\n`);
    return DEMO_EXIT.badArguments;
  }
  const lab = labEnvFrom(env);
  const ready = ensureLab(lab.dockerSocket, process.getuid?.() === 0, 'npm run demo');
  if (!ready.ok) {
    process.stderr.write(`${ready.message}\n`);
    return 1;
  }
  const stopLab = () => {
    if (ready.startedLab) spawnSync('bash', [LAB_SCRIPTS.stop], { stdio: 'inherit' });
  };
  let running: Demo;
  try {
    running = await startDemo({
      repoRoot,
      dataDir: resolve(opt('--data') ?? '.demo'),
      lab,
      log: (line) => {
        if (verbose || !line.startsWith('{')) process.stderr.write(`${line}\n`);
      },
      consolePort: Number(port),
      slackMode: mode,
      alerts: args.includes('--alerts'),
    });
  } catch (e) {
    stopLab();
    // What the person can act on is one line; the stack is for whoever asked for logs.
    if (e instanceof DemoError) {
      process.stderr.write(`${e.message}\n`);
      return e.exitCode;
    }
    process.stderr.write(
      `npm run demo failed: ${e instanceof Error ? e.message : String(e)}\n${verbose && e instanceof Error ? `${e.stack}\n` : ''}`,
    );
    return 1;
  }
  process.stdout.write(
    `\nrunbook-bot demo is running (Slack over ${running.slackMode === 'socket' ? 'Socket Mode' : 'HTTP'}).\n\n` +
      `  Open the console: ${running.consoleUrl}\n\n` +
      (running.prometheusUrl
        ? `Prometheus (${running.prometheusUrl}) watches the targets: cache is broken, so its incident opens by\n` +
          'itself within seconds; act as bob and press Approve. Break a target again from the side panel.\n'
        : 'Act as alice and type /incident run redis-permissions cache, then act as bob and press Approve.\n') +
      `Reports are written to ${running.reportsDir}. Ctrl-C stops everything.\n`,
  );
  await new Promise<void>((done) => {
    const stop = () => void running.close().then(done, done);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  stopLab();
  process.stdout.write('demo stopped; nothing left running.\n');
  return 0;
}

process.exitCode = await demo(process.argv.slice(2), process.env);
