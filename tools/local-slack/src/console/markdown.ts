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

/** Inline formatting of one escaped line: code spans are cut out first so nothing formats inside them. */
function inline(raw: string): string {
  const spans: string[] = [];
  const keep = (html: string) => `\uE000${spans.push(html) - 1}\uE000`;
  let s = raw.replace(/`([^`]+)`/g, (_m, code: string) => keep(`<code>${escapeHtml(code)}</code>`));
  s = escapeHtml(s)
    .replace(/\[([^\]]+)\]\((https?:\/\/[^)\s]+)\)/g, (_m, text: string, url: string) =>
      keep(`<a href="${url}" rel="noreferrer">${text}</a>`),
    )
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
    .replace(/(^|[^\w*])\*([^*\s][^*]*)\*(?!\w)/g, '$1<em>$2</em>')
    .replace(/(^|\W)_([^_\s][^_]*)_(?!\w)/g, '$1<em>$2</em>');
  return s.replace(/\uE000(\d+)\uE000/g, (_m, i: string) => spans[Number(i)] ?? '');
}

/** Cells of a pipe-table row; `\|` stays a literal bar inside a cell. */
function cells(row: string): string[] {
  const inner = row.trim().replace(/^\|/, '').replace(/\|$/, '');
  return inner.split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, '|'));
}

const isTableSeparator = (line: string) => /^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/.test(line);

export function renderMarkdown(md: string): string {
  const lines = md.replace(/\r\n/g, '\n').split('\n');
  const out: string[] = [];
  let para: string[] = [];
  const flush = () => {
    if (para.length === 0) return;
    // Two trailing spaces are a hard line break.
    out.push(`<p>${para.map((l) => inline(l.replace(/ {2,}$/, ''))).join('<br>\n')}</p>`);
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
    if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(line)) {
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
    const item = /^\s*([-*+]|\d+[.)])\s+(.*)$/.exec(line);
    if (item?.[1]) {
      flush();
      const ordered = /\d/.test(item[1]);
      const items: string[] = [];
      for (; i < lines.length; i++) {
        const m = /^\s*([-*+]|\d+[.)])\s+(.*)$/.exec(lines[i] ?? '');
        if (!m || /\d/.test(m[1] ?? '') !== ordered) break;
        items.push(`<li>${inline(m[2] ?? '')}</li>`);
      }
      i -= 1;
      out.push(ordered ? `<ol>${items.join('')}</ol>` : `<ul>${items.join('')}</ul>`);
      continue;
    }
    const quote = /^\s*>\s?(.*)$/.exec(line);
    if (quote) {
      flush();
      out.push(`<blockquote>${inline(quote[1] ?? '')}</blockquote>`);
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
