import { BLOCKS_SCRIPT } from './page-blocks.js';
import { MRKDWN_SCRIPT } from './page-mrkdwn.js';

// Browser code: the console's page logic. It fetches /console/api/state for the acting user, renders
// the channel, and fetches again on every Server-Sent Event. Same rules as the other script parts: no
// backticks, no dollar-brace. Who you act as and which channel is open are kept in localStorage.

// biome-ignore lint/complexity/noUselessStringRaw: so a regex or escape added later stays verbatim
const APP_SCRIPT = String.raw`
var KEY_USER = 'runbook-bot-console.user';
var KEY_CHANNEL = 'runbook-bot-console.channel';
var state = null;
var me = localStorage.getItem(KEY_USER) || '';
var channel = localStorage.getItem(KEY_CHANNEL) || '';
var collapsed = {};
var dismissed = {};
var history = [];
var historyAt = 0;
var loading = false;
var again = false;
var PALETTE = ['#e8912d', '#2bac76', '#1264a3', '#cd2553', '#7c3085', '#3aa3e3', '#9e6a03', '#4d394b'];

function byId(id) { return document.getElementById(id); }

function post(path, body) {
  return fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    .then(function (r) { return r.json(); });
}

function load() {
  if (loading) { again = true; return; }
  loading = true;
  fetch('/console/api/state?user=' + encodeURIComponent(me))
    .then(function (r) { return r.json(); })
    .then(function (s) {
      state = s;
      var people = s.users.filter(function (u) { return !u.isBot; });
      var needAgain = false;
      if (!people.some(function (u) { return u.id === me; }) && people.length > 0) {
        me = people[0].id; localStorage.setItem(KEY_USER, me); needAgain = true;
      }
      if (!s.channels.some(function (c) { return c.id === channel; }) && s.channels.length > 0) {
        channel = s.channels[0].id; localStorage.setItem(KEY_CHANNEL, channel);
      }
      render();
      if (needAgain) again = true;
    })
    .catch(function (e) { setStatus('state: ' + e.message, true); })
    .then(function () { loading = false; if (again) { again = false; load(); } });
}

function setStatus(text, down) {
  var el = byId('status');
  el.textContent = text;
  el.className = down ? 'status down' : 'status';
}

function hint(text, error) {
  var el = byId('hint');
  el.textContent = text;
  el.className = error ? 'hint error' : 'hint';
}

function ctxFor() {
  var users = {}, channels = {}, groups = {};
  state.users.forEach(function (u) { users[u.id] = u.name; });
  state.channels.forEach(function (c) { channels[c.id] = c.name; });
  (state.userGroups || []).forEach(function (g) { groups[g.id] = g.handle; });
  return { users: users, channels: channels, groups: groups, markdown: state.markdown || {}, me: me };
}

function userOf(id) {
  return state.users.filter(function (u) { return u.id === id; })[0] || { id: id, name: id, realName: id, isBot: false };
}

function avatar(u) {
  var h = 0;
  for (var i = 0; i < u.id.length; i++) h = (h * 31 + u.id.charCodeAt(i)) >>> 0;
  var color = u.isBot ? '#611f69' : PALETTE[h % PALETTE.length];
  var letter = u.isBot ? '🤖' : (u.realName || u.name || '?').charAt(0).toUpperCase();
  return '<div class="avatar" style="background:' + color + '">' + esc(letter) + '</div>';
}

function clock(ts) {
  var d = new Date(Number(ts) * 1000);
  return ('0' + d.getHours()).slice(-2) + ':' + ('0' + d.getMinutes()).slice(-2);
}

function fileCard(f) {
  var ext = (String(f.name).split('.').pop() || '').toUpperCase().slice(0, 4);
  var kb = f.size >= 1024 ? (f.size / 1024).toFixed(1) + ' KB' : f.size + ' B';
  return '<div class="file"><div class="file-icon">' + esc(ext) + '</div><div>' +
    '<a class="file-name" href="/console/files/' + encodeURIComponent(f.id) + '" target="_blank" rel="noopener">' +
    esc(f.title || f.name) + '</a><div class="file-meta">' + esc(f.name) + ' · ' + kb + '</div></div></div>';
}

function messageHtml(m, ctx, inThread) {
  var u = userOf(m.user);
  var where = { channel: m.channel, ts: m.ts, ephemeral: false };
  var body = m.blocks && m.blocks.length ? renderBlocks(m.blocks, ctx, where) : '<div class="mrkdwn">' + mrkdwn(m.text, ctx) + '</div>';
  var html = '<div class="msg" data-msg-ts="' + esc(m.ts) + '">' + avatar(u) + '<div class="content"><div class="meta">' +
    '<span class="name">' + esc(u.isBot ? u.name : u.realName) + '</span>' + (u.isBot ? '<span class="app-tag">APP</span>' : '') +
    '<span class="time" title="' + esc(m.ts) + '">' + clock(m.ts) + '</span>' + (m.edited ? '<span class="edited">(edited)</span>' : '') +
    '</div>' + body + (m.files || []).map(fileCard).join('');
  if (!inThread && m.replies) {
    var items = m.replies.map(function (r) { return { ts: r.ts, html: messageHtml(r, ctx, true) }; })
      .concat(ephemeralItems(m.ts, ctx));
    if (items.length > 0) {
      var closed = !!collapsed[m.ts];
      var n = m.replies.length;
      html += '<button type="button" class="thread-link" data-act="thread" data-thread="' + esc(m.ts) + '">' +
        n + (n === 1 ? ' reply' : ' replies') + '<span>' + (closed ? 'Show thread' : 'Hide thread') + '</span></button>';
      if (!closed) html += '<div class="replies" data-thread-ts="' + esc(m.ts) + '">' + sortItems(items).join('') + '</div>';
    }
  }
  return html + '</div></div>';
}

function ephemeralHtml(e, ctx) {
  var key = e.channel + ':' + e.message_ts;
  var from = e.via === 'slackbot' ? { id: 'USLACKBOT', name: 'Slackbot', realName: 'Slackbot', isBot: true } : userOf(state.workspace.botUserId);
  var where = { channel: e.channel, ts: e.message_ts, ephemeral: true };
  var body = e.blocks && e.blocks.length ? renderBlocks(e.blocks, ctx, where) : '<div class="mrkdwn">' + mrkdwn(e.text, ctx) + '</div>';
  return '<div class="msg ephemeral" data-ephemeral-ts="' + esc(e.message_ts) + '">' + avatar(from) + '<div class="content">' +
    '<div class="only-you">👁 Only visible to you<button type="button" class="dismiss" data-act="dismiss" data-key="' + esc(key) + '">Dismiss</button></div>' +
    '<div class="meta"><span class="name">' + esc(from.name) + '</span><span class="app-tag">APP</span><span class="time">' + clock(e.message_ts) + '</span></div>' +
    body + '</div></div>';
}

function ephemeralItems(threadTs, ctx) {
  return state.ephemerals.filter(function (e) {
    return e.channel === channel && (e.thread_ts || '') === (threadTs || '') && !dismissed[e.channel + ':' + e.message_ts];
  }).map(function (e) { return { ts: e.message_ts, html: ephemeralHtml(e, ctx) }; });
}

function commandHtml(c) {
  var u = userOf(c.user);
  var outcome = c.error ? 'not delivered: ' + c.error : c.status === undefined ? 'sending…' : 'HTTP ' + c.status + ' in ' + c.elapsedMs + ' ms';
  return '<div class="msg ephemeral cmd" data-command-id="' + c.id + '">' + avatar(u) + '<div class="content">' +
    '<div class="only-you">👁 Only visible to you</div><div class="cmd-echo"><b>' + esc(u.realName) + '</b> used <code>' +
    esc((c.command + ' ' + c.text).trim()) + '</code> · ' + esc(outcome) + '</div></div></div>';
}

function sortItems(items) {
  return items.sort(function (a, b) { return a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0; }).map(function (i) { return i.html; });
}

function render() {
  var ctx = ctxFor();
  var list = byId('messages');
  var atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  var current = state.channels.filter(function (c) { return c.id === channel; })[0];
  byId('channels').innerHTML = state.channels.map(function (c) {
    return '<button type="button" class="chan' + (c.id === channel ? ' active' : '') + '" data-act="channel" data-channel="' + esc(c.id) + '"># ' + esc(c.name) + '</button>';
  }).join('');
  var select = byId('acting-as');
  select.innerHTML = state.users.filter(function (u) { return !u.isBot; }).map(function (u) {
    return '<option value="' + esc(u.id) + '"' + (u.id === me ? ' selected' : '') + '>' + esc(u.realName) + ' (@' + esc(u.name) + ')</option>';
  }).join('');
  byId('channel-name').textContent = current ? '# ' + current.name : '# (no channel)';
  byId('who').textContent = 'acting as @' + userOf(me).name;
  var items = state.messages.filter(function (m) { return m.channel === channel; })
    .map(function (m) { return { ts: m.ts, html: messageHtml(m, ctx, false) }; })
    .concat(ephemeralItems('', ctx))
    .concat(state.commands.filter(function (c) { return c.channel === channel; })
      .map(function (c) { return { ts: c.ts, html: commandHtml(c) }; }));
  list.innerHTML = items.length ? sortItems(items).join('') :
    '<div class="empty">Nothing here yet. Type <code>/incident help</code> below to talk to the bot.</div>';
  if (atBottom) list.scrollTop = list.scrollHeight;
  renderExtras();
}

function renderExtras() {
  var panel = byId('extras');
  if (!state.extras) { panel.hidden = true; return; }
  panel.hidden = false;
  byId('extras-title').textContent = state.extras.title;
  var box = byId('extras-actions');
  var html = state.extras.actions.map(function (a) {
    return '<button type="button" class="btn" data-act="extra" data-extra="' + esc(a.id) + '">' + esc(a.label) + '</button>';
  }).join('');
  if (box.getAttribute('data-html') !== html) { box.innerHTML = html; box.setAttribute('data-html', html); }
}

function showExtraResult(text, error) {
  var out = byId('extras-result');
  out.hidden = false;
  out.textContent = text;
  out.className = error ? 'error' : '';
}

function onClick(ev) {
  var el = ev.target.closest ? ev.target.closest('[data-act]') : null;
  if (!el) return;
  var act = el.getAttribute('data-act');
  if (act === 'channel') { channel = el.getAttribute('data-channel'); localStorage.setItem(KEY_CHANNEL, channel); render(); return; }
  if (act === 'thread') { var t = el.getAttribute('data-thread'); collapsed[t] = !collapsed[t]; render(); return; }
  if (act === 'dismiss') { dismissed[el.getAttribute('data-key')] = true; render(); return; }
  if (act === 'extra') {
    el.disabled = true;
    showExtraResult('running ' + el.textContent + '…', false);
    post('/console/api/extras/' + encodeURIComponent(el.getAttribute('data-extra')), { userId: me, channelId: channel })
      .then(function (r) { showExtraResult(r.ok ? r.text : r.error, !r.ok); })
      .catch(function (e) { showExtraResult(e.message, true); })
      .then(function () { el.disabled = false; });
    return;
  }
  if (act === 'click') {
    var confirmText = el.getAttribute('data-confirm');
    if (confirmText && !window.confirm(confirmText)) return;
    var url = el.getAttribute('data-url');
    if (url) window.open(url, '_blank', 'noopener');
    el.disabled = true;
    var body = { userId: me, channelId: el.getAttribute('data-channel'), messageTs: el.getAttribute('data-ts'),
      actionId: el.getAttribute('data-action-id'), blockId: el.getAttribute('data-block-id') };
    if (el.hasAttribute('data-value')) body.value = el.getAttribute('data-value');
    post('/console/api/click', body).then(function (r) {
      if (!r.ok) hint('Click not delivered: ' + r.error, true);
      else hint('Clicked "' + el.textContent + '" as @' + userOf(me).name + ': the bot answered HTTP ' + r.status + ' in ' + r.elapsedMs + ' ms', r.status !== 200);
    }).catch(function (e) { hint('Click failed: ' + e.message, true); })
      .then(function () { el.disabled = false; });
  }
}

function onSubmit(ev) {
  ev.preventDefault();
  var input = byId('composer-input');
  var text = input.value.trim();
  if (!text) return;
  if (text.charAt(0) !== '/') { hint('The local Slack sends only slash commands to the bot, e.g. /incident help', true); return; }
  history.push(text); historyAt = history.length;
  input.value = '';
  hint('Sending ' + text + ' as @' + userOf(me).name + '…', false);
  post('/console/api/command', { userId: me, channelId: channel, text: text }).then(function (r) {
    if (!r.ok) hint(text + ': ' + (r.detail || r.error), true);
    else hint(text + ': the bot answered HTTP ' + r.status + ' in ' + r.elapsedMs + ' ms', r.status !== 200);
  }).catch(function (e) { hint(text + ': ' + e.message, true); });
}

function onKey(ev) {
  var input = byId('composer-input');
  if (ev.key === 'ArrowUp' && historyAt > 0) { historyAt--; input.value = history[historyAt]; ev.preventDefault(); }
  else if (ev.key === 'ArrowDown' && historyAt < history.length) { historyAt++; input.value = history[historyAt] || ''; ev.preventDefault(); }
}

function connect() {
  var source = new EventSource('/console/events');
  source.addEventListener('hello', function () { setStatus('live', false); load(); });
  source.addEventListener('change', load);
  source.onerror = function () { setStatus('disconnected, retrying…', true); };
}

document.addEventListener('click', onClick);
byId('composer').addEventListener('submit', onSubmit);
byId('composer-input').addEventListener('keydown', onKey);
byId('acting-as').addEventListener('change', function (ev) {
  me = ev.target.value; localStorage.setItem(KEY_USER, me); load();
});
load();
connect();
`;

/** The whole browser script, served as /console/app.js. */
export function consoleScript(): string {
  return `'use strict';\n${MRKDWN_SCRIPT}\n${BLOCKS_SCRIPT}\n(function () {\n${APP_SCRIPT}\n})();\n`;
}
