import { renderMarkdown } from '@runbook-bot/local-slack/console/markdown.js';
import { BLOCKS_SCRIPT } from '@runbook-bot/local-slack/console/page-blocks.js';
import { MRKDWN_SCRIPT } from '@runbook-bot/local-slack/console/page-mrkdwn.js';
import { describe, expect, it } from 'vitest';

// The console's browser-side renderers are plain functions over strings: evaluated here in Node, they
// are checked without a browser. The browser test checks the page as a whole.

type Ctx = {
  users?: Record<string, string>;
  channels?: Record<string, string>;
  groups?: Record<string, string>;
  markdown?: Record<string, string>;
  me?: string;
};
const { mrkdwn, renderBlocks } = new Function(
  `${MRKDWN_SCRIPT}\n${BLOCKS_SCRIPT}\nreturn { mrkdwn: mrkdwn, renderBlocks: renderBlocks };`,
)() as {
  mrkdwn: (src: string, ctx?: Ctx) => string;
  renderBlocks: (
    blocks: unknown[],
    ctx: Ctx,
    where: { channel: string; ts: string; ephemeral: boolean },
  ) => string;
};
const ctx: Ctx = { users: { U_BOB: 'bob', U_ALICE: 'alice' }, channels: { C1: 'incidents' }, me: 'U_ALICE' };
const FENCE = '```';

describe('console mrkdwn', () => {
  it('renders bold, italic, strike, code, mentions, links and emoji, escaping everything else', () => {
    const html = mrkdwn(
      '*Target:* `rbb&lt;x&gt;` _now_ ~old~ by <@U_BOB> for <@U_ALICE> in <#C1> <!here> :white_check_mark: ' +
        'see <https://x.test/a?b=1&amp;c=2|the docs> &lt;b&gt;hi&lt;/b&gt; <javascript:alert(1)|click>',
      ctx,
    );
    expect(html).toContain('<b>Target:</b>');
    expect(html).toContain('<code>rbb&lt;x&gt;</code>');
    expect(html).toContain('<i>now</i>');
    expect(html).toContain('<s>old</s>');
    expect(html).toContain('<span class="mention" data-user="U_BOB">@bob</span>');
    expect(html).toContain('<span class="mention me" data-user="U_ALICE">@alice</span>');
    expect(html).toContain('#incidents');
    expect(html).toContain('@here');
    expect(html).toContain('✅');
    expect(html).toContain(
      '<a href="https://x.test/a?b=1&amp;c=2" target="_blank" rel="noreferrer noopener">the docs</a>',
    );
    expect(html).toContain('&lt;b&gt;hi&lt;/b&gt;');
    expect(html).not.toContain('javascript:');
    expect(html).toContain(' click');
  });

  it('keeps code blocks verbatim: no formatting, no mentions, escaped', () => {
    const html = mrkdwn(
      `*The repair will run exactly:*\n${FENCE}chown -R 999:999 /data\n*x* <@U_BOB> &lt;y&gt;${FENCE}`,
      ctx,
    );
    expect(html).toBe(
      '<b>The repair will run exactly:</b>\n<pre class="code">chown -R 999:999 /data\n*x* &lt;@U_BOB&gt; &lt;y&gt;</pre>',
    );
    expect(mrkdwn(`${FENCE}unclosed`, ctx)).toBe(`${FENCE}unclosed`);
    expect(mrkdwn('redis_permissions and snake_case_name', ctx)).toBe(
      'redis_permissions and snake_case_name',
    );
  });
});

