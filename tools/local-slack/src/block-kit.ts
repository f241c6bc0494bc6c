// Structural Block Kit validation for the block types the bot uses, with Slack's limits. Each problem is
// reported the way Slack words it in `response_metadata.messages`: "[ERROR] <what> [json-pointer:<where>]".
// Block types and element types not modelled here are refused rather than waved through, so that a
// message this server accepts is one real Slack would accept too.

import { randomBytes } from 'node:crypto';

export const LIMITS = {
  blocks: 50,
  blockId: 255,
  actionId: 255,
  sectionText: 3000,
  sectionFields: 10,
  fieldText: 2000,
  headerText: 150,
  contextElements: 10,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2000,
  buttonUrl: 3000,
  markdownText: 12000,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  altText: 2000,
} as const;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

class Problems {
  readonly list: string[] = [];
  add(what: string, at: string): void {
    this.list.push(`[ERROR] ${what} [json-pointer:${at}]`);
  }
}

/** Returns Slack-style error messages; an empty list means the blocks are valid. */
export function validateBlocks(blocks: unknown, at = '/blocks'): string[] {
  const p = new Problems();
  if (!Array.isArray(blocks)) {
    p.add('must be an array', at);
    return p.list;
  }
  if (blocks.length > LIMITS.blocks) p.add(`no more than ${LIMITS.blocks} items allowed`, at);
  const blockIds = new Set<string>();
  for (const [i, block] of blocks.entries()) {
    const here = `${at}/${i}`;
    if (!isObj(block)) {
      p.add('must be an object', here);
      continue;
    }
    const id = block.block_id;
    if (id !== undefined) {
      if (maxString(p, id, LIMITS.blockId, `${here}/block_id`) && blockIds.has(id as string))
        p.add(`duplicate block_id ${String(id)}`, `${here}/block_id`);
      blockIds.add(String(id));
    }
    validateBlock(p, block, here);
  }
  return p.list;
}

function validateBlock(p: Problems, b: Obj, at: string): void {
  if (b.type === 'divider') return;
  if (b.type === 'header') textObject(p, b.text, `${at}/text`, LIMITS.headerText, ['plain_text']);
  else if (b.type === 'section') section(p, b, at);
  else if (b.type === 'context') context(p, b, at);
  else if (b.type === 'actions') actions(p, b, at);
  else if (b.type === 'markdown') maxString(p, b.text, LIMITS.markdownText, `${at}/text`);
  else if (b.type === 'rich_text') {
    if (!Array.isArray(b.elements) || b.elements.length === 0)
      p.add('must provide a non-empty elements array', `${at}/elements`);
  } else if (b.type === 'table') table(p, b, at);
  else p.add(`unsupported type: ${String(b.type)}`, `${at}/type`);
}

/** Slack's table block: 1-100 rows of 1-20 cells, each raw_text or rich_text. */
function table(p: Problems, b: Obj, at: string): void {
  const rows = b.rows;
  if (!Array.isArray(rows) || rows.length === 0 || rows.length > 100) {
    p.add('must provide 1 to 100 rows', `${at}/rows`);
    return;
  }
  for (const [r, row] of rows.entries()) {
    if (!Array.isArray(row) || row.length === 0 || row.length > 20) {
      p.add('a row must hold 1 to 20 cells', `${at}/rows/${r}`);
      continue;
    }
    for (const [c, cell] of row.entries()) {
      const here = `${at}/rows/${r}/${c}`;
      if (isObj(cell) && cell.type === 'raw_text')
        maxString(p, cell.text, LIMITS.sectionText, `${here}/text`);
      else if (!(isObj(cell) && cell.type === 'rich_text' && Array.isArray(cell.elements)))
        p.add('a cell must be raw_text or rich_text', here);
    }
  }
  if (b.column_settings !== undefined && (!Array.isArray(b.column_settings) || b.column_settings.length > 20))
    p.add('no more than 20 items allowed', `${at}/column_settings`);
}

function section(p: Problems, b: Obj, at: string): void {
  if (b.text === undefined && b.fields === undefined) p.add('must provide either text or fields', at);
  if (b.text !== undefined) textObject(p, b.text, `${at}/text`, LIMITS.sectionText);
  if (b.fields !== undefined) {
    if (!Array.isArray(b.fields) || b.fields.length === 0) p.add('must be a non-empty array', `${at}/fields`);
    else {
      if (b.fields.length > LIMITS.sectionFields)
        p.add(`no more than ${LIMITS.sectionFields} items allowed`, `${at}/fields`);
      for (const [i, f] of b.fields.entries()) textObject(p, f, `${at}/fields/${i}`, LIMITS.fieldText);
    }
  }
  if (b.accessory !== undefined) element(p, b.accessory, `${at}/accessory`, ['button', 'image']);
}

