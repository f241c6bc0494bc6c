// A Markdown document being written: every piece of text that came from a target, a person or a
// runbook goes through redact() and then through the escaping its place needs.
import { redact } from '../runbooks/redact.js';
import { codeSpan, fencedBlock, inlineText, normaliseText, tableCell } from './markdown-text.js';

export interface Doc {
  /** Inline text, escaped. */
  t: (s: string) => string;
  cell: (s: string) => string;
  code: (s: string) => string;
  block: (s: string, lang?: string) => string;
  /** Lines, then a blank line. */
  para: (...lines: string[]) => void;
  text: () => string;
}

export function newDoc(secrets: readonly string[]): Doc {
  const clean = (s: string) => redact(normaliseText(s), secrets);
  const out: string[] = [];
  return {
    t: (s) => inlineText(clean(s)),
    cell: (s) => tableCell(clean(s)),
    code: (s) => codeSpan(clean(s)),
    block: (s, lang = '') => fencedBlock(clean(s), lang),
    para: (...lines) => {
      out.push(...lines, '');
    },
    text: () => `${out.join('\n').replace(/\n+$/, '')}\n`,
  };
}

/** Evidence shown inline: one line, cut to `max` characters. */
export const clip = (s: string, max = 160) => {
  const line = s.split('\n')[0] ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
};