describe('console Block Kit rendering', () => {
  it('renders header, section with fields and accessory, context, divider, actions and rich text', () => {
    const blocks = [
      { type: 'header', text: { type: 'plain_text', text: 'Approval needed :warning:' } },
      {
        type: 'section',
        block_id: 'info',
        text: { type: 'mrkdwn', text: '*Risk:* low' },
        fields: [
          { type: 'mrkdwn', text: '*Target*\ncache' },
          { type: 'plain_text', text: 'plain <b>' },
        ],
        accessory: { type: 'button', text: { type: 'plain_text', text: 'Details' }, action_id: 'details' },
      },
      { type: 'context', elements: [{ type: 'mrkdwn', text: 'Approval request `a1`' }] },
      { type: 'divider' },
      {
        type: 'actions',
        block_id: 'approval.a1',
        elements: [
          {
            type: 'button',
            text: { type: 'plain_text', text: 'Approve' },
            action_id: 'approve',
            value: 'v"1',
            style: 'primary',
          },
          {
            type: 'button',
            text: { type: 'plain_text', text: 'Reject' },
            action_id: 'reject',
            value: 'v1',
            style: 'danger',
          },
        ],
      },
      {
        type: 'rich_text',
        elements: [
          { type: 'rich_text_section', elements: [{ type: 'text', text: 'bold', style: { bold: true } }] },
          { type: 'rich_text_preformatted', elements: [{ type: 'text', text: 'redis-cli BGSAVE' }] },
        ],
      },
      { type: 'video' },
    ];
    const html = renderBlocks(blocks, ctx, { channel: 'C1', ts: '1.000100', ephemeral: false });
    expect(html).toContain('<div class="b-header"><span class="plain">Approval needed ⚠️</span></div>');
    expect(html).toContain('<div class="b-field"><span class="mrkdwn"><b>Target</b>\ncache</span></div>');
    expect(html).toContain('<span class="plain">plain &lt;b&gt;</span>');
    expect(html).toMatch(
      /<div class="b-accessory"><button type="button" class="btn" data-act="click"[^>]*data-action-id="details" data-block-id="info"/,
    );
    expect(html).toContain(
      '<div class="b-context"><span><span class="mrkdwn">Approval request <code>a1</code></span></span></div>',
    );
    expect(html).toContain('<hr class="b-divider">');
    expect(html).toContain(
      '<button type="button" class="btn primary" data-act="click" data-channel="C1" data-ts="1.000100" data-action-id="approve" data-block-id="approval.a1" data-value="v&quot;1">',
    );
    expect(html).toContain('class="btn danger"');
    expect(html).toContain(
      '<div class="rt-section"><b>bold</b></div><pre class="code">redis-cli BGSAVE</pre>',
    );
    expect(html).toContain('<pre class="b-unknown">');
    // Buttons on an ephemeral cannot be clicked through the local Slack: they are shown disabled.
    expect(renderBlocks(blocks.slice(4, 5), ctx, { channel: 'C1', ts: '2', ephemeral: true })).toContain(
      ' disabled ',
    );
  });
});

describe('console file viewer Markdown', () => {
  it('renders what the reports use and escapes raw HTML', () => {
    const html = renderMarkdown(
      [
        '# Incident report',
        '',
        '**Status:** ✅ RESOLVED  ',
        '**Target:** cache',
        '',
        '---',
        '',
        '- one `a*b*`',
        '- two',
        '',
        '```text',
        '<not a tag> **not bold**',
        '```',
        '',
        '| Time | Event |',
        '| --- | --- |',
        '| 07:00 | a \\| b |',
        '',
        '[docs](https://x.test) [bad](javascript:alert(1)) <img src=x>',
      ].join('\n'),
    );
    expect(html).toContain('<h1>Incident report</h1>');
    expect(html).toContain('<p><strong>Status:</strong> ✅ RESOLVED<br>\n<strong>Target:</strong> cache</p>');
    expect(html).toContain('<hr>');
    expect(html).toContain('<ul><li>one <code>a*b*</code></li><li>two</li></ul>');
    expect(html).toContain('<pre><code>&lt;not a tag&gt; **not bold**</code></pre>');
    expect(html).toContain('<tbody><tr><td>07:00</td><td>a | b</td></tr></tbody>');
    expect(html).toContain('<a href="https://x.test" rel="noreferrer">docs</a>');
    expect(html).toContain('[bad](javascript:alert(1)) &lt;img src=x&gt;');
  });
});

