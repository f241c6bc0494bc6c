import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// Layer rules of DESIGN.md and the package boundaries, read from the source rather than trusted.
const ROOT = resolve(import.meta.dirname, '../..');
const SRC = join(ROOT, 'src');
const TOOLS = join(ROOT, 'tools');

type Layer =
  | 'runbooks'
  | 'library'
  | 'reports'
  | 'incidents'
  | 'alerts'
  | 'executors'
  | 'queue'
  | 'bot'
  | 'root';

// The core (`runbooks`) knows no runbook: the library is content, handed in by the root as a catalogue.
const MAY_IMPORT: Record<Layer, { layers: Layer[]; packages: RegExp }> = {
  runbooks: { layers: ['runbooks'], packages: /^zod$/ },
  library: { layers: ['runbooks', 'library'], packages: /^$/ },
  // Rendering is pure; the one adapter here keeps reports as files (the ReportStore port).
  reports: { layers: ['runbooks', 'reports'], packages: /^(node:(fs\/promises|path|crypto))$/ },
  incidents: { layers: ['runbooks', 'reports', 'incidents'], packages: /^(zod)$/ },
  // The alert intake: payload schema, pure routing, and the use of the ledger and the orchestrator.
  alerts: { layers: ['runbooks', 'incidents', 'alerts'], packages: /^zod$/ },
  executors: { layers: ['runbooks', 'executors'], packages: /^(node:.*|dockerode|node-ssh|ioredis|zod)$/ },
  queue: { layers: ['runbooks', 'incidents', 'queue'], packages: /^(node:.*|bullmq|ioredis|zod|pino)$/ },
  // The Slack edge shows incidents and files nothing: no file system, and no report rendering of its own.
  bot: {
    layers: ['runbooks', 'incidents', 'bot'],
    packages: /^(node:(http|net|crypto)|@slack\/.*|zod|pino)$/,
  },
  root: {
    layers: ['runbooks', 'library', 'reports', 'incidents', 'alerts', 'executors', 'queue', 'bot', 'root'],
    packages: /^(node:.*|zod|yaml|pino|dockerode|ioredis|bullmq|prom-client)$/,
  },
};

const manifest = (dir: string) =>
  JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
    name: string;
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
    files?: string[];
  };
const product = manifest(ROOT);
const tools = readdirSync(TOOLS, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => ({ dir: join(TOOLS, e.name), ...manifest(join(TOOLS, e.name)) }));
const packageOf = (spec: string) =>
  spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] ?? spec);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Files directly in src/ are the composition root; every folder must be a known layer. */
function layerOf(file: string): Layer | 'unknown' {
  const parts = relative(SRC, file).split('/');
  if (parts[0] === '..') return 'unknown';
  if (parts.length === 1) return 'root';
  if (parts[0] === 'runbooks' && parts[1] === 'library') return 'library';
  const top = parts[0] ?? '';
  return top in MAY_IMPORT && top !== 'root' && top !== 'library' ? (top as Layer) : 'unknown';
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
      const pkg = packageOf(spec);
      if (!MAY_IMPORT[from].packages.test(spec.startsWith('node:') ? spec : pkg))
        violations.push(`${relative(SRC, file)} (${from}) imports package ${spec}`);
      // What the product imports at run time must be what it ships with: never a dev tool.
      if (!spec.startsWith('node:') && product.dependencies?.[pkg] === undefined)
        violations.push(
          `${relative(SRC, file)} imports ${pkg}, which is not a dependency of ${product.name}`,
        );
    }
  }
  graph.set(file, local);
}

// Each tool is a package of its own: its imports stay inside it or name a package it declares, so
// no tool reaches into the product's source or another tool's files.
const toolViolations: string[] = [];
for (const tool of tools) {
  for (const file of sourceFiles(tool.dir).filter((f) => !f.includes('/node_modules/'))) {
    for (const spec of importsOf(readFileSync(file, 'utf8'))) {
      const at = relative(ROOT, file);
      if (spec.startsWith('.')) {
        const target = resolve(dirname(file), spec);
        if (relative(tool.dir, target).startsWith('..'))
          toolViolations.push(`${at} (${tool.name}) imports ${spec}, outside its package`);
      } else if (!spec.startsWith('node:') && tool.dependencies?.[packageOf(spec)] === undefined) {
        toolViolations.push(`${at} (${tool.name}) imports ${packageOf(spec)}, not in its dependencies`);
      }
    }
  }
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

  it('every import respects the layers (the core imports nothing but zod, and no runbook)', () => {
    expect(violations).toEqual([]);
  });

  it('the tools are packages beside the product: the lab, the local Slack, the demo', () => {
    expect(tools.map((t) => t.name).sort()).toEqual([
      '@runbook-bot/demo',
      '@runbook-bot/lab',
      '@runbook-bot/local-slack',
    ]);
    expect(toolViolations).toEqual([]);
    // The product ships dist/ only, built from src/ only; no tool is one of its run-time dependencies.
    expect(product.files).toEqual(['dist']);
    expect(Object.keys(product.dependencies ?? {}).filter((d) => d.startsWith('@runbook-bot/'))).toEqual([]);
    const build = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8')) as {
      include: string[];
    };
    expect(build.include).toEqual(['src']);
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
      .filter(
        (f) =>
          layerOf(f) === 'runbooks' ||
          layerOf(f) === 'library' ||
          (layerOf(f) === 'reports' && !f.endsWith('-store.ts')),
      )
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

  it('no product file is longer than 300 lines', () => {
    const long = files
      .map((f) => ({ f: relative(SRC, f), n: readFileSync(f, 'utf8').split('\n').length - 1 }))
      .filter((x) => x.n > 300)
      .map((x) => `${x.f}: ${x.n} lines`);
    expect(long).toEqual([]);
  });

  it('one port runs actions: ActionRunner in the core, which every executor implements', () => {
    const declares = files.filter((f) =>
      /interface \w+(?: extends [\w, ]+)? \{[^}]*\brun\(action: Action/.test(readFileSync(f, 'utf8')),
    );
    expect(declares.map((f) => relative(SRC, f))).toEqual(['runbooks/action-runner.ts']);
  });

  it('no Slack markup below the Slack edge (mentions are rendered by the edge, from ids)', () => {
    const marked = files.filter(
      (f) => layerOf(f) !== 'bot' && /<[@#!][A-Za-z$]/.test(readFileSync(f, 'utf8')),
    );
    expect(marked.map((f) => relative(SRC, f))).toEqual([]);
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
