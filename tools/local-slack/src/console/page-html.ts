// The console's page: a Slack-like channel view. The script is served apart (/console/app.js) so the
// page can forbid inline script (CSP); everything rendered from messages goes through the script's
// escaping, and links are limited to http(s), mailto and the console's own file viewer.

export const CONSOLE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https: http:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const CSS = `
*{box-sizing:border-box}
html,body{margin:0;height:100%}
body{font:15px/1.46668 -apple-system,BlinkMacSystemFont,"Segoe UI",Lato,Roboto,Helvetica,Arial,sans-serif;color:#1d1c1d;background:#fff}
.app{display:grid;grid-template-columns:240px 1fr auto;grid-template-rows:44px 1fr;height:100vh}
.topbar{grid-column:1/-1;background:#350d36;color:#fff;display:flex;align-items:center;justify-content:space-between;padding:0 16px;font-size:13px}
.topbar .title{font-weight:700;font-size:15px}
.topbar .status{opacity:.8}
.topbar .status.down{color:#ffb3c6;opacity:1}
.sidebar{background:#3f0e40;color:#cfc3cf;overflow:auto;padding:12px 0}
.ws{color:#fff;font-weight:900;font-size:18px;padding:0 16px 12px;border-bottom:1px solid #5d2c5d;margin-bottom:12px}
.ws small{display:block;font-weight:400;font-size:12px;color:#cfc3cf}
.side-h{padding:4px 16px;font-size:14px}
.chan{display:block;width:100%;text-align:left;border:0;background:none;color:inherit;font:inherit;padding:4px 16px 4px 26px;cursor:pointer}
.chan:hover{background:#350d36}
.chan.active{background:#1164a3;color:#fff;font-weight:700}
.acting{margin:16px 16px 0;font-size:13px;color:#fff}
.acting label{display:block;margin-bottom:4px}
.acting select{width:100%;font:inherit;padding:4px;border-radius:4px}
.acting p{margin:6px 0 0;color:#cfc3cf;font-size:12px}
.main{display:flex;flex-direction:column;min-width:0;min-height:0}
.chan-h{height:49px;border-bottom:1px solid #ddd;display:flex;align-items:center;padding:0 20px;font-weight:900;font-size:18px;flex:none}
.chan-h .who{margin-left:auto;font-weight:400;font-size:13px;color:#616061}
.messages{flex:1;overflow-y:auto;padding:8px 0 16px}
.empty{color:#616061;padding:24px 20px}
.msg{display:flex;gap:8px;padding:8px 20px;position:relative}
.msg:hover{background:#f8f8f8}
.avatar{flex:none;width:36px;height:36px;border-radius:4px;color:#fff;font-weight:900;display:flex;align-items:center;justify-content:center;font-size:16px}
.replies .avatar{width:24px;height:24px;font-size:12px}
.content{flex:1;min-width:0}
.meta{display:flex;align-items:baseline;gap:6px;flex-wrap:wrap}
.name{font-weight:900}
.app-tag{background:#e8e8e8;color:#616061;font-size:10px;font-weight:700;padding:0 3px;border-radius:2px}
.time{color:#616061;font-size:12px}
.edited{color:#616061;font-size:12px}
.ephemeral{background:#f8f8f8;border-left:3px solid #1264a3}
.ephemeral:hover{background:#f1f1f1}
.only-you{color:#616061;font-size:12px;display:flex;align-items:center;gap:4px}
.dismiss{margin-left:auto;border:0;background:none;color:#1264a3;cursor:pointer;font-size:12px}
.cmd-echo{color:#616061;font-size:13px}
.mrkdwn,.plain{white-space:pre-wrap;word-wrap:break-word}
code{font:12px Monaco,Menlo,Consolas,"Courier New",monospace;color:#c01343;background:#f8f8f8;border:1px solid #e1e1e1;border-radius:3px;padding:2px 3px}
pre.code{font:12px/1.5 Monaco,Menlo,Consolas,"Courier New",monospace;background:#f8f8f8;border:1px solid #e1e1e1;border-radius:4px;padding:8px;margin:4px 0;white-space:pre-wrap;word-break:break-all}
.quote{display:block;border-left:4px solid #ddd;padding-left:10px;color:#454245}
.mention{color:#1264a3;background:#e8f5fa;border-radius:3px;padding:0 2px}
.mention.me{background:#fdf3d4;color:#1d1c1d}
a{color:#1264a3;text-decoration:none}
a:hover{text-decoration:underline}
.b-header{font-size:18px;font-weight:900;margin:4px 0}
.b-section{display:flex;gap:12px;align-items:flex-start;margin:4px 0}
.b-section-main{flex:1;min-width:0}
.b-fields{display:grid;grid-template-columns:1fr 1fr;gap:8px 16px;margin-top:4px}
.b-context{display:flex;gap:8px;align-items:center;color:#616061;font-size:12px;margin:4px 0;flex-wrap:wrap}
.b-context img{width:16px;height:16px;border-radius:3px}
.b-context code{font-size:11px}
.b-divider{border:0;border-top:1px solid #ddd;margin:8px 0}
.b-actions{display:flex;gap:8px;flex-wrap:wrap;margin:8px 0 4px}
.b-image{max-width:360px;border-radius:4px}
.b-table,.b-markdown table{border-collapse:collapse;margin:4px 0;font-size:14px}
.b-table th,.b-table td,.b-markdown th,.b-markdown td{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
.b-table th,.b-markdown th{background:#f8f8f8}
.b-table .nowrap{white-space:nowrap}
.b-markdown p{margin:4px 0}
.b-markdown h1,.b-markdown h2,.b-markdown h3,.b-markdown h4{font-size:15px;margin:8px 0 4px}
.b-markdown ul,.b-markdown ol,.rt-list{margin:4px 0;padding-left:26px}
.mention.group{background:#e8f5fa}
.b-unknown{font:11px monospace;color:#616061;background:#fafafa;border:1px dashed #ccc;padding:4px}
.rt-section{white-space:pre-wrap}
.rt-quote{border-left:4px solid #ddd;margin:4px 0;padding-left:10px}
.btn{font-family:inherit;font-weight:700;font-size:13px;line-height:26px;border:1px solid rgba(29,28,29,.3);background:#fff;color:#1d1c1d;border-radius:4px;padding:0 12px;cursor:pointer;height:28px}
.btn:hover{background:#f8f8f8;box-shadow:0 1px 3px rgba(0,0,0,.08)}
.btn.primary{background:#007a5a;border-color:#007a5a;color:#fff}
.btn.primary:hover{background:#148567}
.btn.danger{background:#e01e5a;border-color:#e01e5a;color:#fff}
.btn.danger:hover{background:#e23067}
.btn:disabled{opacity:.5;cursor:default}
.file{display:flex;gap:10px;align-items:center;border:1px solid #ddd;border-radius:8px;padding:8px 12px;margin:6px 0;max-width:420px;background:#fff}
.file-icon{width:36px;height:40px;border-radius:4px;background:#1264a3;color:#fff;font-weight:900;font-size:11px;display:flex;align-items:center;justify-content:center}
.file-meta{color:#616061;font-size:12px}
.thread-link{display:inline-flex;gap:8px;align-items:center;margin-top:4px;border:0;background:none;padding:2px 4px 2px 0;cursor:pointer;font-family:inherit;font-weight:700;font-size:13px;color:#1264a3}
.thread-link span{color:#616061;font-weight:400}
.replies{border-left:2px solid #e1e1e1;margin:4px 0 0;padding-left:8px}
.replies .msg{padding:6px 8px}
.composer{flex:none;padding:0 20px 16px}
.composer form{border:1px solid #bbb;border-radius:8px;display:flex;align-items:center;padding:4px 4px 4px 12px;gap:8px}
.composer form:focus-within{border-color:#1264a3;box-shadow:0 0 0 1px #1264a3}
.composer input{flex:1;border:0;outline:0;font-family:inherit;font-size:15px;padding:8px 0}
.composer button{background:#007a5a;color:#fff;border:0;border-radius:4px;font-weight:700;padding:6px 12px;cursor:pointer}
.hint{color:#616061;font-size:12px;padding:4px 2px 0;min-height:20px}
.hint.error{color:#e01e5a}
.extras{width:300px;border-left:1px solid #ddd;background:#f8f8f8;padding:16px;overflow:auto}
.extras h2{font-size:15px;margin:0 0 12px}
.extras .btn{display:block;width:100%;height:auto;min-height:28px;white-space:normal;line-height:1.35;padding:6px 10px;margin-bottom:8px;text-align:left}
.extras pre{white-space:pre-wrap;font:12px/1.4 Monaco,Menlo,Consolas,monospace;background:#fff;border:1px solid #ddd;border-radius:4px;padding:8px;margin:8px 0 0}
.extras pre.error{color:#e01e5a}
.extras[hidden]{display:none}
`;

