// A small Markdown renderer for the console's file viewer: enough for the bot's incident reports
// (headings, paragraphs, hard breaks, lists, block quotes, rules, fenced code, pipe tables, `code`,
// **bold**, *italic*, links). Everything is HTML-escaped first; only http(s) links become anchors.

export function escapeHtml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

// What CommonMark lets a backslash escape, and the entity references it keeps as they are.
const ESCAPABLE = /\\([!-/:-@[-`{-~])/g;
const ENTITY = /&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});/g;

/**
 * Inline formatting of one line. Code spans (any run of backticks) are cut out first, then backslash
 * escapes, entity references and `<br>` (the one HTML tag GitHub keeps, which the reports put in
 * table cells), so nothing formats inside them and they show as a Markdown viewer shows them.
 */
function inline(raw: string): string {
  const spans: string[] = [];
  const keep = (html: string) => `\uE000${spans.push(html) - 1}\uE000`;
  let s = raw.replace(/(?<!`)(`+)(?!`)([\s\S]*?[^`])\1(?!`)/g, (_m, _ticks: string, code: string) => {
    const text = /^ .* $/.test(code) && code.trim() !== '' ? code.slice(1, -1) : code;
    return keep(`<code>${escapeHtml(text)}</code>`);
  });
  s = s
    .replace(ESCAPABLE, (_m, ch: string) => keep(escapeHtml(ch)))
    .replace(ENTITY, (m) => keep(m))
    .replace(/<br\s*\/?>/gi, () => keep('<br>'));
  s = escapeHtml(s)
    .replace(/\[([^\]]+)\]\((https?:\/\/[^)\s]+)\)/g, (_m, text: string, url: string) =>
      keep(`<a href="${url}" rel="noreferrer">${text}</a>`),
    )
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
    .replace(/(^|[^\w*])\*([^*\s][^*]*)\*(?!\w)/g, '$1<em>$2</em>')
    .replace(/(^|\W)_([^_\s][^_]*)_(?!\w)/g, '$1<em>$2</em>')
    .replace(/~~([^~]+)~~/g, '<del>$1</del>');
  // Kept spans can hold kept spans (a link's text): unfold until none is left.
  for (let i = 0; i < 3 && s.includes('\uE000'); i++)
    s = s.replace(/\uE000(\d+)\uE000/g, (_m, n: string) => spans[Number(n)] ?? '');
  return s;
}

/** Cells of a pipe-table row; `\|` stays a literal bar inside a cell. */
function cells(row: string): string[] {
  const inner = row
    .trim()
    .replace(/^\|/, '')
    .replace(/(?<!\\)\|$/, '');
  return inner.split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, '|'));
}

const isTableSeparator = (line: string) => /^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/.test(line);

/** A list item's first line: indent, marker, the spaces after it, the text. */
const ITEM = /^( {0,3})([-*+]|\d{1,9}[.)])( {1,4}|$)(.*)$/;
const indentOf = (line: string) => /^ */.exec(line)?.[0].length ?? 0;

/**
 * One list from lines[i]: its items, each with what is indented under it (a nested list, a second
 * paragraph, code), as CommonMark groups them. An ordered list keeps its first number.
 */
