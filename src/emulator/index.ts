/**
 * Local Slack workspace emulator: a Web API subset checked as strictly as Slack (Block Kit limits, scopes), delivery
 * of slash commands / interactions / events to the app over signed HTTP or Socket Mode (with Slack's event retries),
 * rate limits and fault injection, lasting state, a typed test driver, and a web page to use the bot without a
 * Slack app.
 */
export { BLOCK_LIMITS, blockErrors, viewFieldErrors } from './block-limits.js';
export type { ChannelView, UserDriver } from './client.js';
export { type AckBody, type DeliveryResult, SLACK_EVENT_RETRY_DELAYS_MS } from './deliver.js';
export { type FaultConfig, faultConfigSchema } from './faults.js';
export type { ClickTarget, InteractionResult } from './interactions.js';
export { METHOD_TIERS, type RateLimitConfig, rateLimitConfigSchema, TIERS } from './rate-limits.js';
export { grantedScopes, METHOD_SCOPES, missingScope } from './scopes.js';
export { createEmulator, type Emulator, type EmulatorOptions, type EmulatorStats } from './server.js';
export { computeSignature, signRequest } from './signing.js';
export { type DisconnectReason, type EnvelopeType, MAX_CONNECTIONS } from './socket-mode.js';
export type {
  Block,
  Bookmark,
  Channel,
  EphemeralMessage,
  Message,
  SlackFile,
  User,
  Usergroup,
  View,
} from './types.js';
export { channelNameError, METHODS } from './web-api.js';
export {
  defaultWorkspacePath,
  loadWorkspaceSeed,
  parseWorkspaceSeed,
  type WorkspaceSeed,
  type WorkspaceSeedInput,
  WorkspaceState,
  workspaceSeedSchema,
} from './workspace.js';
