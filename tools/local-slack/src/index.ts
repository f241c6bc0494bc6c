// A local stand-in for Slack, for tests and the demo: the subset of the Web API the bot calls, and
// slash commands and button clicks sent to the bot the way Slack sends them, signed over HTTP or as
// Socket Mode envelopes. It imports node:* and `ws` only (never @slack/*), so it is an independent
// check of the bot's Slack client, not a mirror of it.
export { LIMITS, validateBlocks } from './block-kit.js';
export type {
  CommandLogEntry,
  ConsoleAction,
  ConsoleActionContext,
  ConsoleExtras,
  ConsoleState,
} from './console/state.js';
export type { Workspace } from './context.js';
export type { ClickInput, SlashCommandInput } from './interactions.js';
export { type Mention, mentionsIn, PING_KINDS } from './mentions.js';
export type { RenderedText } from './rendered-texts.js';
export { createLocalSlack, type LocalSlack, type LocalSlackOptions } from './server.js';
export { type BotReply, type SendOptions, type SentRequest, signV0 } from './signing.js';
export type { SlackStore } from './store.js';
export type * from './types.js';
