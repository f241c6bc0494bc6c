// The data the local Slack keeps. Field names follow Slack's own JSON (snake_case) so that what a test
// reads here looks like what the Web API returns.

export interface LocalUser {
  id: string;
  /** The handle (`name` in Slack's user objects, `user_name` in slash commands). */
  name: string;
  realName?: string;
}

export interface LocalChannel {
  id: string;
  name: string;
  created: number;
}

/** A file as it is shown inside a message (a subset of Slack's file object). */
export interface LocalFileRef {
  id: string;
  name: string;
  title: string;
  mimetype: string;
  size: number;
}

export interface LocalMessage {
  type: 'message';
  channel: string;
  ts: string;
  /** Set on replies only (and on a parent once it has replies, as Slack does). */
  thread_ts?: string;
  user: string;
  bot_id?: string;
  text: string;
  blocks?: unknown[];
  files?: LocalFileRef[];
  edited?: { user: string; ts: string };
  reply_count?: number;
}

export interface LocalFile {
  id: string;
  filename: string;
  title: string;
  /** What files.getUploadURLExternal was told. */
  declaredLength: number;
  uploadUrl: string;
  /** Undefined until the upload POST arrives. */
  content?: Buffer;
  /** How the bytes arrived: a multipart form (what @slack/web-api sends) or a raw body. */
  uploadedAs?: 'multipart' | 'raw';
  completed: boolean;
  shares: { channel: string; ts: string; thread_ts?: string }[];
}

export interface LocalEphemeral {
  channel: string;
  user: string;
  message_ts: string;
  thread_ts?: string;
  text: string;
  blocks?: unknown[];
  /**
   * How it was sent: a Web API call, a response_url post, the app's answer to a slash command, or
   * Slackbot's error line when that answer failed (the last two are delivered by the web console).
   */
  via: 'chat.postEphemeral' | 'response_url' | 'command_reply' | 'slackbot';
}

/** One POST the bot made to a response_url, and what Slack did with it. */
export interface ResponseUrlPost {
  id: string;
  origin: 'slash_command' | 'block_actions';
  channel: string;
  user: string;
  /** The message the clicked button was on (block_actions only). */
  messageTs?: string;
  body: Record<string, unknown>;
  outcome: 'ephemeral' | 'in_channel' | 'replaced' | 'deleted' | 'rejected';
  error?: string;
}

/** Every Web API call, for tests that assert on what the bot asked for (tokens are not kept). */
export interface ApiCall {
  method: string;
  args: Record<string, unknown>;
  ok: boolean;
  error?: string;
}

export type SlackOk = { ok: true } & Record<string, unknown>;
export type SlackError = { ok: false; error: string; response_metadata?: { messages: string[] } };
export type SlackResult = SlackOk | SlackError;

export const slackError = (error: string, messages?: string[]): SlackError =>
  messages && messages.length > 0
    ? { ok: false, error, response_metadata: { messages } }
    : { ok: false, error };

/** A user group (`<!subteam^S…>` in mrkdwn); `users` are user ids. */
export interface LocalUserGroup {
  id: string;
  handle: string;
  name?: string;
  users: string[];
}

/** One Socket Mode WebSocket, from the upgrade to its close. */
export interface SocketConnection {
  id: number;
  openedAt: number;
  closedAt?: number;
  /** Set when the local Slack sent `{type: 'disconnect'}` on it. */
  disconnectReason?: string;
  /**
   * Who ended it: the app (its own close), a `disconnect` message followed by a close, an abrupt drop
   * (`dropConnections`), or the local Slack shutting down.
   */
  closedBy?: 'app' | 'disconnect' | 'drop' | 'shutdown';
  closeCode?: number;
}

/** One envelope sent over Socket Mode, and what became of it. */
export interface SocketEnvelope {
  envelopeId: string;
  type: 'slash_commands' | 'interactive';
  connection: number;
  sentAt: number;
  ackedAt?: number;
  /** What the ack carried (`{}` for a bare ack). */
  ackPayload?: unknown;
  /** Acked after Slack had stopped waiting: Slack drops such an ack, and so does the local Slack. */
  late?: boolean;
}

/** What the app answered to a slash command (HTTP body or Socket Mode ack payload), as Slack shows it. */
export interface CommandReply {
  channel: string;
  user: string;
  command: string;
  status: number;
  body: string;
  json?: unknown;
}
