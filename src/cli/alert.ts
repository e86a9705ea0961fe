import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { UserFacingError } from '../errors.js';
import { listDeadLetters } from '../store/alerts.js';
import { openDb } from '../store/db.js';
import { migrate } from '../store/migrate.js';

/** `incident-bot alert send FILE`: posts a sample Alertmanager payload, e.g. to try the bot locally. */
export function registerAlertCommand(program: Command): void {
  const alert = program
    .command('alert')
    .alias('alerts')
    .description('Work with alert webhooks (Alertmanager, Grafana, generic) and what they left behind.');
  alert
    .command('dead-letter')
    .alias('dead-letters')
    .description(
      'List alerts (or whole groups) that could not become an incident, newest first, with the reason and the raw alert as received.',
    )
    .option('-n, --limit <n>', 'how many to show', '20')
    .option('--since <time>', 'only those received at or after this time (ISO 8601, e.g. 2026-11-29T10:00Z)')
    .option('--json', 'one JSON object per line (id, receivedAt, sender, notificationId, reason, payload)')
    .addHelpText(
      'after',
      '\nReads the same store as serve (DATABASE_URL, or INCIDENT_BOT_DATA for the embedded one; stop serve first\n' +
        'when it uses the embedded store). The metric incident_bot_alert_dead_letters counts the rows.\n\n' +
        'Examples:\n  incident-bot alerts dead-letter\n  incident-bot alerts dead-letter --since 2026-11-29T00:00Z --json | jq .reason',
    )
    .action(async (opts: { limit: string; since?: string; json?: boolean }) => {
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1)
        throw new UserFacingError(`--limit must be a positive number, not "${opts.limit}".`);
      const since = opts.since ? new Date(opts.since) : null;
      if (since && Number.isNaN(since.getTime()))
        throw new UserFacingError(`--since must be a time like 2026-11-29T10:00Z, not "${opts.since}".`);
      const config = loadConfig();
      const db = await openDb({ databaseUrl: config.DATABASE_URL, dataDir: config.INCIDENT_BOT_DATA });
      try {
        await migrate(db);
        const rows = await listDeadLetters(db, { limit, since });
        if (opts.json) {
          for (const r of rows) console.log(JSON.stringify(r));
          return;
        }
        if (!rows.length) {
          console.log('No dead letters: every alert received became (part of) an incident.');
          return;
        }
        for (const r of rows) {
          const raw = JSON.stringify(r.payload);
          console.log(
            `#${r.id}  ${r.receivedAt.toISOString()}  ${r.sender}${r.notificationId ? `  notification ${r.notificationId}` : ''}\n` +
              `    reason: ${r.reason}\n    raw:    ${raw.length > 300 ? `${raw.slice(0, 300)}… (${raw.length} chars; --json for all)` : raw}`,
          );
        }
      } finally {
        await db.close();
      }
    });
  alert
    .command('send')
    .description('POST an Alertmanager webhook payload (JSON file, or - for stdin) to the bot.')
    .option('--sender <sender>', 'webhook to post to: alertmanager, grafana or generic', 'alertmanager')
    .argument('<file>', 'payload file, e.g. examples/alert-crashloop.json')
    .option('--url <url>', 'bot base URL or full webhook URL', `http://localhost:${process.env.PORT ?? 3000}`)
    .option('--token <token>', 'bearer token (default: ALERT_WEBHOOK_TOKEN)')
    .option('--resolve', 'send it as resolved (status and every alert)')
    .option('--json', "print the bot's JSON answer instead of a sentence")
    .addHelpText(
      'after',
      '\nExample:\n  incident-bot alert send examples/alert-crashloop.json --url http://localhost:3000',
    )
    .action(
      async (
        file: string,
        opts: { url: string; token?: string; resolve?: boolean; sender: string; json?: boolean },
      ) => {
        let text: string;
        try {
          text = file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8');
        } catch (err) {
          throw new UserFacingError(`cannot read ${file}: ${(err as Error).message}`);
        }
        let body: { status?: string; alerts?: { status?: string; endsAt?: string }[] };
        try {
          body = JSON.parse(text);
        } catch (err) {
          throw new UserFacingError(`${file} is not JSON: ${(err as Error).message}`);
        }
        if (opts.resolve) {
          body.status = 'resolved';
          for (const a of body.alerts ?? []) {
            a.status = 'resolved';
            a.endsAt = new Date().toISOString();
          }
        }
        if (!['alertmanager', 'grafana', 'generic'].includes(opts.sender))
          throw new UserFacingError(`--sender must be alertmanager, grafana or generic, not "${opts.sender}".`);
        const url = opts.url.includes('/alerts/') ? opts.url : `${opts.url.replace(/\/$/, '')}/alerts/${opts.sender}`;
        const token = opts.token ?? process.env.ALERT_WEBHOOK_TOKEN;
        let res: Response;
        try {
          res = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
            body: JSON.stringify(body),
          });
        } catch (err) {
          throw new UserFacingError(
            `cannot reach ${url}: ${(err as Error).message}. Is \`incident-bot serve\` running?`,
          );
        }
        const answer = await res.text();
        if (opts.json) console.log(answer);
        if (!res.ok) {
          let why = answer.slice(0, 300);
          try {
            why = (JSON.parse(answer) as { message?: string }).message ?? why;
          } catch {}
          throw new UserFacingError(`the bot answered HTTP ${res.status}: ${why}`);
        }
        if (!opts.json) {
          let parsed: SendAnswer = {};
          try {
            parsed = JSON.parse(answer) as SendAnswer;
          } catch {}
          console.log(describeSendAnswer(parsed, url.replace(/\/alerts\/.*$/, '')));
        }
      },
    );
}

/** The webhook's answer as the receiver sends it (fields this CLI words; others are ignored). */
export interface SendAnswer {
  incidents?: { id: number; created: boolean }[];
  /** Channel name by incident id (`#inc-2-api-is-down`), from bots that send it. */
  channels?: Record<string, string>;
  digest?: number;
  newAlerts?: number;
  resolvedAlerts?: number;
}

const n = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

/** "Opened INC-2 → #inc-2-api-is-down (http://localhost:3000/)", "Updated INC-1: 1 new alert", … Pure. */
export function describeSendAnswer(a: SendAnswer, baseUrl: string): string {
  const lines: string[] = [];
  const changes = [
    a.newAlerts ? n(a.newAlerts, 'new alert') : null,
    a.resolvedAlerts ? `${n(a.resolvedAlerts, 'alert')} resolved` : null,
  ].filter(Boolean);
  for (const inc of a.incidents ?? []) {
    const channel = a.channels?.[inc.id];
    if (inc.created)
      lines.push(
        channel
          ? `Opened INC-${inc.id} → ${channel} (${baseUrl}/)`
          : `Opened INC-${inc.id} → its channel is in ${baseUrl}/`,
      );
    else
      lines.push(`Updated INC-${inc.id}${changes.length ? `: ${changes.join(', ')}` : ' (nothing new: a redelivery)'}`);
  }
  if (a.digest) lines.push(`Added ${n(a.digest, 'alert')} to the digest in #incidents (no channel for info alerts)`);
  if (!lines.length) lines.push('Stored; no incident changed.');
  return lines.join('\n');
}
