/**
 * A tiny Bolt app wired to the emulator the way `incident-bot serve` does it (one HTTP server: the emulator's
 * routes plus Bolt's /slack/events), so tests prove the full loop without depending on the real bot.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, HTTPReceiver, LogLevel } from '@slack/bolt';
import { createEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator/index.js';

export const SIGNING_SECRET = 'test-signing-secret';
export const BOT_TOKEN = 'xoxb-emulator-test';
/** Callback ids of modals the test bot was told were closed (view_closed). */
export const closedViews: string[] = [];

export interface Loop {
  emulator: Emulator;
  app: App;
  url: string;
  close(): Promise<void>;
}

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 40);
}

/** A multi-step modal: step 1 pushes step 2, step 2 clears the stack or is updated to step 3. */
function wizardStep(n: number) {
  return {
    type: 'modal' as const,
    callback_id: `wizard_${n}`,
    notify_on_close: true,
    title: { type: 'plain_text' as const, text: `Step ${n}` },
    submit: { type: 'plain_text' as const, text: 'Next' },
    blocks: [
      {
        type: 'input',
        block_id: 'field',
        label: { type: 'plain_text' as const, text: `Field ${n}` },
        element: { type: 'plain_text_input', action_id: 'value' },
      },
    ],
  };
}

