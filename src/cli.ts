#!/usr/bin/env node
import { builtinRunbooks, describeRunbook, validateRunbook } from './runbooks/index.js';

const USAGE = `runbook-bot <command>

  runbooks            list the runbooks, their steps, repairs and outcomes
  runbooks --check    validate every runbook graph; exit 1 on any issue
  lab list|up|down    build real broken Redis systems on this machine (see README: The lab)
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

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [command = 'help', ...rest] = argv;
  switch (command) {
    case 'runbooks':
      return runbooks(rest);
    case 'lab': {
      // Loaded on demand: only the lab needs dockerode at start-up.
      const { labEnvFrom, labMain } = await import('./lab/index.js');
      return labMain(rest, labEnvFrom(env));
    }
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
