import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { type WebSocket, WebSocketServer } from 'ws';
import type { AckBody, DeliveryResult } from './deliver.js';

/**
 * Socket Mode as Slack speaks it (https://api.slack.com/apis/socket-mode):
 * - `apps.connections.open` (app-level token) answers a single-use `url` (`wss://…/link/?ticket=…&app_id=…`);
 * - on connect Slack sends `{ type: "hello", num_connections, debug_info, connection_info }`;
 * - each request is an envelope `{ envelope_id, type, payload, accepts_response_payload, retry_attempt?, retry_reason? }`
 *   of type `events_api`, `slash_commands` or `interactive`;
 * - the app acknowledges with `{ envelope_id, payload? }` (the payload is what an HTTP ack body would be);
 * - Slack sends `{ type: "disconnect", reason: "warning" | "refresh_requested" | "link_disabled" }` before it
 *   closes a connection, and the app opens a new one; up to 10 connections at once, each envelope to one of them.
 */
export type EnvelopeType = 'events_api' | 'slash_commands' | 'interactive';

export type DisconnectReason = 'warning' | 'refresh_requested' | 'link_disabled';

/** Slack allows an app at most 10 open Socket Mode connections. */
export const MAX_CONNECTIONS = 10;
/** A `url` from apps.connections.open works once, for a short while. */
const TICKET_TTL_MS = 30_000;
/** Slack pings each connection; the client treats a silence longer than 30 s as a dead link. */
const PING_EVERY_MS = 10_000;

interface Connection {
  id: string;
  ws: WebSocket;
  ping: NodeJS.Timeout;
  closing: boolean;
}

interface Pending {
  resolve: (r: DeliveryResult) => void;
  timer: NodeJS.Timeout;
}

export interface SocketModeOptions {
  appId: string;
  ackTimeoutMs: number;
  logger: Logger;
  /** ws:// base of the emulator, e.g. ws://127.0.0.1:3000 (derived from its HTTP base URL). */
  baseUrl: () => string;
}