/** The test bot: declare an incident, acknowledge it, post an update through a modal, publish a home tab. */
function registerHandlers(app: App): void {
  app.command('/incident', async ({ command, ack, client, respond }) => {
    const [verb, severity, ...rest] = command.text.trim().split(/\s+/);
    if (verb === 'help') return void (await ack('Usage: /incident declare P1 <title>'));
    if (verb === 'slow') {
      await new Promise((r) => setTimeout(r, 600));
      return void (await ack());
    }
    if (verb === 'shout') {
      return void (await ack({ response_type: 'in_channel', text: `Shouting: ${[severity, ...rest].join(' ')}` }));
    }
    if (verb === 'wizard') {
      await ack();
      await client.views.open({ trigger_id: command.trigger_id, view: wizardStep(1) });
      return;
    }
    if (verb === 'pick') {
      await ack({
        text: 'Pick a severity',
        blocks: [
          {
            type: 'actions',
            block_id: 'pick',
            elements: [
              {
                type: 'static_select',
                action_id: 'pick_sev',
                options: ['P1', 'P2'].map((v) => ({ text: { type: 'plain_text', text: v }, value: v })),
              },
            ],
          },
        ],
      });
      return;
    }
    if (verb !== 'declare' || !/^P[1-5]$/.test(severity ?? '')) {
      return void (await ack({ response_type: 'ephemeral', text: 'Unknown command. Try `/incident help`.' }));
    }
    const title = rest.join(' ');
    await ack({ response_type: 'ephemeral', text: `Declaring ${severity}: ${title}…` });
    const created = await client.conversations.create({ name: `inc-${slug(title)}` });
    const channel = created.channel!.id!;
    await client.conversations.invite({ channel, users: command.user_id });
    await client.conversations.setTopic({ channel, topic: `${severity} — ${title}` });
    const posted = await client.chat.postMessage({
      channel,
      text: `${severity} incident declared: ${title}`,
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: `${severity}: ${title}` } },
        {
          type: 'section',
          block_id: 'summary',
          fields: [
            { type: 'mrkdwn', text: `*Severity*\n${severity}` },
            { type: 'mrkdwn', text: `*Declared by*\n<@${command.user_id}>` },
          ],
        },
        { type: 'divider' },
        {
          type: 'actions',
          block_id: 'incident_actions',
          elements: [
            {
              type: 'button',
              action_id: 'ack_incident',
              style: 'primary',
              text: { type: 'plain_text', text: 'Acknowledge' },
              value: 'ack',
            },
            {
              type: 'button',
              action_id: 'open_update',
              text: { type: 'plain_text', text: 'Post update' },
              value: channel,
            },
            {
              type: 'button',
              action_id: 'resolve',
              style: 'danger',
              text: { type: 'plain_text', text: 'Resolve' },
              confirm: {
                title: { type: 'plain_text', text: 'Resolve?' },
                text: { type: 'plain_text', text: 'Mark the incident resolved.' },
                confirm: { type: 'plain_text', text: 'Resolve' },
                deny: { type: 'plain_text', text: 'Cancel' },
              },
            },
          ],
        },
      ],
    });
    await client.pins.add({ channel, timestamp: posted.ts! });
    await client.chat.postMessage({ channel: '#incidents', text: `${severity} declared: ${title} in <#${channel}>` });
    await respond({ response_type: 'ephemeral', text: `Created <#${channel}>` });
  });

  app.action('ack_incident', async ({ ack, body, respond, client }) => {
    await ack();
    const b = body as { user: { id: string }; channel?: { id: string }; message?: { ts: string; blocks?: unknown[] } };
    await respond({
      response_type: 'ephemeral',
      replace_original: false,
      text: `Thanks <@${b.user.id}>, acknowledged.`,
    });
    await client.chat.update({
      channel: b.channel!.id,
      ts: b.message!.ts,
      text: 'acknowledged',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `Acknowledged by <@${b.user.id}>` } }],
    });
  });

  app.action('pick_sev', async ({ ack, body, respond }) => {
    await ack();
    const action = (body as { actions: { selected_option: { value: string } }[] }).actions[0]!;
    await respond({ replace_original: true, text: `Picked ${action.selected_option.value}` });
  });

  app.view('wizard_1', async ({ ack }) => {
    await ack({ response_action: 'push', view: wizardStep(2) });
  });
  app.view('wizard_2', async ({ ack, view }) => {
    const name = view.state.values.field!.value!.value;
    if (name === 'update') return void (await ack({ response_action: 'update', view: wizardStep(3) }));
    await ack({ response_action: 'clear' });
  });

  app.action('resolve', async ({ ack, respond }) => {
    await ack();
    await respond({ replace_original: true, text: 'Resolved ✅' });
  });

  app.action('open_update', async ({ ack, body, client }) => {
    await ack();
    const b = body as { trigger_id: string; actions: { value: string }[] };
    await client.views.open({
      trigger_id: b.trigger_id,
      view: {
        type: 'modal',
        callback_id: 'incident_update',
        private_metadata: b.actions[0]!.value,
        title: { type: 'plain_text', text: 'Incident update' },
        submit: { type: 'plain_text', text: 'Post' },
        blocks: [
          {
            type: 'input',
            block_id: 'status',
            label: { type: 'plain_text', text: 'Status' },
            element: {
              type: 'static_select',
              action_id: 'value',
              options: ['investigating', 'identified', 'monitoring'].map((v) => ({
                text: { type: 'plain_text', text: v },
                value: v,
              })),
            },
          },
          {
            type: 'input',
            block_id: 'summary',
            optional: true,
            label: { type: 'plain_text', text: 'Summary' },
            element: { type: 'plain_text_input', action_id: 'value', multiline: true },
          },
          {
            type: 'input',
            block_id: 'lead',
            optional: true,
            label: { type: 'plain_text', text: 'Lead' },
            element: { type: 'users_select', action_id: 'value' },
          },
        ],
      },
    });
  });

  app.view('incident_update', async ({ ack, view, client }) => {
    const v = view.state.values;
    const summary = v.summary!.value!.value;
    if (!summary) {
      await ack({ response_action: 'errors', errors: { summary: 'Please write a summary' } });
      return;
    }
    await ack();
    const status = v.status!.value!.selected_option?.value ?? 'unknown';
    const lead = v.lead!.value!.selected_user;
    await client.chat.postMessage({
      channel: view.private_metadata,
      text: `*${status}*: ${summary}${lead ? ` (lead <@${lead}>)` : ''}`,
    });
  });

  app.view({ type: 'view_closed', callback_id: 'wizard_1' }, async ({ ack }) => {
    closedViews.push('wizard_1');
    await ack();
  });

  app.event('app_home_opened', async ({ event, client }) => {
    await client.views.publish({
      user_id: event.user,
      view: {
        type: 'home',
        blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `Hello <@${event.user}>, no open incidents.` } }],
      },
    });
  });

  app.event('app_mention', async ({ event, client }) => {
    await client.chat.postMessage({ channel: event.channel, thread_ts: event.ts, text: 'I am here.' });
  });
}

/** Starts emulator + Bolt on one port, like `serve` does in local mode. */
export async function startLoop(opts: Partial<EmulatorOptions> = {}): Promise<Loop> {
  const emulator = createEmulator({ signingSecret: SIGNING_SECRET, botToken: BOT_TOKEN, ...opts });
  let receiver: HTTPReceiver | undefined;
  const server: Server = createServer((req, res) => {
    if (emulator.handle(req, res)) return;
    try {
      receiver!.requestListener(req, res);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  emulator.setBaseUrl(url);
  emulator.setEventsUrl(`${url}/slack/events`);
  receiver = new HTTPReceiver({ signingSecret: SIGNING_SECRET, endpoints: '/slack/events', logLevel: LogLevel.ERROR });
  const app = new App({
    token: BOT_TOKEN,
    receiver,
    logLevel: LogLevel.ERROR,
    deferInitialization: true,
    clientOptions: { slackApiUrl: emulator.apiUrl, retryConfig: { retries: 0 } },
  });
  await app.init(); // auth.test against the emulator, awaited so a fast close() leaves nothing in flight
  registerHandlers(app);
  return {
    emulator,
    app,
    url,
    async close() {
      await emulator.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
