import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { z } from 'zod';
import { formatZodIssues } from '../errors.js';
import { silentLogger } from '../log.js';
import { type ChannelView, channelView, type UserDriver, userDriver } from './client.js';
import { Deliverer } from './deliver.js';
import { type FaultConfig, FaultInjector, faultConfigSchema } from './faults.js';
import { BodyTooLargeError, parseApiBody, parseMultipart, readBody, sendJson, sendText } from './http.js';
import { Interactions } from './interactions.js';
import { WorkspaceFile } from './persist.js';
import { type RateLimitConfig, RateLimiter, rateLimitConfigSchema } from './rate-limits.js';
import { grantedScopes, missingScope } from './scopes.js';
import { type DisconnectReason, SocketModeHub } from './socket-mode.js';
import { renderPage } from './ui/page.js';
import { renderFragments } from './ui/render.js';
import { type ApiContext, callMethod } from './web-api.js';
import { loadWorkspaceSeed, type WorkspaceSeedInput, WorkspaceState } from './workspace.js';

export interface EmulatorOptions {
  signingSecret: string;
  /** The token the Web API accepts (Authorization: Bearer … or a `token` form field). */
  botToken: string;
  /** Where signed requests go, e.g. http://127.0.0.1:3000/slack/events; can be set later with setEventsUrl. */
  eventsUrl?: string;
  /** Public base URL when mounted into another server (e.g. http://localhost:3000); listen() sets it otherwise. */
  baseUrl?: string;
  /** YAML path or seed object; default: the shipped workspace.default.yml. */
  workspace?: string | WorkspaceSeedInput;
  rateLimits?: RateLimitConfig;
  faults?: FaultConfig;
  /**
   * Secret the `/_emulator/*` control endpoints require in the `X-Emulator-Token` header (with a JSON body for
   * POSTs), so a web page the developer opens cannot drive the workspace. Random when unset; the page embeds it.
   */
  controlToken?: string;
  /**
   * App-level token (xapp-…) that `apps.connections.open` accepts; enables Socket Mode. The bot token is refused
   * there (`not_allowed_token_type`), and the app token everywhere else, as on Slack.
   */
  appToken?: string;
  /** How requests reach the app: signed HTTP posts to eventsUrl (default), or Socket Mode envelopes. */
  delivery?: 'http' | 'socket';
  /** Delays before each redelivery of an unacknowledged event (default Slack's: 0, 1 min, 5 min). */
  eventRetryDelaysMs?: number[];
  /**
   * Bot scopes the workspace grants; a method needing another answers `missing_scope`. Default: the bot scopes
   * of slack-app-manifest.yml. `'all'` grants everything.
   */
  scopes?: readonly string[] | 'all';
  /**
   * JSON file that keeps channels, messages, App Homes and files across restarts (local mode: under
   * INCIDENT_BOT_DATA). Unset: the workspace lives in memory only.
   */
  persistPath?: string;
  /** Delete the file at persistPath and start from the seed. */
  resetWorkspace?: boolean;
  /**
   * Host names (besides IP literals, localhost and the base URL's host) the page and `/_emulator/*` answer to.
   * Any other Host header is refused, so a page on another domain that re-resolves its name to this machine
   * (DNS rebinding) cannot read the page and its token.
   */
  allowedHosts?: string[];
  /** How long Slack waits for the app's ack before telling the user "operation_timeout" (default 3000 ms). */
  ackTimeoutMs?: number;
  logger?: Logger;
}

export interface EmulatorStats {
  calls: Record<string, number>;
  rateLimited: number;
  faults: number;
}