function list(lines: string[], i: number): { html: string; next: number } {
  const first = ITEM.exec(lines[i] ?? '');
  const ordered = /\d/.test(first?.[2] ?? '');
  const kind = (m: RegExpExecArray) => (/\d/.test(m[2] ?? '') ? (m[2] ?? '').slice(-1) : m[2]);
  const items: string[] = [];
  let loose = false;
  while (i < lines.length) {
    const m = ITEM.exec(lines[i] ?? '');
    if (!m || !first || kind(m) !== kind(first) || isRule(lines[i] ?? '')) break;
    const column = (m[1] ?? '').length + (m[2] ?? '').length + Math.max(1, (m[3] ?? '').length);
    const body = [m[4] ?? ''];
    for (i += 1; i < lines.length; i++) {
      const line = lines[i] ?? '';
      if (line.trim() === '') {
        const after = lines.slice(i + 1).find((l) => l.trim() !== '');
        if (after === undefined || indentOf(after) < column) break;
        body.push('');
      } else if (indentOf(line) >= column) body.push(line.slice(column));
      else if (!ITEM.test(line) && body.at(-1) !== '' && !/^\s*(#|>|```|~~~|\|)/.test(line))
        body.push(line.trim());
      else break;
    }
    if (lines[i]?.trim() === '' && ITEM.test(lines[i + 1] ?? '')) {
      loose = true;
      i += 1;
    }
    items.push(body.join('\n'));
  }
  const lis = items.map((item) => {
    // A GitHub task list item: its box, ticked or not, as GitHub shows it.
    const task = /^\[([ xX])\] /.exec(item);
    const b = task ? item.slice(4) : item;
    const box = task ? `<input type="checkbox" disabled${task[1] === ' ' ? '' : ' checked'}> ` : '';
    const html = box + renderMarkdown(b);
    // A tight item's first paragraph is its text, not a paragraph of its own.
    const text = loose ? html : html.replace(/^(<input[^>]*> )?<p>([\s\S]*?)<\/p>(\n|$)/, '$1$2$3');
    return `<li${task ? ' class="task"' : ''}>${text}</li>`;
  });
  const start = Number.parseInt(first?.[2] ?? '1', 10);
  const open = ordered ? (start === 1 ? '<ol>' : `<ol start="${start}">`) : '<ul>';
  return { html: `${open}${lis.join('')}${ordered ? '</ol>' : '</ul>'}`, next: i };
}

const isRule = (line: string) => /^\s*([-*_])(\s*\1){2,}\s*$/.test(line);

export function renderMarkdown(md: string): string {
  const lines = md.replace(/\r\n/g, '\n').split('\n');
  const out: string[] = [];
  let para: string[] = [];
  const flush = () => {
    if (para.length === 0) return;
    // Two trailing spaces (or a backslash) are a hard line break; any other line break is soft.
    const html = para.map((l, n) => {
      const last = n === para.length - 1;
      const hard = !last && (/ {2,}$/.test(l) || /\\$/.test(l));
      const text = hard && /\\$/.test(l) ? l.slice(0, -1) : l;
      return `${inline(text.trim())}${last ? '' : hard ? '<br>\n' : '\n'}`;
    });
    out.push(`<p>${html.join('')}</p>`);
    para = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const fence = /^\s*(`{3,}|~{3,})\s*([\w-]*)\s*$/.exec(line);
    if (fence?.[1]) {
      flush();
      const code: string[] = [];
      const close = fence[1];
      for (i += 1; i < lines.length && (lines[i] ?? '').trim() !== close; i++) code.push(lines[i] ?? '');
      out.push(`<pre><code>${escapeHtml(code.join('\n'))}</code></pre>`);
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading?.[1]) {
      flush();
      const n = heading[1].length;
      out.push(`<h${n}>${inline(heading[2] ?? '')}</h${n}>`);
      continue;
    }
    if (isRule(line)) {
      flush();
      out.push('<hr>');
      continue;
    }
    if (line.trim().startsWith('|') && isTableSeparator(lines[i + 1] ?? '')) {
      flush();
      const head = cells(line);
      const rows: string[][] = [];
      for (i += 2; i < lines.length && (lines[i] ?? '').trim().startsWith('|'); i++)
        rows.push(cells(lines[i] ?? ''));
      i -= 1;
      const tr = (cs: string[], tag: string) =>
        `<tr>${cs.map((c) => `<${tag}>${inline(c)}</${tag}>`).join('')}</tr>`;
      out.push(
        `<table><thead>${tr(head, 'th')}</thead><tbody>${rows.map((r) => tr(r, 'td')).join('')}</tbody></table>`,
      );
      continue;
    }
    // An ordered list may interrupt a paragraph only when it starts at 1, as in CommonMark.
    const item = ITEM.exec(line);
    if (
      item &&
      (item[4] ?? '') !== '' &&
      (para.length === 0 || !/^\d/.test(item[2] ?? '') || /^1\D/.test(item[2] ?? ''))
    ) {
      flush();
      const l = list(lines, i);
      out.push(l.html);
      i = l.next - 1;
      continue;
    }
    const quote = /^\s*>\s?(.*)$/.exec(line);
    if (quote) {
      flush();
      const quoted: string[] = [];
      for (; i < lines.length && /^\s*>/.test(lines[i] ?? ''); i++)
        quoted.push((lines[i] ?? '').replace(/^\s*>\s?/, ''));
      i -= 1;
      out.push(`<blockquote>${renderMarkdown(quoted.join('\n'))}</blockquote>`);
      continue;
    }
    if (line.trim() === '') flush();
    else para.push(line);
  }
  flush();
  return out.join('\n');
}

/** The viewer page for one file. */
export function filePage(title: string, body: string, rawHref: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:15px/1.5 -apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1d1c1d;max-width:1100px;margin:0 auto;padding:24px}
.bar{display:flex;justify-content:space-between;align-items:center;border-bottom:1px solid #ddd;padding-bottom:8px;margin-bottom:16px;color:#616061}
.bar a{color:#1264a3}
pre{background:#f8f8f8;border:1px solid #e1e1e1;border-radius:4px;padding:8px 12px;overflow:auto;font:12px/1.45 Menlo,Consolas,monospace}
code{font:12px Menlo,Consolas,monospace;background:#f4f4f4;border:1px solid #e1e1e1;border-radius:3px;padding:0 3px;color:#c01343}
pre code{background:none;border:0;padding:0;color:inherit}
table{border-collapse:collapse;font-size:13px;margin:8px 0}th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f4f4f4}
blockquote{border-left:4px solid #ddd;margin:0;padding-left:12px;color:#616061}
</style></head><body>
<div class="bar"><strong>${escapeHtml(title)}</strong><a href="${escapeHtml(rawHref)}">raw</a></div>
${body}
</body></html>`;
}
