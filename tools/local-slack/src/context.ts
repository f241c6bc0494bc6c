import type { SlackStore } from './store.js';
import type { LocalMessage, SlackResult } from './types.js';

/** Who the bot is in this workspace, and where the server can be reached (for upload URLs). */
export interface Workspace {
  teamId: string;
  teamDomain: string;
  appId: string;
  botUserId: string;
  botId: string;
  botName: string;
  /** The legacy verification token Slack still puts in every payload. */
  verificationToken: string;
}

export interface ApiContext {
  store: SlackStore;
  workspace: Workspace;
  /** e.g. `http://127.0.0.1:PORT` (no trailing slash). */
  origin: () => string;
  /** A fresh Socket Mode URL with a one-time ticket (what apps.connections.open hands out). */
  socketUrl?: () => string;
}

export type ApiHandler = (args: Record<string, unknown>, ctx: ApiContext) => SlackResult;

/** A message as the Web API returns it: Slack's message objects carry no `channel` field. */
export function toSlackMessage(m: LocalMessage, teamId: string): Record<string, unknown> {
  const { channel: _channel, ...rest } = m;
  return { ...rest, team: teamId };
}