export function consolePage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>runbook-bot · local Slack</title>
<style>${CSS}</style>
</head>
<body>
<div class="app">
  <header class="topbar"><span class="title">local Slack</span><span class="status" id="status">connecting…</span></header>
  <nav class="sidebar">
    <div class="ws">local<small>a Slack stand-in for runbook-bot</small></div>
    <div class="side-h">Channels</div>
    <div id="channels"></div>
    <div class="acting">
      <label for="acting-as">Acting as</label>
      <select id="acting-as"></select>
      <p>Commands and clicks are sent to the bot as this person, signed as Slack signs them.</p>
    </div>
  </nav>
  <main class="main">
    <div class="chan-h"><span id="channel-name"># …</span><span class="who" id="who"></span></div>
    <div class="messages" id="messages" aria-live="polite"></div>
    <div class="composer">
      <form id="composer" autocomplete="off">
        <input id="composer-input" name="text" placeholder="Type a slash command, e.g. /incident help" spellcheck="false">
        <button type="submit">Send</button>
      </form>
      <div class="hint" id="hint">Only slash commands are sent to the bot: <code>/incident help</code>, <code>/incident run redis-permissions &lt;target&gt;</code></div>
    </div>
  </main>
  <aside class="extras" id="extras" hidden>
    <h2 id="extras-title"></h2>
    <div id="extras-actions"></div>
    <pre id="extras-result" hidden></pre>
  </aside>
</div>
<script src="/console/app.js"></script>
</body>
</html>`;
}
