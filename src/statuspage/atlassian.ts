import axios, { type AxiosInstance, type AxiosResponse, isAxiosError } from 'axios';
import type { Logger } from '../log.js';
import {
  type Component,
  ComponentStatus,
  incidentLogFields,
  type PublishResult,
  type StatusPageProvider,
  StatuspageError,
  StatusUpdate,
} from './provider.js';

export interface AtlassianOptions {
  apiKey: string;
  pageId: string;
  /** Default https://api.statuspage.io (tests point it at nock). */
  apiUrl?: string;
  timeoutMs?: number;
  logger: Logger;
}

/** Atlassian Statuspage REST API v1: create, then update, one public incident per bot incident. */
export class AtlassianStatuspage implements StatusPageProvider {
  readonly name = 'atlassian';
  private readonly http: AxiosInstance;

  constructor(private readonly opts: AtlassianOptions) {
    this.http = axios.create({
      baseURL: (opts.apiUrl ?? 'https://api.statuspage.io').replace(/\/+$/, ''),
      timeout: opts.timeoutMs ?? 10_000,
      headers: { Authorization: `OAuth ${opts.apiKey}`, 'Content-Type': 'application/json' },
      // Every status is handled below so axios errors (which carry the key in config) are never logged raw.
      validateStatus: () => true,
    });
  }

  async publish(input: StatusUpdate): Promise<PublishResult> {
    const u = StatusUpdate.parse(input);
    const page = encodeURIComponent(this.opts.pageId);
    const incident: Record<string, unknown> = {
      name: u.title,
      status: u.status,
      body: u.body,
      component_ids: u.components.map((c) => c.id),
      components: Object.fromEntries(u.components.map((c) => [c.id, c.status])),
    };
    if (u.impact) incident.impact_override = u.impact;
    const [method, path] = u.existingId
      ? (['patch', `/v1/pages/${page}/incidents/${encodeURIComponent(u.existingId)}`] as const)
      : (['post', `/v1/pages/${page}/incidents`] as const);
    const log = this.opts.logger.child({ provider: this.name, ...incidentLogFields(u.incidentRef), op: method });
    const data = await this.call(method, path, { incident }, log);
    const id = typeof data?.id === 'string' ? data.id : u.existingId;
    if (!id) throw new StatuspageError('Statuspage answered without an incident id; nothing was stored.', true);
    log.info({ statuspageId: id, status: u.status }, 'status page updated');
    return { id, url: typeof data?.shortlink === 'string' ? data.shortlink : null };
  }

  async components(): Promise<Component[]> {
    const page = encodeURIComponent(this.opts.pageId);
    const log = this.opts.logger.child({ provider: this.name, op: 'components' });
    const data = await this.call('get', `/v1/pages/${page}/components`, undefined, log);
    if (!Array.isArray(data)) return [];
    return data
      .filter((c) => c && typeof c.id === 'string' && !c.group)
      .map((c) => ({
        id: c.id,
        name: String(c.name ?? c.id),
        status: ComponentStatus.catch('operational').parse(c.status),
        description: c.description ?? null,
      }));
  }

  // biome-ignore lint/suspicious/noExplicitAny: Statuspage JSON is read defensively field by field.
  private async call(method: 'get' | 'post' | 'patch', path: string, body: unknown, log: Logger): Promise<any> {
    let res: AxiosResponse;
    try {
      res = await this.http.request({ method, url: path, data: body });
    } catch (err) {
      const code = isAxiosError(err) ? (err.code ?? 'network error') : String((err as Error)?.message ?? err);
      log.warn({ code }, 'status page unreachable');
      throw new StatuspageError(`Statuspage could not be reached (${code}); the update will be retried.`, true);
    }
    if (res.status >= 200 && res.status < 300) return res.data;
    const detail = errorText(res.data);
    log.warn({ status: res.status, detail }, 'status page call failed');
    if (res.status === 429 || res.status >= 500) {
      const after = Number(res.headers?.['retry-after']);
      throw new StatuspageError(
        `Statuspage is unavailable (HTTP ${res.status}${detail ? `: ${detail}` : ''}); the update will be retried.`,
        true,
        res.status,
        Number.isFinite(after) && after >= 0 ? after * 1000 : null,
      );
    }
    const hint =
      res.status === 401 || res.status === 403
        ? ' Check STATUSPAGE_API_KEY.'
        : res.status === 404
          ? ' Check STATUSPAGE_PAGE_ID and that the incident still exists.'
          : '';
    throw new StatuspageError(
      `Statuspage rejected the update (HTTP ${res.status}): ${detail || 'no reason given'}.${hint}`,
      false,
      res.status,
    );
  }
}

/** Statuspage errors come as `{ error: "..." }`, `{ error: ["...", ...] }` or `{ message }`. */
function errorText(data: unknown): string {
  if (typeof data === 'string') return data.slice(0, 300);
  if (!data || typeof data !== 'object') return '';
  const d = data as Record<string, unknown>;
  const e = d.error ?? d.errors ?? d.message;
  if (Array.isArray(e)) return e.map(String).join('; ').slice(0, 300);
  if (e && typeof e === 'object') return JSON.stringify(e).slice(0, 300);
  return e == null ? '' : String(e).slice(0, 300);
}
