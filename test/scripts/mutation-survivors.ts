// Reads StrykerJS's report (npm run mutate writes reports/mutation/mutation.json) and prints every
// surviving or uncovered mutant, grouped by why it is left:
//   npx tsx test/scripts/mutation-survivors.ts [--list]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

interface Mutant {
  mutatorName: string;
  status: string;
  replacement?: string;
  location: { start: { line: number; column: number } };
}
const report = JSON.parse(
  readFileSync(join(import.meta.dirname, '../../reports/mutation/mutation.json'), 'utf8'),
) as { files: Record<string, { source: string; mutants: Mutant[] }> };

/** Why a mutant is left, from what it changed and the line it is on. */
function reasonOf(m: Mutant, line: string): string {
  if (/\blog\.(info|warn|error)\(|d\.log\./.test(line))
    return 'log line fields: what is logged, not what happens';
  if (m.mutatorName === 'StringLiteral')
    return 'wording of a message: tests check codes and statuses, not every word';
  if (
    /`|'[A-Z][a-z]/.test(line) &&
    [
      'ConditionalExpression',
      'LogicalOperator',
      'EqualityOperator',
      'OptionalChaining',
      'ArrayDeclaration',
      'ObjectLiteral',
      'ArithmeticOperator',
    ].includes(m.mutatorName)
  )
    return 'inside a sentence built for people (plural, a clause, a fallback name)';
  if (m.mutatorName === 'OptionalChaining')
    return 'a guard against a value the types allow but the engine never stores';
  if (/for \(let (hops|guard|i) = 0/.test(line))
    return 'a loop bound against a runaway graph (validation refuses such graphs first)';
  return 'a branch the unit suite does not tell apart: open, next to kill';
}

const groups = new Map<string, string[]>();
let total = 0;
for (const [file, f] of Object.entries(report.files)) {
  const lines = f.source.split('\n');
  for (const m of f.mutants) {
    if (m.status !== 'Survived' && m.status !== 'NoCoverage') continue;
    total += 1;
    const line = lines[m.location.start.line - 1]?.trim() ?? '';
    const why = reasonOf(m, line);
    const entry = `${file.replace(/^.*src\//, 'src/')}:${m.location.start.line} ${m.mutatorName}${m.status === 'NoCoverage' ? ' (no coverage)' : ''}: ${line.slice(0, 90)}`;
    groups.set(why, [...(groups.get(why) ?? []), entry]);
  }
}
console.log(`${total} mutants left`);
for (const [why, entries] of [...groups].sort((a, b) => b[1].length - a[1].length)) {
  console.log(`\n${entries.length}  ${why}`);
  if (process.argv.includes('--list')) for (const e of entries) console.log(`    ${e}`);
}
