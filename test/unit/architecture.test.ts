import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// Layer rules of DESIGN.md, read from the source rather than trusted.
const SRC = resolve(import.meta.dirname, '../../src');

type Layer =
  | 'runbooks'
  | 'reports'
  | 'incidents'
  | 'executors'
  | 'queue'
  | 'bot'
  | 'lab'
  | 'local-slack'
  | 'demo'
  | 'root';

const MAY_IMPORT: Record<Layer, { layers: Layer[]; packages: RegExp }> = {
  runbooks: { layers: ['runbooks'], packages: /^zod$/ },
  reports: { layers: ['runbooks', 'reports'], packages: /^$/ },
  incidents: { layers: ['runbooks', 'reports', 'incidents'], packages: /^(zod)$/ },
  executors: { layers: ['runbooks', 'executors'], packages: /^(node:.*|dockerode|node-ssh|ioredis|zod)$/ },
  queue: { layers: ['runbooks', 'incidents', 'queue'], packages: /^(node:.*|bullmq|ioredis|zod|pino)$/ },
  bot: { layers: ['runbooks', 'reports', 'incidents', 'bot'], packages: /^(node:.*|@slack\/.*|zod|pino)$/ },
  lab: { layers: ['runbooks', 'lab'], packages: /^(node:.*|dockerode|yaml)$/ },
  // The stand-in for Slack: an independent implementation, so it may not lean on @slack/* or our code.
  'local-slack': { layers: ['local-slack'], packages: /^(node:.*|zod)$/ },
  // The demo composes the whole product for one machine, like the root does.
  demo: {
    layers: ['runbooks', 'incidents', 'executors', 'queue', 'lab', 'local-slack', 'demo', 'root'],
    packages: /^(node:.*|yaml|pino)$/,
  },
  root: {
    layers: [
      'runbooks',
      'reports',
      'incidents',
      'executors',
      'queue',
      'bot',
      'lab',
      'local-slack',
      'demo',
      'root',
    ],
    packages: /^(node:.*|zod|yaml|pino|dockerode|ioredis|bullmq)$/,
  },
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Files directly in src/ are the composition root; every folder must be a known layer. */
function layerOf(file: string): Layer | 'unknown' {
  const parts = relative(SRC, file).split('/');
  if (parts.length === 1) return 'root';
  const top = parts[0] ?? '';
  return top in MAY_IMPORT && top !== 'root' ? (top as Layer) : 'unknown';
}

/** Every module specifier a file names: static imports and re-exports, and dynamic import(). */
function importsOf(text: string): string[] {
  const specs: string[] = [];
  const re =
    /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|\n)\s*import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) specs.push((m[1] ?? m[2] ?? m[3]) as string);
  return specs;
}

const files = sourceFiles(SRC);
const graph = new Map<string, string[]>();
const violations: string[] = [];
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  const from = layerOf(file);
  const local: string[] = [];
  if (from === 'unknown') {
    violations.push(`${relative(SRC, file)} is in a folder that is not a known layer; add it to MAY_IMPORT`);
    continue;
  }
  for (const spec of importsOf(text)) {
    if (spec.startsWith('.')) {
      const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
      local.push(target);
      const to = layerOf(target);
      if (to === 'unknown' || !MAY_IMPORT[from].layers.includes(to))
        violations.push(`${relative(SRC, file)} (${from}) imports ${spec} (${to})`);
    } else {
      const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] ?? spec);
      if (!MAY_IMPORT[from].packages.test(spec.startsWith('node:') ? spec : pkg))
        violations.push(`${relative(SRC, file)} (${from}) imports package ${spec}`);
    }
  }
  graph.set(file, local);
}

const impure =
  /\b(Date\.now|Math\.random|await|async|process\.|performance\.|setTimeout|setInterval|crypto)\b|\bnew Date\(/;

describe('architecture', () => {
  it('finds the source it checks', () => {
    expect(files.filter((f) => layerOf(f) === 'runbooks').length).toBeGreaterThan(10);
    expect(
      importsOf("import { z } from 'zod';\nexport * from './a.js';\nconst x = await import('./b.js');"),
    ).toEqual(['zod', './a.js', './b.js']);
  });

  it('every import respects the layers (the core imports nothing but zod)', () => {
    expect(violations).toEqual([]);
  });

  it('the core has no I/O, clock, randomness or await', () => {
    for (const bad of [
      'new Date()',
      'const t = Date.now();',
      'await x',
      'performance.now()',
      'Math.random()',
    ])
      expect(impure.test(bad), bad).toBe(true);
    const offenders = files
      .filter((f) => layerOf(f) === 'runbooks' || layerOf(f) === 'reports')
      .flatMap((f) =>
        readFileSync(f, 'utf8')
          .split('\n')
          .map((line, i) => ({ line, at: `${relative(SRC, f)}:${i + 1}` }))
          .filter(
            ({ line }) => !line.trim().startsWith('//') && !line.trim().startsWith('*') && impure.test(line),
          )
          .map(({ at, line }) => `${at}: ${line.trim()}`),
      );
    expect(offenders).toEqual([]);
  });

  it('only the composition root reads process.env', () => {
    const readers = files.filter(
      (f) => layerOf(f) !== 'root' && /process\.env/.test(readFileSync(f, 'utf8')),
    );
    expect(readers.map((f) => relative(SRC, f))).toEqual([]);
  });

  it('has no circular imports', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const path: string[] = [];
    const visit = (n: string) => {
      state.set(n, 'open');
      path.push(n);
      for (const m of graph.get(n) ?? []) {
        if (state.get(m) === 'open')
          cycles.push([...path.slice(path.indexOf(m)), m].map((p) => relative(SRC, p)).join(' → '));
        else if (!state.has(m)) visit(m);
      }
      path.pop();
      state.set(n, 'done');
    };
    for (const f of files) if (!state.has(f)) visit(f);
    expect(cycles).toEqual([]);
  });
});
