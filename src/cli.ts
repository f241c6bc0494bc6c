#!/usr/bin/env node
import { catalogueIssues, describeRunbook, validateRunbook } from './runbooks/index.js';
import { builtinCatalogue } from './runbooks/library/index.js';

const builtinRunbooks = builtinCatalogue.runbooks;

const USAGE = `runbook-bot <command>

  runbooks            list the runbooks, their steps, repairs and outcomes
  runbooks --check    validate every runbook graph; exit 1 on any issue
  serve [--role all|bot|worker]
                      run the bot and/or the step workers (configuration from the environment)
  help                this text`;

function runbooks(args: readonly string[]): number {
  let failed = false;
  const blocks = builtinRunbooks.map((rb) => {
    const v = validateRunbook(rb);
    if (v.ok) return describeRunbook(rb);
    failed = true;
    return `${rb.id}: INVALID\n${v.issues.map((i) => `  [${i.code}] ${i.message}`).join('\n')}`;
  });
  if (args.includes('--check')) {
    process.stdout.write(failed ? `${blocks.join('\n\n')}\n` : `${builtinRunbooks.length} runbooks valid\n`);
  } else {
    process.stdout.write(`${blocks.join(`\n\n${'─'.repeat(72)}\n\n`)}\n`);
  }
  return failed ? 1 : 0;
}

async function serveCommand(args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { parseConfig } = await import('./config.js');
  const { loadTargets } = await import('./targets-file.js');
  const roleArg = args.includes('--role') ? args[args.indexOf('--role') + 1] : 'all';
  if (roleArg !== 'all' && roleArg !== 'bot' && roleArg !== 'worker') {
    process.stderr.write(`serve: --role must be all, bot or worker (got ${roleArg ?? 'nothing'})\n`);
    return 2;
  }
  // A runbook whose conclusions validation cannot vouch for never serves, before anything opens.
  const invalid = catalogueIssues(builtinRunbooks);
  if (invalid.length > 0) {
    process.stderr.write(`serve: invalid runbooks:\n${invalid.map((l) => `  ${l}`).join('\n')}\n`);
    return 2;
  }
  const parsed = parseConfig(env, roleArg);
  const targets = parsed.ok
    ? loadTargets(parsed.config.TARGETS_FILE, { keyFiles: roleArg !== 'bot' })
    : undefined;
  const errors = [...(parsed.ok ? [] : parsed.errors), ...(targets && !targets.ok ? targets.errors : [])];
  const secrets: Record<string, string> = {};
  if (targets?.ok)
    for (const name of targets.targets.secretEnvNames()) {
      const v = env[name];
      if (v) secrets[name] = v;
      else errors.push(`${name}: named as a Redis password (passwordEnv) in the targets file, but not set`);
    }
  if (!parsed.ok || !targets?.ok || errors.length > 0) {
    process.stderr.write(
      `runbook-bot: invalid configuration, nothing started:\n${errors.map((e) => `  - ${e}`).join('\n')}\n`,
    );
    return 2;
  }
  const { createLogger, serve } = await import('./main.js');
  const log = createLogger(parsed.config);
  const { installCrashGuard } = await import('./crash-guard.js');
  const { credentialValues } = await import('./config.js');
  const known = [...Object.values(secrets), ...credentialValues(parsed.config)];
  installCrashGuard(process, log, () => known);
  // The bot role builds its Slack edge (and its notifier) inside serve().
  let running: Awaited<ReturnType<typeof serve>>;
  try {
    running = await serve({
      config: parsed.config,
      role: roleArg,
      targets: targets.targets,
      catalogue: builtinCatalogue,
      secrets,
      log,
    });
  } catch (e) {
    // Most often the port is taken: say so in one line and exit, since half a bot (workers running,
    // no port) must not keep going.
    const err = e instanceof Error ? e.message : String(e);
    process.stderr.write(`runbook-bot: could not start: ${err}\n`);
    log.error({ err }, 'could not start');
    process.exit(1);
  }
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, 'stopping');
      void running.close().then(resolve, resolve);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  return 0;
}

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [command = 'help', ...rest] = argv;
  switch (command) {
    case 'runbooks':
      return runbooks(rest);
    case 'serve':
      return serveCommand(rest, env);
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${USAGE}\n`);
      return 0;
    default:
      process.stderr.write(`unknown command "${command}"\n\n${USAGE}\n`);
      return 2;
  }
}

process.exitCode = await main(process.argv.slice(2), process.env);
