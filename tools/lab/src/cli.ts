import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { LabEnv } from './env.js';
import { isLabError } from './lab-error.js';
import { isScenarioName, listScenarios, setupScenario, teardownPrefix } from './scenario.js';
import type { LabScenario } from './types.js';

export interface LabIo {
  out(text: string): void;
  err(text: string): void;
}

const stdIo: LabIo = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
};

const USAGE = `usage: npm run lab -- list
       npm run lab -- up <scenario>     build it, print its targets-file entry, leave it running
       npm run lab -- down <prefix>     remove everything named <prefix>… (e.g. rbb-1a2b3c-)
`;

/** A targets file holding just this scenario, with how to tear it down and what it showed. */
export function targetsYaml(s: LabScenario): string {
  const head = [
    `# lab scenario ${s.name}, prefix ${s.prefix}`,
    `# tear down with: npm run lab -- down ${s.prefix}`,
    ...Object.entries(s.env).map(([k, v]) => `# env: ${k}=${v}`),
    '# observed:',
    ...s.evidence.flatMap((e) => e.split('\n')).map((l) => `#   ${l}`),
  ];
  return `${head.join('\n')}\n${stringify({ targets: { [s.targetName]: s.target } })}`;
}

export async function labMain(argv: readonly string[], labEnv: LabEnv, io: LabIo = stdIo): Promise<number> {
  const [cmd, arg] = argv;
  try {
    if (cmd === 'list') {
      for (const s of listScenarios())
        io.out(`${s.name.padEnd(24)} seed ${s.seed.padEnd(8)} ${s.description}\n`);
      return 0;
    }
    if (cmd === 'up' && arg !== undefined) {
      if (!isScenarioName(arg)) {
        io.err(`unknown scenario ${arg}; try: npm run lab -- list\n`);
        return 2;
      }
      const s = await setupScenario(arg, { env: labEnv });
      const yaml = targetsYaml(s);
      const file = join(labEnv.labDir, `${s.prefix}targets.yaml`);
      await writeFile(file, yaml, { mode: 0o600 });
      io.out(yaml);
      io.err(`targets file written to ${file}\n`);
      return 0;
    }
    if (cmd === 'down' && arg !== undefined) {
      await teardownPrefix(arg, { env: labEnv });
      io.err(`removed everything named ${arg}*\n`);
      return 0;
    }
    io.err(USAGE);
    return 2;
  } catch (e) {
    io.err(`lab ${cmd ?? ''}: ${isLabError(e) || e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}
