// Browser code (plain ES2017, no DOM use): Slack's mrkdwn to HTML. Kept as a string so it reaches
// dist/ through tsc with no build step. It is written without backticks and without dollar-brace, so
// String.raw keeps it byte for byte; the unit tests evaluate it in Node to check what it renders.

export const MRKDWN_SCRIPT = String.raw`
var BT = String.fromCharCode(96);
var FENCE = BT + BT + BT;
var EMOJI = {
  white_check_mark: '✅', heavy_check_mark: '✔️', x: '❌', warning: '⚠️', no_entry: '⛔',
  no_entry_sign: '🚫', hourglass: '⌛', hourglass_flowing_sand: '⏳', mag: '🔍', wrench: '🔧',
  test_tube: '🧪', rotating_light: '🚨', page_facing_up: '📄', red_circle: '🔴',
  large_green_circle: '🟢', large_orange_circle: '🟠', large_blue_circle: '🔵',
  large_yellow_circle: '🟡', white_circle: '⚪', leftwards_arrow_with_hook: '↩️', lock: '🔒',
  unlock: '🔓', information_source: 'ℹ️', bulb: '💡', fire: '🔥', tada: '🎉', eyes: '👀',
  thumbsup: '👍', '+1': '👍', thumbsdown: '👎', stopwatch: '⏱️', clock1: '🕐', robot_face: '🤖',
  arrows_counterclockwise: '🔄', repeat: '🔁', memo: '📝', clipboard: '📋', gear: '⚙️',
  hammer_and_wrench: '🛠️', stop_sign: '🛑', question: '❓', exclamation: '❗', zap: '⚡',
  rocket: '🚀', bell: '🔔', calendar: '📅', link: '🔗', key: '🔑', shield: '🛡️', skull: '💀',
  floppy_disk: '💾', package: '📦', whale: '🐳', computer: '💻', speech_balloon: '💬'
};

function esc(s) {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** Slack escapes &, < and > in mrkdwn; undo that before escaping for HTML. */
function unentity(s) {
  return String(s).replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

function emojify(html) {
  return html.replace(/:([a-z0-9_+-]+):/g, function (m, name) {
    return Object.prototype.hasOwnProperty.call(EMOJI, name) ? EMOJI[name] : m;
  });
}

function safeUrl(url) {
  var u = String(url).trim();
  return /^(https?:|mailto:)/i.test(u) || /^\/console\/files\//.test(u) ? u : null;
}

/** ctx: { users: {id: name}, channels: {id: name}, groups: {id: handle}, markdown: {text: html}, me: user id } */
function mention(id, label, ctx) {
  var name = label || (ctx.users && ctx.users[id]) || id;
  var cls = id === ctx.me ? 'mention me' : 'mention';
  return '<span class="' + cls + '" data-user="' + esc(id) + '">@' + esc(name) + '</span>';
}

function control(inner, ctx) {
  var bar = inner.indexOf('|');
  var target = bar < 0 ? inner : inner.slice(0, bar);
  var label = bar < 0 ? '' : inner.slice(bar + 1);
  if (target.charAt(0) === '@') return mention(target.slice(1), label, ctx);
  if (target.charAt(0) === '#') {
    var cid = target.slice(1);
    return '<span class="mention">#' + esc(label || (ctx.channels && ctx.channels[cid]) || cid) + '</span>';
  }
  if (target.charAt(0) === '!') {
    var special = target.slice(1);
    if (special === 'here' || special === 'channel' || special === 'everyone')
      return '<span class="mention">@' + special + '</span>';
    // A user group shows as its @handle, as Slack shows it; a date as its fallback text.
    var group = /^subteam\^([A-Z0-9_]+)$/.exec(special);
    if (group) {
      var handle = label.replace(/^@/, '') || (ctx.groups && ctx.groups[group[1]]) || group[1];
      return '<span class="mention group" data-group="' + esc(group[1]) + '">@' + esc(unentity(handle)) + '</span>';
    }
    if (/^date\^/.test(special)) return esc(unentity(label || special));
    return esc(unentity(label || special));
  }
  var href = safeUrl(unentity(target));
  if (!href) return esc(unentity(label || target));
  return '<a href="' + esc(href) + '" target="_blank" rel="noreferrer noopener">' +
    esc(unentity(label || target)) + '</a>';
}

function mrkdwn(src, ctx) {
  ctx = ctx || {};
  var held = [];
  function hold(html) { held.push(html); return '\u0000' + (held.length - 1) + '\u0000'; }
  var parts = String(src).split(FENCE);
  var s = parts.map(function (part, i) {
    if (i % 2 === 0) return part;
    if (i === parts.length - 1) return FENCE + part; // an unclosed fence stays as typed
    return hold('<pre class="code">' + esc(unentity(part.replace(/^\n/, '').replace(/\n$/, ''))) + '</pre>');
  }).join('');
  s = s.replace(new RegExp(BT + '([^' + BT + '\\n]+)' + BT, 'g'), function (m, code) {
    return hold('<code>' + esc(unentity(code)) + '</code>');
  });
  s = s.replace(/<([^<>\n]+)>/g, function (m, inner) { return hold(control(inner, ctx)); });
  s = s.replace(/^>[ ]?(.*)$/gm, '\u0001$1'); // a block quote, marked before escaping hides the >
  var html = esc(unentity(s))
    .replace(/(^|[^\w*])\*(?!\s)([^*\n]+?)\*(?![\w*])/g, '$1<b>$2</b>')
    .replace(/(^|[^\w_])_(?!\s)([^_\n]+?)_(?![\w_])/g, '$1<i>$2</i>')
    .replace(/(^|[^\w~])~(?!\s)([^~\n]+?)~(?![\w~])/g, '$1<s>$2</s>')
    .replace(/^\u0001(.*)$/gm, '<span class="quote">$1</span>');
  html = emojify(html);
  return html.replace(/\u0000(\d+)\u0000/g, function (m, i) { return held[Number(i)]; });
}

/** A text object: mrkdwn or plain_text (with :emoji: unless emoji is false). */
function textObject(t, ctx) {
  if (!t || typeof t.text !== 'string') return '';
  if (t.type === 'mrkdwn') return '<span class="mrkdwn">' + mrkdwn(t.text, ctx) + '</span>';
  var plain = esc(t.text);
  return '<span class="plain">' + (t.emoji === false ? plain : emojify(plain)) + '</span>';
}
`;
