// Escaping for each place text can take in Markdown: inline text, a table cell, a code span, a fenced
// block. Text from a target may hold anything, terminal escapes included.
const ESC = String.fromCharCode(27);
const ANSI = new RegExp(`${ESC}\\[[0-9;?]*[ -/]*[@-~]`, 'g');

/** Unix newlines, no terminal colour codes, no control characters but tab and newline. */
export function normaliseText(s: string): string {
  let out = '';
  for (const ch of s.replace(/\r\n?/g, '\n').replace(ANSI, '')) {
    const c = ch.charCodeAt(0);
    if (ch === '\n' || ch === '\t' || (c >= 32 && c !== 127)) out += ch;
  }
  return out;
}

/** One line of plain text that Markdown shows as written: no emphasis, links, HTML, math or code. */
export function inlineText(s: string): string {
  return normaliseText(s)
    .replace(/\n+/g, ' ')
    .replace(/[\\`*~$]/g, '\\$&')
    .replace(/(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])/g, '\\_')
    .replace(/\](?=[([:])/g, '\\]')
    .replace(/&(?=#?[A-Za-z0-9]+;)/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/^(\s*)([#>+=-]|\d+[.)](?=\s|$))/, '$1\\$2');
}

/** Text for a table cell: inline text, `|` escaped, line breaks kept as <br>. */
export function tableCell(s: string): string {
  return normaliseText(s)
    .split('\n')
    .map((line) => inlineText(line).replace(/\|/g, '\\|'))
    .join('<br>');
}

const longestRun = (s: string, ch: string) =>
  Math.max(0, ...(s.match(new RegExp(`\\${ch}+`, 'g')) ?? []).map((m) => m.length));

/** A code span that holds any text: delimiters longer than any backtick run in it, on one line. */
export function codeSpan(s: string): string {
  const text = normaliseText(s).replace(/\n+/g, ' ');
  if (text.trim() === '') return '(empty)';
  const fence = '`'.repeat(longestRun(text, '`') + 1);
  const pad = text.startsWith('`') || text.endsWith('`') || (text.startsWith(' ') && text.endsWith(' '));
  return pad ? `${fence} ${text} ${fence}` : `${fence}${text}${fence}`;
}

/** A fenced code block whose fence is longer than any backtick run in its content, so nothing closes it early. */
export function fencedBlock(s: string, lang = ''): string {
  const text = normaliseText(s).replace(/\n+$/, '');
  const fence = '`'.repeat(Math.max(3, longestRun(text, '`') + 1));
  return `${fence}${lang}\n${text}\n${fence}`;
}

// --- rendering ---