/** The emulator's side of Socket Mode: tickets, WebSocket connections, envelopes out and acks back. */
export class SocketModeHub {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 10 * 1024 * 1024 });
  private readonly tickets = new Map<string, number>();
  private readonly connections: Connection[] = [];
  private readonly pending = new Map<string, Pending>();
  private readonly waiters = new Set<() => void>();
  private next = 0;
  /** Connections ever opened (a reconnect counts again), for tests. */
  opened = 0;

  constructor(private readonly opts: SocketModeOptions) {}

  /** apps.connections.open: a single-use WebSocket URL. */
  openUrl(): string {
    const ticket = randomBytes(16).toString('hex');
    this.tickets.set(ticket, Date.now() + TICKET_TTL_MS);
    const ws = this.opts.baseUrl().replace(/^http/, 'ws');
    return `${ws}/link/?ticket=${ticket}&app_id=${this.opts.appId}`;
  }

  /** Upgrades `/link/?ticket=…`; returns false for other paths so the caller can refuse them. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(req.url ?? '/', 'http://emulator.local');
    if (url.pathname !== '/link/' && url.pathname !== '/link') return false;
    const ticket = url.searchParams.get('ticket') ?? '';
    const expires = this.tickets.get(ticket);
    this.tickets.delete(ticket);
    const live = this.connections.filter((c) => !c.closing).length;
    if (!expires || Date.now() > expires || live >= MAX_CONNECTIONS) {
      const why = !expires || Date.now() > expires ? 'invalid or used ticket' : 'too many connections';
      this.opts.logger.warn({ why }, 'emulator: Socket Mode connection refused');
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return true;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
    return true;
  }

  private accept(ws: WebSocket): void {
    const conn: Connection = {
      id: randomBytes(4).toString('hex'),
      ws,
      closing: false,
      ping: setInterval(() => ws.ping(), PING_EVERY_MS),
    };
    conn.ping.unref();
    this.connections.push(conn);
    this.opened++;
    ws.on('message', (data, isBinary) => {
      if (!isBinary) this.onAck(data.toString());
    });
    ws.on('close', () => this.drop(conn));
    ws.on('error', () => this.drop(conn));
    ws.send(
      JSON.stringify({
        type: 'hello',
        num_connections: this.live().length,
        debug_info: { host: `emulator-${conn.id}`, build_number: 1, approximate_connection_time: 18060 },
        connection_info: { app_id: this.opts.appId },
      }),
    );
    for (const w of [...this.waiters]) w();
  }

  private drop(conn: Connection): void {
    clearInterval(conn.ping);
    const i = this.connections.indexOf(conn);
    if (i >= 0) this.connections.splice(i, 1);
  }

  private live(): Connection[] {
    return this.connections.filter((c) => !c.closing && c.ws.readyState === c.ws.OPEN);
  }

  /** Open connections that take envelopes. */
  get connected(): number {
    return this.live().length;
  }

  private onAck(text: string): void {
    let msg: { envelope_id?: unknown; payload?: unknown };
    try {
      msg = JSON.parse(text) as typeof msg;
    } catch {
      this.opts.logger.warn('emulator: Socket Mode message is not JSON; ignored');
      return;
    }
    const id = typeof msg.envelope_id === 'string' ? msg.envelope_id : '';
    const p = this.pending.get(id);
    if (!p) return; // late or unknown ack: Slack ignores it too
    this.pending.delete(id);
    clearTimeout(p.timer);
    p.resolve({ status: 200, body: ackBody(msg.payload) });
  }

  /** Waits up to `ms` for a connection (an app reconnecting after a refresh), then picks one round-robin. */
  private async pick(ms: number): Promise<Connection | undefined> {
    const deadline = Date.now() + ms;
    for (;;) {
      const live = this.live();
      if (live.length) return live[this.next++ % live.length];
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(t);
          this.waiters.delete(done);
          resolve();
        };
        const t = setTimeout(done, left);
        this.waiters.add(done);
      });
    }
  }

  /**
   * Sends one envelope and waits for its ack (the ack's payload becomes the result body). No ack within the
   * ack timeout gives `operation_timeout`; no connection gives `dispatch_failed`, as users see it in Slack.
   */
  async send(
    type: EnvelopeType,
    payload: unknown,
    extra: { acceptsResponsePayload: boolean; retryAttempt?: number; retryReason?: string },
  ): Promise<DeliveryResult> {
    const conn = await this.pick(this.opts.ackTimeoutMs);
    if (!conn) {
      this.opts.logger.warn({ type }, 'emulator: no Socket Mode connection to deliver to');
      return { status: 0, body: '', error: 'dispatch_failed' };
    }
    const envelopeId = `${randomBytes(4).toString('hex')}-${randomBytes(2).toString('hex')}-${randomBytes(6).toString('hex')}`;
    const envelope: Record<string, unknown> = {
      envelope_id: envelopeId,
      payload,
      type,
      accepts_response_payload: extra.acceptsResponsePayload,
    };
    if (type === 'events_api') {
      envelope.retry_attempt = extra.retryAttempt ?? 0;
      envelope.retry_reason = extra.retryReason ?? '';
    }
    return new Promise<DeliveryResult>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(envelopeId);
        this.opts.logger.warn({ type, envelopeId }, 'emulator: Socket Mode envelope not acknowledged in time');
        resolve({ status: 0, body: '', error: 'operation_timeout' });
      }, this.opts.ackTimeoutMs);
      this.pending.set(envelopeId, { resolve, timer });
      conn.ws.send(JSON.stringify(envelope), (err) => {
        if (!err) return;
        this.pending.delete(envelopeId);
        clearTimeout(timer);
        resolve({ status: 0, body: '', error: 'dispatch_failed' });
      });
    });
  }

  /**
   * Asks every open connection to go away, as Slack does before it recycles a host (`warning`, then
   * `refresh_requested`): the message first, then the socket is closed after `graceMs` if the app has not.
   */
  disconnect(reason: DisconnectReason, graceMs = 1000): number {
    const live = this.live();
    for (const c of live) {
      c.closing = true;
      c.ws.send(JSON.stringify({ type: 'disconnect', reason, debug_info: { host: `emulator-${c.id}` } }));
      setTimeout(() => c.ws.terminate(), graceMs).unref();
    }
    return live.length;
  }

  async close(): Promise<void> {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.resolve({ status: 0, body: '', error: 'dispatch_failed' });
    }
    this.pending.clear();
    for (const c of [...this.connections]) {
      clearInterval(c.ping);
      c.ws.terminate();
    }
    this.connections.length = 0;
    for (const w of [...this.waiters]) w();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}

/** The ack payload as an HTTP ack body would be: `{}` and no payload are an empty ack. */
function ackBody(payload: unknown): AckBody {
  if (payload === undefined || payload === null) return '';
  if (typeof payload === 'object' && Object.keys(payload as object).length === 0) return '';
  return payload;
}
