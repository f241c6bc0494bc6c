// Browser code (plain ES2017, no DOM use): Block Kit blocks to HTML, on top of MRKDWN_SCRIPT. Same
// rules as there: no backticks, no dollar-brace. Buttons carry what a click needs in data-* attributes;
// the app script turns a click on them into POST /console/api/click.

export const BLOCKS_SCRIPT = String.raw`
/** where: { channel, ts, ephemeral } of the message the blocks are on. */
function renderBlocks(blocks, ctx, where) {
  return (blocks || []).map(function (b) { return renderBlock(b || {}, ctx, where); }).join('');
}

function renderBlock(b, ctx, where) {
  switch (b.type) {
    case 'header':
      return '<div class="b-header">' + textObject(b.text, ctx) + '</div>';
    case 'section': {
      var main = b.text ? '<div class="b-text">' + textObject(b.text, ctx) + '</div>' : '';
      if (Array.isArray(b.fields))
        main += '<div class="b-fields">' + b.fields.map(function (f) {
          return '<div class="b-field">' + textObject(f, ctx) + '</div>';
        }).join('') + '</div>';
      var side = b.accessory ? '<div class="b-accessory">' + renderElement(b.accessory, b, ctx, where) + '</div>' : '';
      return '<div class="b-section"><div class="b-section-main">' + main + '</div>' + side + '</div>';
    }
    case 'context':
      return '<div class="b-context">' + (b.elements || []).map(function (e) {
        if (e && e.type === 'image') return imageTag(e, '');
        return '<span>' + textObject(e, ctx) + '</span>';
      }).join('') + '</div>';
    case 'divider':
      return '<hr class="b-divider">';
    case 'actions':
      return '<div class="b-actions">' + (b.elements || []).map(function (e) {
        return renderElement(e, b, ctx, where);
      }).join('') + '</div>';
    case 'image':
      return imageTag(b, 'b-image');
    case 'markdown': {
      // Standard Markdown, rendered on the server by the file viewer's renderer (lists, tables,
      // headings); without it, close enough to mrkdwn once **bold** is single-starred.
      var text = String(b.text || '');
      if (ctx.markdown && Object.prototype.hasOwnProperty.call(ctx.markdown, text))
        return '<div class="b-markdown">' + ctx.markdown[text] + '</div>';
      return '<div class="mrkdwn">' + mrkdwn(text.replace(/\*\*([^*\n]+)\*\*/g, '*$1*'), ctx) + '</div>';
    }
    case 'table':
      return tableBlock(b, ctx);
    case 'rich_text':
      return '<div class="b-rich">' + (b.elements || []).map(function (e) { return richElement(e || {}, ctx); }).join('') + '</div>';
    default:
      return '<pre class="b-unknown">' + esc(JSON.stringify(b, null, 2)) + '</pre>';
  }
}

/** A table block: rows of raw_text or rich_text cells, the first row as its header, as Slack shows it. */
function tableBlock(b, ctx) {
  var settings = Array.isArray(b.column_settings) ? b.column_settings : [];
  var cell = function (c, i, tag) {
    var s = settings[i] || {};
    var align = s.align === 'center' || s.align === 'right' ? ' style="text-align:' + s.align + '"' : '';
    var html = !c ? '' : c.type === 'rich_text'
      ? (c.elements || []).map(function (e) { return richElement(e || {}, ctx); }).join('')
      : esc(c.text || '');
    return '<' + tag + align + (s.is_wrapped === false ? ' class="nowrap"' : '') + '>' + html + '</' + tag + '>';
  };
  var rows = Array.isArray(b.rows) ? b.rows : [];
  return '<table class="b-table">' + rows.map(function (r, n) {
    return '<tr>' + (Array.isArray(r) ? r : []).map(function (c, i) { return cell(c, i, n === 0 ? 'th' : 'td'); }).join('') + '</tr>';
  }).join('') + '</table>';
}

function imageTag(e, cls) {
  var src = safeUrl(e.image_url || '');
  if (!src) return '<span class="b-unknown">[image: ' + esc(e.alt_text || '') + ']</span>';
  return '<img class="' + cls + '" src="' + esc(src) + '" alt="' + esc(e.alt_text || '') + '">';
}

function renderElement(e, block, ctx, where) {
  if (!e) return '';
  if (e.type === 'image') return imageTag(e, '');
  if (e.type !== 'button') return '<span class="b-unknown">[' + esc(e.type) + ']</span>';
  var cls = 'btn' + (e.style === 'primary' ? ' primary' : e.style === 'danger' ? ' danger' : '');
  var attrs = ' data-act="click"' +
    ' data-channel="' + esc(where.channel) + '" data-ts="' + esc(where.ts) + '"' +
    ' data-action-id="' + esc(e.action_id || '') + '" data-block-id="' + esc(block.block_id || '') + '"' +
    (typeof e.value === 'string' ? ' data-value="' + esc(e.value) + '"' : '') +
    (e.url && safeUrl(e.url) ? ' data-url="' + esc(safeUrl(e.url)) + '"' : '') +
    (e.confirm ? ' data-confirm="' + esc(confirmText(e.confirm)) + '"' : '') +
    (where.ephemeral ? ' disabled title="Buttons on ephemeral messages are not supported by the local Slack"' : '');
  return '<button type="button" class="' + cls + '"' + attrs + '>' + textObject(e.text, ctx) + '</button>';
}

function confirmText(c) {
  var t = function (o) { return o && typeof o.text === 'string' ? o.text : ''; };
  return [t(c.title), t(c.text)].filter(Boolean).join('\n\n') || 'Are you sure?';
}

function richElement(e, ctx) {
  switch (e.type) {
    case 'rich_text_section':
      return '<div class="rt-section">' + richInline(e.elements, ctx) + '</div>';
    case 'rich_text_preformatted':
      return '<pre class="code">' + richInline(e.elements, ctx, true) + '</pre>';
    case 'rich_text_quote':
      return '<blockquote class="rt-quote">' + richInline(e.elements, ctx) + '</blockquote>';
    case 'rich_text_list': {
      // offset: how many items came before (a list continued after something else); indent: nesting.
      var tag = e.style === 'ordered' ? 'ol' : 'ul';
      var offset = Math.max(0, Math.floor(Number(e.offset) || 0));
      var indent = Math.min(8, Math.max(0, Math.floor(Number(e.indent) || 0)));
      var attrs = ' class="rt-list rt-indent-' + indent + '"' +
        (tag === 'ol' && offset > 0 ? ' start="' + (offset + 1) + '"' : '') +
        (indent > 0 ? ' style="margin-left:' + (indent * 22) + 'px"' : '');
      return '<' + tag + attrs + '>' + (e.elements || []).map(function (s) {
        return '<li>' + richInline((s || {}).elements, ctx) + '</li>';
      }).join('') + '</' + tag + '>';
    }
    default:
      return '<pre class="b-unknown">' + esc(JSON.stringify(e)) + '</pre>';
  }
}

function richInline(elements, ctx, pre) {
  return (elements || []).map(function (e) {
    if (!e) return '';
    var html;
    if (e.type === 'text') html = esc(e.text || '');
    else if (e.type === 'link') {
      var href = safeUrl(e.url || '');
      html = href ? '<a href="' + esc(href) + '" target="_blank" rel="noreferrer noopener">' + esc(e.text || e.url) + '</a>' : esc(e.text || e.url || '');
    } else if (e.type === 'user') html = mention(e.user_id, '', ctx);
    else if (e.type === 'channel') html = '<span class="mention">#' + esc((ctx.channels && ctx.channels[e.channel_id]) || e.channel_id) + '</span>';
    else if (e.type === 'broadcast') html = '<span class="mention">@' + esc(e.range) + '</span>';
    else if (e.type === 'emoji') {
      html = e.unicode
        ? String.fromCodePoint.apply(null, String(e.unicode).split('-').map(function (h) { return parseInt(h, 16); }))
        : emojify(':' + esc(e.name) + ':');
    } else html = '';
    var st = e.style || {};
    if (st.code && !pre) html = '<code>' + html + '</code>';
    if (st.bold) html = '<b>' + html + '</b>';
    if (st.italic) html = '<i>' + html + '</i>';
    if (st.strike) html = '<s>' + html + '</s>';
    return html;
  }).join('');
}
`;