function context(p: Problems, b: Obj, at: string): void {
  if (!Array.isArray(b.elements) || b.elements.length === 0) {
    p.add('must provide a non-empty elements array', `${at}/elements`);
    return;
  }
  if (b.elements.length > LIMITS.contextElements)
    p.add(`no more than ${LIMITS.contextElements} items allowed`, `${at}/elements`);
  b.elements.forEach((e, i) => {
    const here = `${at}/elements/${i}`;
    if (isObj(e) && e.type === 'image') element(p, e, here, ['image']);
    else textObject(p, e, here, LIMITS.sectionText);
  });
}

function actions(p: Problems, b: Obj, at: string): void {
  if (!Array.isArray(b.elements) || b.elements.length === 0) {
    p.add('must provide a non-empty elements array', `${at}/elements`);
    return;
  }
  if (b.elements.length > LIMITS.actionsElements)
    p.add(`no more than ${LIMITS.actionsElements} items allowed`, `${at}/elements`);
  const actionIds = new Set<string>();
  b.elements.forEach((e, i) => {
    const here = `${at}/elements/${i}`;
    element(p, e, here, ['button']);
    // Slack requires action_ids to be unique within their block: clicks could not be told apart.
    if (isObj(e) && typeof e.action_id === 'string') {
      if (actionIds.has(e.action_id)) p.add(`duplicate action_id ${e.action_id}`, `${here}/action_id`);
      actionIds.add(e.action_id);
    }
  });
}

function element(p: Problems, e: unknown, at: string, allowed: readonly string[]): void {
  if (!isObj(e)) {
    p.add('must be an object', at);
    return;
  }
  if (typeof e.type !== 'string' || !allowed.includes(e.type)) {
    p.add(`unsupported type: ${String(e.type)}`, `${at}/type`);
    return;
  }
  if (e.type === 'image') {
    if (typeof e.image_url !== 'string' && !isObj(e.slack_file)) p.add('must provide image_url', at);
    maxString(p, e.alt_text, LIMITS.altText, `${at}/alt_text`);
    return;
  }
  textObject(p, e.text, `${at}/text`, LIMITS.buttonText, ['plain_text']);
  if (e.action_id !== undefined) maxString(p, e.action_id, LIMITS.actionId, `${at}/action_id`);
  if (e.value !== undefined) maxString(p, e.value, LIMITS.buttonValue, `${at}/value`);
  if (e.url !== undefined) maxString(p, e.url, LIMITS.buttonUrl, `${at}/url`);
  if (e.style !== undefined && e.style !== 'primary' && e.style !== 'danger')
    p.add('must be one of: primary, danger', `${at}/style`);
  if (e.confirm !== undefined) confirm(p, e.confirm, `${at}/confirm`);
}

function confirm(p: Problems, c: unknown, at: string): void {
  if (!isObj(c)) {
    p.add('must be an object', at);
    return;
  }
  textObject(p, c.title, `${at}/title`, LIMITS.confirmTitle, ['plain_text']);
  textObject(p, c.text, `${at}/text`, LIMITS.confirmText);
  textObject(p, c.confirm, `${at}/confirm`, LIMITS.confirmButton, ['plain_text']);
  textObject(p, c.deny, `${at}/deny`, LIMITS.confirmButton, ['plain_text']);
}

/** A composition text object: `{type: plain_text|mrkdwn, text}` with 1..max characters. */
function textObject(
  p: Problems,
  t: unknown,
  at: string,
  max: number,
  types: readonly string[] = ['plain_text', 'mrkdwn'],
): boolean {
  if (!isObj(t)) {
    p.add('must be a text object', at);
    return false;
  }
  if (typeof t.type !== 'string' || !types.includes(t.type)) {
    p.add(`must be one of: ${types.join(', ')}`, `${at}/type`);
    return false;
  }
  return maxString(p, t.text, max, `${at}/text`);
}

function maxString(p: Problems, s: unknown, max: number, at: string): boolean {
  if (typeof s !== 'string') p.add('must be a string', at);
  else if (s.length === 0) p.add('must be more than 0 characters', at);
  else if (s.length > max) p.add(`must be less than ${max + 1} characters`, at);
  else return true;
  return false;
}

const randomId = () => randomBytes(3).toString('base64url');

/**
 * A copy of valid blocks with the ids Slack fills in: every block gets a `block_id` and every
 * interactive element an `action_id` when the app gave none, as stored messages and payloads show them.
 */
export function withIds(blocks: unknown[]): unknown[] {
  return blocks.map((block) => {
    if (!isObj(block)) return block;
    const copy: Obj = { ...block, block_id: block.block_id ?? randomId() };
    const fill = (e: unknown) =>
      isObj(e) && e.type === 'button' ? { ...e, action_id: e.action_id ?? randomId() } : e;
    if (Array.isArray(block.elements) && block.type === 'actions') copy.elements = block.elements.map(fill);
    if (block.accessory !== undefined) copy.accessory = fill(block.accessory);
    return copy;
  });
}
