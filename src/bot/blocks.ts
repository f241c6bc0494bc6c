// Block Kit building blocks that stay inside Slack's limits by construction. Long text is split over
// several sections (never cut); what cannot fit in one message goes into a file (see fitOrFile).

export const LIMITS = {
  blocks: 50,
  sectionText: 3000,
  headerText: 150,
  buttonText: 75,
  contextText: 2000,
  /** A message's top-level `text` and a file's comment: Slack refuses longer (msg_too_long). */
  messageText: 40_000,
};

export type Block = Record<string, unknown>;

/** Text from targets or people shown in mrkdwn: no mentions, links or channel pings smuggled in. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Inside a ``` block: escaped, and a run of backticks in the text cannot close the block. */
export function codeText(text: string): string {
  return escapeMrkdwn(text).replace(/`{3,}/g, (m) => m.split('').join('\u200b'));
}

/** For our own short labels (headers, button text): these are ours, so shortening them loses nothing. */
export function clamp(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Bounds a whole message's text, saying how much was left out (the full text is in the report). */
export function boundText(text: string, max = LIMITS.messageText): string {
  if (text.length <= max) return text;
  const note = `\n… (${text.length - max + 60} more characters not shown)`;
  return `${text.slice(0, max - note.length)}${note}`;
}

export const header = (text: string): Block => ({
  type: 'header',
  text: { type: 'plain_text', text: clamp(text, LIMITS.headerText), emoji: true },
});

export const context = (text: string): Block => ({
  type: 'context',
  elements: [{ type: 'mrkdwn', text: clamp(text, LIMITS.contextText) }],
});

export const divider = (): Block => ({ type: 'divider' });

/** Splits `text` at line ends into pieces of at most `max` characters; an overlong line is split too. */
export function chunks(text: string, max: number): string[] {
  const out: string[] = [];
  let cur = '';
  for (const line of text.split('\n')) {
    let rest = line;
    while (rest.length > max) {
      if (cur !== '') out.push(cur);
      cur = '';
      out.push(rest.slice(0, max));
      rest = rest.slice(max);
    }
    const next = cur === '' ? rest : `${cur}\n${rest}`;
    if (next.length > max) {
      out.push(cur);
      cur = rest;
    } else cur = next;
  }
  if (cur !== '' || out.length === 0) out.push(cur);
  return out;
}

/** One or more mrkdwn sections holding all of `text`. */
export function sections(text: string): Block[] {
  return chunks(text, LIMITS.sectionText).map((t) => ({
    type: 'section',
    text: { type: 'mrkdwn', text: t === '' ? ' ' : t },
  }));
}

/** Lines shown as code, optionally under a label, in as many sections as they need. */
export function codeSections(lines: readonly string[], label = ''): Block[] {
  const overhead = label.length + 10; // label, newline, two fences
  const pieces = chunks(lines.map(codeText).join('\n'), LIMITS.sectionText - overhead);
  return pieces.map((p, i) => ({
    type: 'section',
    text: {
      type: 'mrkdwn',
      text: `${i === 0 && label ? `${label}\n` : ''}\`\`\`${p === '' ? ' ' : p}\`\`\``,
    },
  }));
}

export interface FittedMessage {
  blocks: Block[];
  /** Set when the blocks did not fit: the whole text must go with the message as a file. */
  overflow: boolean;
}

/**
 * Keeps a message within the block limit. When it does not fit, the head is kept and a note says the
 * rest is in the attached file; the caller uploads `fullText` as that file, so nothing is lost.
 */
export function fitOrFile(blocks: Block[], note: string): FittedMessage {
  if (blocks.length <= LIMITS.blocks) return { blocks, overflow: false };
  return { blocks: [...blocks.slice(0, LIMITS.blocks - 1), context(note)], overflow: true };
}
