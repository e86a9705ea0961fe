/**
 * Local Slack workspace emulator: a Web API subset, signed delivery of slash commands / interactions / events to the
 * app, rate limits and fault injection, a typed test driver, and a web page to use the bot without a Slack app.
 */
export type { ChannelView, UserDriver } from './client.js';
export type { AckBody, DeliveryResult } from './deliver.js';
export { type FaultConfig, faultConfigSchema } from './faults.js';
export type { ClickTarget, InteractionResult } from './interactions.js';
export { METHOD_TIERS, type RateLimitConfig, rateLimitConfigSchema, TIERS } from './rate-limits.js';
export { createEmulator, type Emulator, type EmulatorOptions, type EmulatorStats } from './server.js';
export { computeSignature, signRequest } from './signing.js';
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