export interface Emulator {
  /** Serves /api/*, /_emulator/*, /archives/* and the UI at /; returns false for anything else (e.g. /slack/events). */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /** Takes Socket Mode WebSocket upgrades (`/link/?ticket=…`); false for other paths. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** How requests reach the app now; switchable at runtime (tests run the same flow both ways). */
  delivery: 'http' | 'socket';
  /** Open Socket Mode connections. */
  socketConnections(): number;
  /** Socket Mode connections opened so far (reconnects count again). */
  socketConnectionsOpened(): number;
  /** Sends Slack's `disconnect` message to every Socket Mode connection and closes them; returns how many. */
  socketDisconnect(reason: DisconnectReason, graceMs?: number): number;
  /** Event redeliveries sent so far. */
  eventRetries(): number;
  /** Standalone server (tests); port 0 picks a free port. */
  listen(port?: number, host?: string): Promise<{ url: string }>;
  /** Base for Bolt's clientOptions.slackApiUrl, e.g. http://127.0.0.1:3000/api/ */
  readonly apiUrl: string;
  readonly baseUrl: string;
  setBaseUrl(url: string): void;
  setEventsUrl(url: string): void;
  as(user: string): UserDriver;
  channel(nameOrId: string): ChannelView;
  readonly state: WorkspaceState;
  /** What `/_emulator/*` callers send as `X-Emulator-Token` (see EmulatorOptions.controlToken). */
  readonly controlToken: string;
  setFaults(f: FaultConfig): void;
  setRateLimits(r: RateLimitConfig): void;
  /** The limits in force (enabled, clock scale, per method), read by the bot's Slack budget in local mode. */
  readonly rateLimits: Pick<RateLimiter, 'settings' | 'limitFor'>;
  stats(): EmulatorStats;
  /**
   * Resolves once the app has made no Web API call for `quietMs` (and none is in flight): the app works after its
   * ack, so this is how a test waits for "the bot is done reacting".
   */
  idle(quietMs?: number, timeoutMs?: number): Promise<void>;
  /** Resolves with the predicate's first truthy value, re-checked on every state change (the app acts after its ack). */
  waitFor<T>(predicate: () => T | undefined | null | false, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------------------
// /_emulator request bodies (validated: they come from tests, the page, or curl)

const slashBody = z.object({
  user: z.string().min(1),
  channel: z.string().default('#incidents'),
  command: z.string().min(1),
  text: z.string().default(''),
});
const clickBody = z.object({
  user: z.string().min(1),
  channel: z.string().default('#incidents'),
  actionId: z.string().min(1),
  blockId: z.string().optional(),
  messageTs: z.string().optional(),
  value: z.string().optional(),
  viewId: z.string().optional(),
});
const submitBody = z.object({
  user: z.string().min(1),
  viewId: z.string().min(1),
  values: z.record(z.record(z.unknown())).default({}),
});
const closeViewBody = z.object({ user: z.string().min(1), viewId: z.string().min(1) });
const sayBody = z.object({
  user: z.string().min(1),
  channel: z.string().default('#incidents'),
  text: z.string().min(1),
  threadTs: z.string().optional(),
});
const homeBody = z.object({ user: z.string().min(1) });

class BadRequest extends Error {}

function parseJsonBody<T extends z.ZodTypeAny>(schema: T, raw: Buffer): z.infer<T> {
  let data: unknown;
  try {
    data = raw.length ? JSON.parse(raw.toString('utf8')) : {};
  } catch {
    throw new BadRequest('body is not valid JSON');
  }
  const result = schema.safeParse(data);
  if (!result.success) throw new BadRequest(formatZodIssues(result.error.issues));
  return result.data;
}

/**
 * Why a `/_emulator/*` control request is refused, or undefined when it carries the token (and, for writes,
 * a JSON content type). Browsers cannot send a custom header cross-origin without a CORS preflight, which the
 * emulator never grants.
 */
function controlRefusal(req: IncomingMessage, method: string, token: string): string | undefined {
  const given = req.headers['x-emulator-token'];
  const sent = Buffer.from(typeof given === 'string' ? given : '');
  const want = Buffer.from(token);
  if (sent.length !== want.length || !timingSafeEqual(sent, want))
    return 'missing or wrong X-Emulator-Token header (printed at start-up, and embedded in the workspace page)';
  if (method !== 'GET' && method !== 'HEAD') {
    const ct = (req.headers['content-type'] ?? '').toLowerCase();
    if (!/^application\/json\b/.test(ct)) return 'content-type must be application/json';
  }
  return undefined;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function bearer(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  const m = h ? /^Bearer\s+(.+)$/i.exec(h) : null;
  return m?.[1]?.trim();
}

/** Creates an emulated Slack workspace; mount it with handle() or run it with listen(). */
export function createEmulator(opts: EmulatorOptions): Emulator {
  const logger = opts.logger ?? silentLogger;
  const state = new WorkspaceState(loadWorkspaceSeed(opts.workspace));
  const file = opts.persistPath ? new WorkspaceFile(opts.persistPath, state, logger) : undefined;
  file?.open(opts.resetWorkspace ?? false);
  const limiter = new RateLimiter(opts.rateLimits);
  const faults = new FaultInjector(opts.faults);
  let baseUrl = opts.baseUrl?.replace(/\/+$/, '') ?? '';
  let eventsUrl = opts.eventsUrl;
  let server: Server | undefined;
  const calls: Record<string, number> = {};
  let rateLimited = 0;
  let faultCount = 0;
  /** Responses held open by an injected timeout, so close() can end them. */
  const hanging = new Map<ServerResponse, NodeJS.Timeout>();
  /** Web API calls in progress and when the last one ended, for idle(). */
  const activity = { inFlight: 0, lastMs: 0 };

  const controlToken = opts.controlToken ?? randomBytes(16).toString('hex');

  const apiContext = (): ApiContext => ({ state, baseUrl });
  const ackTimeoutMs = opts.ackTimeoutMs ?? 3000;
  const hub = opts.appToken
    ? new SocketModeHub({ appId: state.bot.app_id, ackTimeoutMs, logger, baseUrl: () => baseUrl })
    : undefined;
  let delivery: 'http' | 'socket' = opts.delivery ?? 'http';
  if (delivery === 'socket' && !hub) throw new Error('emulator: Socket Mode delivery needs an appToken');
  const scopes = opts.scopes === 'all' ? 'all' : grantedScopes(opts.scopes);
  const deliverer = new Deliverer({
    signingSecret: opts.signingSecret,
    eventsUrl: () => eventsUrl,
    ackTimeoutMs,
    logger,
    socket: () => (delivery === 'socket' ? hub : undefined),
    loseAck: () => {
      const lost = faults.takeLostAck();
      if (lost) faultCount++;
      return lost;
    },
    eventRetryDelaysMs: opts.eventRetryDelaysMs ? () => opts.eventRetryDelaysMs! : undefined,
  });
  const interactions = new Interactions(state, deliverer, apiContext);

  /** When mounted without a configured base URL, learn it from the first request. */
  function learnBaseUrl(req: IncomingMessage): void {
    if (!baseUrl && req.headers.host) baseUrl = `http://${req.headers.host}`;
  }

  // -- Web API --------------------------------------------------------------------------------------------------

  async function webApi(
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    query: URLSearchParams,
  ): Promise<void> {
    const raw = await readBody(req);
    let args: Record<string, unknown>;
    try {
      args = { ...Object.fromEntries(query), ...parseApiBody(raw, req.headers['content-type']) };
    } catch {
      return sendJson(res, 200, { ok: false, error: 'invalid_json' });
    }
    calls[method] = (calls[method] ?? 0) + 1;

    const fault = faults.decide(method);
    if (fault.latencyMs > 0) await sleep(fault.latencyMs);
    if (fault.kind === 'error') {
      faultCount++;
      logger.debug({ method, status: fault.status }, 'emulator: injected error');
      return sendText(res, fault.status, 'Service Unavailable (injected by the emulator)');
    }
    if (fault.kind === 'timeout') {
      faultCount++;
      logger.debug({ method, afterMs: fault.afterMs }, 'emulator: injected timeout');
      const timer = setTimeout(() => {
        hanging.delete(res);
        res.destroy();
      }, fault.afterMs);
      hanging.set(res, timer);
      return;
    }

    const token = bearer(req) ?? (typeof args.token === 'string' ? args.token : undefined);
    if (!token) return sendJson(res, 200, { ok: false, error: 'not_authed' });
    const isAppToken = opts.appToken !== undefined && token === opts.appToken;
    if (method === 'apps.connections.open') {
      if (token === opts.botToken) return sendJson(res, 200, { ok: false, error: 'not_allowed_token_type' });
      if (!isAppToken || !hub) return sendJson(res, 200, { ok: false, error: 'invalid_auth' });
      return sendJson(res, 200, { ok: true, url: hub.openUrl() });
    }
    if (isAppToken) return sendJson(res, 200, { ok: false, error: 'not_allowed_token_type' });
    if (token !== opts.botToken) return sendJson(res, 200, { ok: false, error: 'invalid_auth' });
    const scopeError = scopes === 'all' ? undefined : missingScope(method, scopes);
    if (scopeError) {
      logger.warn({ method, needed: scopeError.needed }, 'emulator: missing_scope (not granted by the app manifest)');
      return sendJson(res, 200, scopeError);
    }

    // chat.postMessage is limited per channel; `#incidents` and its id share one bucket.
    const channelArg = typeof args.channel === 'string' ? args.channel : undefined;
    const channelKey =
      channelArg && method === 'chat.postMessage'
        ? (state.resolveChannel(channelArg)?.info.id ?? channelArg)
        : channelArg;
    const decision = limiter.check(method, channelKey);
    if (!decision.allowed) {
      rateLimited++;
      logger.debug({ method, retryAfter: decision.retryAfterSec }, 'emulator: rate limited');
      return sendJson(res, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(decision.retryAfterSec) });
    }

    const result = callMethod(method, args, apiContext());
    if (result.ok === false) logger.debug({ method, error: result.error }, 'emulator: api error');
    if (fault.kind === 'lost') {
      // The call acted; its answer never arrives.
      faultCount++;
      logger.debug({ method, ok: result.ok }, 'emulator: injected lost answer');
      res.destroy();
      return;
    }
    sendJson(res, 200, result);
  }

  // -- uploads and files ----------------------------------------------------------------------------------------

  async function upload(req: IncomingMessage, res: ServerResponse, fileId: string): Promise<void> {
    const stored = state.files.get(fileId);
    if (!stored) return sendText(res, 404, 'file not found');
    const raw = await readBody(req);
    const ct = req.headers['content-type'] ?? '';
    const parts = ct.includes('multipart/form-data') ? parseMultipart(raw, ct) : [];
    // WebClient sends multipart (field "body" or "file"); curl users may send the bytes as is.
    const content = parts.length ? (parts.find((p) => p.filename !== undefined) ?? parts[0]!).data : raw;
    stored.content = Buffer.from(content);
    stored.file.size = content.length;
    state.touch();
    sendText(res, 200, `OK - ${content.length}`);
  }

  function download(res: ServerResponse, fileId: string) {
    const stored = state.files.get(fileId);
    if (!stored?.content) return sendText(res, 404, 'file not found');
    res.writeHead(200, {
      'content-type': stored.file.mimetype === 'text/plain' ? 'text/plain; charset=utf-8' : 'application/octet-stream',
      'content-disposition': `inline; filename="${stored.file.name.replace(/[^\w.-]/g, '_')}"`,
      'x-content-type-options': 'nosniff',
    });
    res.end(stored.content);
  }

  // -- /_emulator control endpoints -----------------------------------------------------------------------------

  function snapshot() {
    return {
      version: state.version,
      team: state.team,
      bot: state.bot,
      users: [...state.users.values()],
      usergroups: [...state.usergroups.values()],
      channels: [...state.channels.values()].map((c) => ({
        ...state.channelInfo(c),
        members: [...c.members],
        pins: [...c.pins],
        bookmarks: c.bookmarks,
        messages: state.topLevel(c).map((m) => ({
          ...m,
          replies: m.reply_count ? state.thread(c, m.ts).slice(1) : undefined,
        })),
      })),
      ephemerals: Object.fromEntries(state.ephemerals),
      views: Object.fromEntries(state.modals),
      homes: Object.fromEntries(state.homes),
      stats: stats(),
    };
  }

  async function control(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    query: URLSearchParams,
  ): Promise<void> {
    const method = req.method ?? 'GET';
    // response_url, upload and file URLs are capabilities (unguessable ids), as on Slack; the app calls them
    // without the control token. Everything else needs the token, and POSTs need a JSON body: a cross-site
    // "simple request" (text/plain, no custom header) is refused before it is read.
    const capability = /^(response|upload|files)\//.test(path);
    if (!capability) {
      const refusal = controlRefusal(req, method, controlToken);
      if (refusal) {
        logger.warn({ path, origin: req.headers.origin, reason: refusal }, 'emulator: control request refused');
        return sendJson(res, 403, { ok: false, error: 'forbidden', detail: refusal });
      }
    }
    if (method === 'GET' && path === 'state') return sendJson(res, 200, snapshot());
    if (method === 'GET' && path === 'ui/render') {
      // The page polls often; only render when something changed since the version it already shows.
      const user = query.get('user') ?? 'alice';
      const since = Number(query.get('since') ?? -1);
      if (since === state.version && state.users.has(user)) return sendJson(res, 200, { unchanged: true });
      return sendJson(res, 200, renderFragments(state, user, query.get('channel') ?? '#incidents'));
    }
    const fileMatch = /^files\/([^/]+)(?:\/.*)?$/.exec(path);
    if (method === 'GET' && fileMatch) return download(res, fileMatch[1]!);
    if (method !== 'POST' && method !== 'PUT') return sendJson(res, 405, { ok: false, error: 'method_not_allowed' });

    const uploadMatch = /^upload\/([^/]+)$/.exec(path);
    if (uploadMatch) return upload(req, res, uploadMatch[1]!);
    const responseMatch = /^response\/([^/]+)$/.exec(path);
    const raw = await readBody(req);
    if (responseMatch) {
      const body = parseResponseUrlBody(raw, req.headers['content-type'] ?? '');
      const out = interactions.respond(responseMatch[1]!, body);
      return sendJson(res, out.status, out.body);
    }
    switch (path) {
      case 'slash': {
        const b = parseJsonBody(slashBody, raw);
        return sendJson(res, 200, await interactions.slash(b.user, b.channel, b.command, b.text));
      }
      case 'click': {
        const b = parseJsonBody(clickBody, raw);
        return sendJson(res, 200, await interactions.click(b.user, b.channel, b));
      }
      case 'submit': {
        const b = parseJsonBody(submitBody, raw);
        return sendJson(res, 200, await interactions.submitView(b.user, b.viewId, b.values));
      }
      case 'close-view': {
        const b = parseJsonBody(closeViewBody, raw);
        return sendJson(res, 200, (await interactions.closeView(b.user, b.viewId)) ?? { status: 200, body: '' });
      }
      case 'say': {
        const b = parseJsonBody(sayBody, raw);
        const { message, results } = await interactions.say(b.user, b.channel, b.text, b.threadTs);
        return sendJson(res, 200, { message, results });
      }
      case 'home': {
        const b = parseJsonBody(homeBody, raw);
        return sendJson(res, 200, await interactions.openHome(b.user));
      }
      case 'faults': {
        emulator.setFaults(parseJsonBody(faultConfigSchema, raw));
        return sendJson(res, 200, { ok: true, faults: faults.settings });
      }
      case 'rate-limits': {
        emulator.setRateLimits(parseJsonBody(rateLimitConfigSchema.partial(), raw));
        return sendJson(res, 200, { ok: true, rateLimits: limiter.settings });
      }
      default:
        return sendJson(res, 404, { ok: false, error: 'not_found' });
    }
  }

  // -- routing --------------------------------------------------------------------------------------------------

  async function route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const path = url.pathname;
    if (path.startsWith('/api/')) {
      activity.inFlight++;
      try {
        return await webApi(req, res, path.slice(5), url.searchParams);
      } finally {
        activity.inFlight--;
        activity.lastMs = Date.now();
      }
    }
    if (path.startsWith('/_emulator/')) return control(req, res, path.slice('/_emulator/'.length), url.searchParams);
    const permalink = /^\/archives\/([^/]+)\/p(\d+)$/.exec(path);
    if (permalink) {
      res.writeHead(302, { location: `/?channel=${encodeURIComponent(permalink[1]!)}` });
      res.end();
      return;
    }
    const f = renderFragments(
      state,
      url.searchParams.get('user') ?? 'alice',
      url.searchParams.get('channel') ?? '#incidents',
    );
    sendText(res, 200, renderPage(state, f, controlToken), 'text/html; charset=utf-8');
  }

  function owns(path: string, method: string): boolean {
    if (path.startsWith('/api/') || path.startsWith('/_emulator/') || path.startsWith('/archives/')) return true;
    return (path === '/' || path === '/index.html') && (method === 'GET' || method === 'HEAD');
  }

  /** The page and control endpoints answer only to IP literals, localhost and known names (see allowedHosts). */
  function hostAllowed(req: IncomingMessage): boolean {
    const raw = req.headers.host;
    if (!raw) return true;
    let name: string;
    try {
      name = new URL(`http://${raw}`).hostname.replace(/^\[|\]$/g, '').toLowerCase();
    } catch {
      return false;
    }
    if (isIP(name) || name === 'localhost' || name.endsWith('.localhost')) return true;
    const known = [baseUrl, ...(opts.allowedHosts ?? [])].map((h) => {
      try {
        return new URL(h.includes('://') ? h : `http://${h}`).hostname.toLowerCase();
      } catch {
        return h.toLowerCase();
      }
    });
    return known.includes(name);
  }

  function handle(req: IncomingMessage, res: ServerResponse): boolean {
    const url = new URL(req.url ?? '/', 'http://emulator.local');
    if (!owns(url.pathname, req.method ?? 'GET')) return false;
    learnBaseUrl(req);
    const guarded = !url.pathname.startsWith('/api/') && !/^\/_emulator\/(response|upload|files)\//.test(url.pathname);
    if (guarded && !hostAllowed(req)) {
      logger.warn({ host: req.headers.host, path: url.pathname }, 'emulator: request for an unknown host name refused');
      sendJson(res, 403, {
        ok: false,
        error: 'forbidden',
        detail: `host ${req.headers.host} is not this workspace's (use its IP or localhost, or set PUBLIC_URL)`,
      });
      return true;
    }
    route(req, res, url).catch((err: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (err instanceof BadRequest)
        return sendJson(res, 400, { ok: false, error: 'invalid_request', detail: err.message });
      if (err instanceof BodyTooLargeError) return sendJson(res, 413, { ok: false, error: 'request_too_large' });
      const message = err instanceof Error ? err.message : String(err);
      // Driver errors (unknown user/channel/button) are the caller's mistake; say what was wrong.
      if (message.startsWith('emulator:'))
        return sendJson(res, 400, { ok: false, error: 'invalid_request', detail: message });
      logger.error({ err }, 'emulator: request failed');
      sendJson(res, 500, { ok: false, error: 'internal_error', detail: message });
    });
    return true;
  }

  function stats(): EmulatorStats {
    return { calls: { ...calls }, rateLimited, faults: faultCount };
  }

  function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    return hub ? hub.handleUpgrade(req, socket, head) : false;
  }

