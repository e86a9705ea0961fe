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
    .addHelpText(
      'after',
      '\nExample:\n  incident-bot alert send examples/alert-crashloop.json --url http://localhost:3000',
    )
    .action(async (file: string, opts: { url: string; token?: string; resolve?: boolean }) => {
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
      console.log(answer);
      if (!res.ok) throw new UserFacingError(`the bot answered HTTP ${res.status}`);
    });
}
