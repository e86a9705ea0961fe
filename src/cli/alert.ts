import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { UserFacingError } from '../errors.js';

/** `incident-bot alert send FILE`: posts a sample Alertmanager payload, e.g. to try the bot locally. */
export function registerAlertCommand(program: Command): void {
  const alert = program.command('alert').description('Work with Alertmanager webhooks.');
  alert
    .command('send')
    .description('POST an Alertmanager webhook payload (JSON file, or - for stdin) to the bot.')
    .argument('<file>', 'payload file, e.g. examples/alert-crashloop.json')
    .option('--url <url>', 'bot base URL or full webhook URL', `http://localhost:${process.env.PORT ?? 3000}`)
    .option('--token <token>', 'bearer token (default: ALERT_WEBHOOK_TOKEN)')
    .option('--resolve', 'send it as resolved (status and every alert)')
    .option('--json', "print the bot's JSON answer instead of a sentence")
    .addHelpText(
      'after',
      '\nExample:\n  incident-bot alert send examples/alert-crashloop.json --url http://localhost:3000',
    )
    .action(async (file: string, opts: { url: string; token?: string; resolve?: boolean; json?: boolean }) => {
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
      const url = opts.url.includes('/alerts/') ? opts.url : `${opts.url.replace(/\/$/, '')}/alerts/alertmanager`;
      const token = opts.token ?? process.env.ALERT_WEBHOOK_TOKEN;
      let res: Response;
      try {
        res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
          body: JSON.stringify(body),
        });
      } catch (err) {
        throw new UserFacingError(`cannot reach ${url}: ${(err as Error).message}. Is \`incident-bot serve\` running?`);
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
    });
}

/** The webhook's answer as the receiver sends it (fields this CLI words; others are ignored). */
export interface SendAnswer {
  incidents?: { id: number; created: boolean }[];
  digest?: number;
  newAlerts?: number;
  resolvedAlerts?: number;
}

const n = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

/** "Opened INC-2 → open http://localhost:3000/ to see its channel", "Updated INC-1: 1 new alert", … Pure. */
export function describeSendAnswer(a: SendAnswer, baseUrl: string): string {
  const lines: string[] = [];
  const changes = [
    a.newAlerts ? n(a.newAlerts, 'new alert') : null,
    a.resolvedAlerts ? `${n(a.resolvedAlerts, 'alert')} resolved` : null,
  ].filter(Boolean);
  for (const inc of a.incidents ?? []) {
    if (inc.created) lines.push(`Opened INC-${inc.id} → its channel is in ${baseUrl}/`);
    else
      lines.push(`Updated INC-${inc.id}${changes.length ? `: ${changes.join(', ')}` : ' (nothing new: a redelivery)'}`);
  }
  if (a.digest) lines.push(`Added ${n(a.digest, 'alert')} to the digest in #incidents (no channel for info alerts)`);
  if (!lines.length) lines.push('Stored; no incident changed.');
  return lines.join('\n');
}