describe('console renders what Slack and a Markdown viewer would show, nothing literal they would not', () => {
  // The shapes of the bot's reports: a numbered checklist past 9 with findings under each item, and
  // a verification table whose cells hold line breaks.
  const checklist = Array.from({ length: 11 }, (_, i) =>
    [
      `${i + 1}. **Check ${i + 1}**: \`cmd ${i + 1}\``,
      ...(i % 3 === 1 ? [] : [`${i >= 9 ? '    ' : '   '}- 🔴 finding ${i + 1}`]),
    ].join('\n'),
  ).join('\n');

  it('a numbered list with nested items stays one list, numbered on past 9, with its items nested', () => {
    const html = renderMarkdown(checklist);
    expect(html.match(/<ol/g)).toHaveLength(1);
    expect(html.match(/<li><strong>Check/g)).toHaveLength(11);
    expect(html).toContain(
      '<li><strong>Check 10</strong>: <code>cmd 10</code>\n<ul><li>🔴 finding 10</li></ul></li>',
    );
    expect(html).toContain('<li><strong>Check 2</strong>: <code>cmd 2</code></li>');
    // A list that starts at 10 says so; one continued after a paragraph is not an accident of layout.
    expect(renderMarkdown('10. ten\n11. eleven')).toBe('<ol start="10"><li>ten</li><li>eleven</li></ol>');
    expect(renderMarkdown('- a\n  - b\n    - c\n- d')).toBe(
      '<ul><li>a\n<ul><li>b\n<ul><li>c</li></ul></li></ul></li><li>d</li></ul>',
    );
  });

  it('a table cell’s <br> is a line break, while <br> typed by a target stays text', () => {
    const html = renderMarkdown(
      [
        '| Check | Status | Evidence |',
        '| --- | --- | --- |',
        '| BGSAVE is accepted | ✅ | BGSAVE → started<br>Background saving started |',
        '| Output said &lt;br> and \\<b> | ❌ | a \\| b<br/>c \\*not bold\\* &amp; `x<br>y` |',
      ].join('\n'),
    );
    expect(html).toContain('<td>BGSAVE → started<br>Background saving started</td>');
    expect(html).toContain('<td>Output said &lt;br&gt; and &lt;b&gt;</td>');
    expect(html).toContain('<td>a | b<br>c *not bold* &amp; <code>x&lt;br&gt;y</code></td>');
    expect(html).not.toMatch(/&amp;lt;|&lt;br&gt;Background|\\\*/);
  });

  it('a checklist (GitHub task list) shows its boxes, ticked or not', () => {
    expect(renderMarkdown('- [x] **BGSAVE is accepted**: ok\n- [ ] write accepted')).toBe(
      '<ul><li class="task"><input type="checkbox" disabled checked> <strong>BGSAVE is accepted</strong>: ok</li><li class="task"><input type="checkbox" disabled> write accepted</li></ul>',
    );
    expect(renderMarkdown('- [x] ok')).not.toContain('[x]');
  });

  it('code spans of any length, escapes and hard breaks as CommonMark has them', () => {
    expect(renderMarkdown('run `` a`b `` now')).toBe('<p>run <code>a`b</code> now</p>');
    expect(renderMarkdown('line one\nline two')).toBe('<p>line one\nline two</p>');
    expect(renderMarkdown('hard  \nbreak\\\nagain')).toBe('<p>hard<br>\nbreak<br>\nagain</p>');
    expect(renderMarkdown('\\# not a heading, \\_not em\\_')).toBe('<p># not a heading, _not em_</p>');
    expect(renderMarkdown('> quoted\n> - item')).toBe(
      '<blockquote><p>quoted</p>\n<ul><li>item</li></ul></blockquote>',
    );
    expect(renderMarkdown('~~gone~~')).toBe('<p><del>gone</del></p>');
  });

  it('a user group mention shows as its @handle, as Slack shows it', () => {
    const html = mrkdwn('Who may approve: <@U_BOB>, <!subteam^S_ONCALL>, <!subteam^S_X|@ops>', {
      ...ctx,
      groups: { S_ONCALL: 'oncall' },
    } as Ctx);
    expect(html).toContain('<span class="mention group" data-group="S_ONCALL">@oncall</span>');
    expect(html).toContain('<span class="mention group" data-group="S_X">@ops</span>');
    expect(html).not.toContain('subteam^');
  });

  it('a table block is a table, header first; a list continued after 9 items counts on; markdown is Markdown', () => {
    const where = { channel: 'C1', ts: '1.1', ephemeral: false };
    const table = renderBlocks(
      [
        {
          type: 'table',
          column_settings: [{ align: 'left' }, { align: 'center' }],
          rows: [
            [
              { type: 'raw_text', text: 'Check' },
              { type: 'raw_text', text: 'Status' },
            ],
            [
              { type: 'raw_text', text: 'BGSAVE <b>' },
              {
                type: 'rich_text',
                elements: [
                  {
                    type: 'rich_text_section',
                    elements: [{ type: 'text', text: 'ok', style: { bold: true } }],
                  },
                ],
              },
            ],
          ],
        },
      ],
      ctx,
      where,
    );
    expect(table).toContain(
      '<table class="b-table"><tr><th>Check</th><th style="text-align:center">Status</th></tr>',
    );
    expect(table).toContain(
      '<td>BGSAVE &lt;b&gt;</td><td style="text-align:center"><div class="rt-section"><b>ok</b></div></td>',
    );
    expect(table).not.toContain('b-unknown');

    const list = renderBlocks(
      [
        {
          type: 'rich_text',
          elements: [
            {
              type: 'rich_text_list',
              style: 'ordered',
              offset: 9,
              elements: [{ type: 'rich_text_section', elements: [{ type: 'text', text: 'tenth' }] }],
            },
            {
              type: 'rich_text_list',
              style: 'bullet',
              indent: 1,
              elements: [{ type: 'rich_text_section', elements: [{ type: 'text', text: 'under it' }] }],
            },
          ],
        },
      ],
      ctx,
      where,
    );
    expect(list).toContain('<ol class="rt-list rt-indent-0" start="10"><li>tenth</li></ol>');
    expect(list).toContain('<ul class="rt-list rt-indent-1" style="margin-left:22px"><li>under it</li></ul>');

    const text = '1. one\n   - nested\n2. two\n\n| a | b |\n| --- | --- |\n| x<br>y | z |';
    const md = renderBlocks(
      [{ type: 'markdown', text }],
      { ...ctx, markdown: { [text]: renderMarkdown(text) } } as Ctx,
      where,
    );
    expect(md).toContain(
      '<div class="b-markdown"><ol><li>one\n<ul><li>nested</li></ul></li><li>two</li></ol>',
    );
    expect(md).toContain('<td>x<br>y</td>');
  });
});
