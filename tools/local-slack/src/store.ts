import { EventEmitter } from 'node:events';
import type { Mention } from './mentions.js';
import { type RenderedText, renderedMentions, renderedTexts } from './rendered-texts.js';
import type {
  ApiCall,
  CommandReply,
  LocalChannel,
  LocalEphemeral,
  LocalFile,
  LocalMessage,
  LocalUser,
  LocalUserGroup,
  ResponseUrlPost,
  SocketConnection,
  SocketEnvelope,
} from './types.js';

/**
 * The workspace's state: channels, users, messages (with threads), files, ephemerals and response_url
 * posts. Every change emits `change`, so tests can wait for the bot's asynchronous effects instead of
 * sleeping.
 */
export class SlackStore extends EventEmitter {
  readonly channels = new Map<string, LocalChannel>();
  readonly users = new Map<string, LocalUser>();
  /** All messages in posting order, every channel. */
  readonly messages: LocalMessage[] = [];
  readonly files = new Map<string, LocalFile>();
  readonly ephemerals: LocalEphemeral[] = [];
  readonly responses: ResponseUrlPost[] = [];
  readonly calls: ApiCall[] = [];
  readonly userGroups = new Map<string, LocalUserGroup>();
  /** Web API methods told to fail (method → Slack error code), for tests of the bot's refusals. */
  readonly failures = new Map<string, string>();
  /** Socket Mode connections, oldest first, open or closed. */
  readonly connections: SocketConnection[] = [];
  readonly envelopes: SocketEnvelope[] = [];
  /** The app's answers to slash commands, over either transport. */
  readonly commandReplies: CommandReply[] = [];
  private lastMicros = 0;
  private nextChannel = 1;

  /** Slack-shaped `ts` ("1732200000.000100"): unique and strictly increasing across the workspace. */
  nextTs(): string {
    // Microseconds since the epoch fit a double exactly (≈1.7e15 < 2^53).
    this.lastMicros = Math.max(this.lastMicros + 1, Date.now() * 1000);
    const secs = Math.floor(this.lastMicros / 1_000_000);
    return `${secs}.${String(this.lastMicros % 1_000_000).padStart(6, '0')}`;
  }

  changed(what: string): void {
    this.emit('change', what);
  }

  createChannel(name: string, id?: string): LocalChannel {
    const clean = name.replace(/^#/, '');
    const existing = this.channel(clean);
    if (existing) return existing;
    const channel = {
      id: id ?? `C_LOCAL${String(this.nextChannel++).padStart(4, '0')}`,
      name: clean,
      created: Math.floor(Date.now() / 1000),
    };
    this.channels.set(channel.id, channel);
    this.changed('channel');
    return channel;
  }

  /** Resolves an id, a name or a `#name`, as chat.postMessage does. */
  channel(idOrName: string): LocalChannel | undefined {
    const direct = this.channels.get(idOrName);
    if (direct) return direct;
    const name = idOrName.replace(/^#/, '');
    return [...this.channels.values()].find((c) => c.name === name);
  }

  addUser(user: LocalUser): void {
    this.users.set(user.id, user);
  }

  user(id: string): LocalUser | undefined {
    return this.users.get(id);
  }

  addUserGroup(group: LocalUserGroup): void {
    this.userGroups.set(group.id, { ...group, users: [...group.users] });
    this.changed('usergroup');
  }

  /** Makes `method` answer `{ ok: false, error }` until `clearFailures()`. */
  failMethod(method: string, error = 'internal_error'): void {
    this.failures.set(method, error);
  }

  clearFailures(): void {
    this.failures.clear();
  }

  /** Socket Mode connections that are still open. */
  openConnections(): SocketConnection[] {
    return this.connections.filter((c) => c.closedAt === undefined);
  }

  /** Every text the bot had Slack render (messages, blocks, file comments, ephemerals, answers). */
  renderedTexts(): RenderedText[] {
    return renderedTexts(this);
  }

  /** The mentions and links in those texts that are mrkdwn, each with where it came from. */
  renderedMentions(): (RenderedText & { mention: Mention })[] {
    return renderedMentions(this);
  }

  message(channel: string, ts: string): LocalMessage | undefined {
    return this.messages.find((m) => m.channel === channel && m.ts === ts);
  }

  /** Top-level messages of a channel (what the channel view shows), oldest first. */
  channelMessages(channel: string): LocalMessage[] {
    return this.messages.filter((m) => m.channel === channel && (!m.thread_ts || m.thread_ts === m.ts));
  }

  /** The replies in a thread, oldest first, without the parent. */
  thread(channel: string, parentTs: string): LocalMessage[] {
    return this.messages.filter(
      (m) => m.channel === channel && m.thread_ts === parentTs && m.ts !== parentTs,
    );
  }

  /** Appends a message; a reply marks its parent as a thread parent, as Slack's message objects do. */
  append(message: LocalMessage): LocalMessage {
    this.messages.push(message);
    if (message.thread_ts) {
      const parent = this.message(message.channel, message.thread_ts);
      if (parent) {
        parent.thread_ts = parent.ts;
        parent.reply_count = this.thread(message.channel, parent.ts).length;
      }
    }
    this.changed('message');
    return message;
  }

  remove(channel: string, ts: string): boolean {
    const at = this.messages.findIndex((m) => m.channel === channel && m.ts === ts);
    if (at < 0) return false;
    this.messages.splice(at, 1);
    this.changed('message');
    return true;
  }

  /** Every message, ephemeral or response in one list, for debugging a failed wait. */
  dump(): string {
    const lines = this.messages.map(
      (m) =>
        `${m.channel} ${m.ts}${m.thread_ts && m.thread_ts !== m.ts ? ` (in ${m.thread_ts})` : ''}: ${m.text}`,
    );
    for (const e of this.ephemerals) lines.push(`${e.channel} ephemeral to ${e.user}: ${e.text}`);
    return lines.join('\n');
  }

  /**
   * Resolves with the first truthy value `probe` returns, checked now and after every change; rejects
   * after `timeoutMs` with what the workspace holds, so a failed test says what the bot did post.
   */
  waitFor<T>(probe: (store: SlackStore) => T | undefined | null | false, timeoutMs = 5000): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const value = probe(this);
        if (value === undefined || value === null || value === false) return false;
        this.off('change', check);
        clearTimeout(timer);
        resolve(value);
        return true;
      };
      const timer = setTimeout(() => {
        this.off('change', check);
        reject(
          new Error(`local Slack: condition not met within ${timeoutMs} ms. Workspace:\n${this.dump()}`),
        );
      }, timeoutMs);
      this.on('change', check);
      check();
    });
  }
}
