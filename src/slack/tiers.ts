/**
 * Slack's Web API rate limits, for the local workspace (emulator/rate-limits.ts enforces them) and for the
 * bot's own budget (slack/budget.ts keeps under them). Source: api.slack.com/apis/rate-limits and the tier
 * each method's reference page names; the burst sizes are ours (Slack allows short bursts, unpublished).
 */
/**
 * Slack's documented rate-limit tiers (requests per minute, per method per workspace per app).
 * Slack allows short bursts above these; the bucket capacity models that burst.
 */
export const TIERS = {
  1: { perMinute: 1, burst: 1 },
  2: { perMinute: 20, burst: 5 },
  3: { perMinute: 50, burst: 10 },
  4: { perMinute: 100, burst: 20 },
} as const;

export type Tier = keyof typeof TIERS;

/** Method → tier, from the Slack method reference. Unlisted methods fall back to Tier 3. */
export const METHOD_TIERS: Record<string, Tier | 'post'> = {
  'auth.test': 4,
  'team.info': 3,
  'conversations.create': 2,
  'conversations.info': 3,
  'conversations.invite': 3,
  'conversations.join': 3,
  'conversations.setTopic': 2,
  'conversations.setPurpose': 2,
  'conversations.archive': 2,
  'conversations.history': 3,
  'conversations.replies': 3,
  'conversations.list': 2,
  'conversations.members': 4,
  'conversations.open': 3,
  'chat.postMessage': 'post',
  'chat.update': 3,
  'chat.delete': 3,
  'chat.postEphemeral': 4,
  'chat.getPermalink': 4,
  'views.open': 4,
  'views.update': 4,
  'views.push': 4,
  'views.publish': 4,
  'users.info': 4,
  'users.list': 2,
  'users.lookupByEmail': 3,
  'usergroups.list': 2,
  'usergroups.users.list': 2,
  'pins.add': 2,
  'bookmarks.add': 2,
  'reactions.add': 3,
  'files.getUploadURLExternal': 4,
  'files.completeUploadExternal': 4,
};

/** chat.postMessage: about one message per second per channel, with a short burst. */
export const POST_MESSAGE = { perMinute: 60, burst: 3 };

/** Requests per minute and burst of a method, from its tier (unlisted methods: Tier 3). */
export function tierLimit(method: string): { perMinute: number; burst: number } {
  const tier = METHOD_TIERS[method] ?? 3;
  return tier === 'post' ? POST_MESSAGE : TIERS[tier];
}

/** The bucket a call counts against: per method, and per channel for chat.postMessage (as Slack counts). */
export function limitKey(method: string, channel?: string): string {
  return METHOD_TIERS[method] === 'post' && channel ? `${method}:${channel}` : method;
}
