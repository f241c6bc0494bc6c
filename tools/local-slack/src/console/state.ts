import type { Workspace } from '../context.js';
import type { SlackStore } from '../store.js';
import type { LocalEphemeral, LocalMessage } from '../types.js';
import { renderMarkdown } from './markdown.js';

// What the web console shows, as one JSON document: the workspace's channels and users, every message
// with its thread replies nested under it, the files, and what only the acting user may see (their
// ephemerals and the slash commands they ran from the console).

/** What a console action is told: who is acting, and where. */
export interface ConsoleActionContext {
  userId: string;
  channelId: string;
}

export interface ConsoleAction {
  id: string;
  label: string;
  /** The text it returns is shown under the buttons; a throw is shown as the error. */
  run(context: ConsoleActionContext): Promise<string>;
}

/** Extra buttons in the console's side panel, e.g. the demo's "Break a scenario". */
export interface ConsoleExtras {
  title: string;
  actions: ConsoleAction[];
}

/** A slash command sent from the console, and what became of it (kept by the console, not the store). */
export interface CommandLogEntry {
  id: number;
  /** When it was sent, as a Slack-style ts, so it sorts among messages. */
  ts: string;
  user: string;
  channel: string;
  command: string;
  text: string;
  status?: number;
  elapsedMs?: number;
  error?: string;
}

export type ConsoleMessage = LocalMessage & { replies: LocalMessage[] };

export interface ConsoleState {
  /** Grows with every store change: a client can tell a stale answer from a new one. */
  version: number;
  workspace: { teamDomain: string; botUserId: string; botName: string };
  users: { id: string; name: string; realName: string; isBot: boolean }[];
  channels: { id: string; name: string }[];
  /** For `<!subteam^S…>`, shown as the group's @handle. */
  userGroups: { id: string; handle: string }[];
  /**
   * `markdown` blocks rendered as the file viewer renders Markdown (lists, tables, headings), keyed by
   * the block's text: one renderer for both, on the server.
   */
  markdown: Record<string, string>;
  /** Top-level messages of every channel, oldest first, each with its thread replies. */
  messages: ConsoleMessage[];
  /** Only the acting user's; none without `user`. */
  ephemerals: LocalEphemeral[];
  files: {
    id: string;
    name: string;
    title: string;
    size: number;
    completed: boolean;
    shares: { channel: string; ts: string; thread_ts?: string }[];
  }[];
  /** Only the acting user's; none without `user`. */
  commands: CommandLogEntry[];
  extras: { title: string; actions: { id: string; label: string }[] } | null;
}

export function consoleState(
  store: SlackStore,
  workspace: Workspace,
  o: { user?: string | undefined; version: number; commands: CommandLogEntry[]; extras?: ConsoleExtras },
): ConsoleState {
  const topLevel = store.messages.filter((m) => !m.thread_ts || m.thread_ts === m.ts);
  const ephemerals = o.user === undefined ? [] : store.ephemerals.filter((e) => e.user === o.user);
  const markdown: Record<string, string> = {};
  for (const item of [...store.messages, ...ephemerals])
    for (const b of (item.blocks ?? []) as { type?: unknown; text?: unknown }[])
      if (b?.type === 'markdown' && typeof b.text === 'string' && !Object.hasOwn(markdown, b.text))
        markdown[b.text] = renderMarkdown(b.text);
  return {
    version: o.version,
    workspace: {
      teamDomain: workspace.teamDomain,
      botUserId: workspace.botUserId,
      botName: workspace.botName,
    },
    users: [...store.users.values()].map((u) => ({
      id: u.id,
      name: u.name,
      realName: u.realName ?? u.name,
      isBot: u.id === workspace.botUserId,
    })),
    channels: [...store.channels.values()].map((c) => ({ id: c.id, name: c.name })),
    userGroups: [...store.userGroups.values()].map((g) => ({ id: g.id, handle: g.handle })),
    markdown,
    messages: topLevel.map((m) => ({ ...m, replies: store.thread(m.channel, m.ts) })),
    ephemerals,
    files: [...store.files.values()].map((f) => ({
      id: f.id,
      name: f.filename,
      title: f.title,
      size: f.content?.length ?? 0,
      completed: f.completed,
      shares: f.shares,
    })),
    commands: o.user === undefined ? [] : o.commands.filter((c) => c.user === o.user),
    extras: o.extras
      ? { title: o.extras.title, actions: o.extras.actions.map((a) => ({ id: a.id, label: a.label })) }
      : null,
  };
}