  const emulator: Emulator = {
    handle,
    handleUpgrade,
    get delivery() {
      return delivery;
    },
    set delivery(d) {
      if (d === 'socket' && !hub) throw new Error('emulator: Socket Mode delivery needs an appToken');
      delivery = d;
    },
    socketConnections: () => hub?.connected ?? 0,
    socketConnectionsOpened: () => hub?.opened ?? 0,
    socketDisconnect: (reason, graceMs) => hub?.disconnect(reason, graceMs) ?? 0,
    eventRetries: () => deliverer.retriesSent,
    async listen(port = 0, host = '127.0.0.1') {
      server = createServer((req, res) => {
        if (!handle(req, res)) sendJson(res, 404, { ok: false, error: 'not_found' });
      });
      server.on('upgrade', (req, socket, head) => {
        if (!handleUpgrade(req, socket, head)) socket.destroy();
      });
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(port, host, () => resolve());
      });
      const addr = server.address() as AddressInfo;
      const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
      baseUrl = `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${addr.port}`;
      logger.info({ url: baseUrl }, 'emulator: local Slack workspace listening');
      return { url: baseUrl };
    },
    get apiUrl() {
      return `${baseUrl}/api/`;
    },
    get baseUrl() {
      return baseUrl;
    },
    setBaseUrl(url) {
      baseUrl = url.replace(/\/+$/, '');
    },
    setEventsUrl(url) {
      eventsUrl = url;
    },
    as: (user) => userDriver(state, interactions, user),
    channel(ref) {
      const rec = state.resolveChannel(ref);
      if (!rec) throw new Error(`emulator: unknown channel ${ref}`);
      return channelView(state, rec);
    },
    state,
    controlToken,
    setFaults: (f) => faults.configure(f),
    setRateLimits: (r) => limiter.configure(r),
    rateLimits: limiter,
    stats,
    async idle(quietMs = 100, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (activity.inFlight > 0 || deliverer.retriesPending > 0 || Date.now() - activity.lastMs < quietMs) {
        if (Date.now() > deadline) throw new Error(`emulator.idle: still busy after ${timeoutMs} ms`);
        await sleep(10);
      }
    },
    waitFor<T>(predicate: () => T | undefined | null | false, timeoutMs = 5000): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const check = (): boolean => {
          const v = predicate();
          if (!v) return false;
          cleanup();
          resolve(v);
          return true;
        };
        const unsubscribe = state.onChange(() => void check());
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`emulator.waitFor: condition not met within ${timeoutMs} ms`));
        }, timeoutMs);
        function cleanup() {
          unsubscribe();
          clearTimeout(timer);
        }
        check();
      });
    },
    async close() {
      file?.close();
      deliverer.cancelRetries();
      await hub?.close();
      for (const [res, timer] of hanging) {
        clearTimeout(timer);
        res.destroy();
      }
      hanging.clear();
      if (!server) return;
      const s = server;
      server = undefined;
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
  return emulator;
}

/** response_url posts are JSON; accept form-encoded `payload=` too, as Slack does. */
function parseResponseUrlBody(raw: Buffer, contentType: string): Record<string, unknown> {
  try {
    if (contentType.includes('application/x-www-form-urlencoded')) {
      const payload = new URLSearchParams(raw.toString('utf8')).get('payload');
      return payload ? (JSON.parse(payload) as Record<string, unknown>) : {};
    }
    const parsed: unknown = raw.length ? JSON.parse(raw.toString('utf8')) : {};
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  } catch {
    throw new BadRequest('response_url body is not valid JSON');
  }
}
