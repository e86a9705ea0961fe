import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import nock from 'nock';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { openDb } from '../../src/store/db.js';
import { eventually, startTestBot, type TestBot } from '../helpers/bot.js';
import { backends, dropSchemas } from '../helpers/db.js';

afterAll(dropSchemas);

describe.each(backends)('status page and postmortem on %s', (backend) => {
  let t: TestBot;
  afterEach(async () => {
    await t?.close();
  });

  async function declared() {
    const alice = t.emulator.as('alice');
    await alice.slash('/incident', 'declare P1 Login failing');
    await t.settle();
    const inc = await t.bot.service.get(1);
    return { alice: alice.in(inc.channelId!), inc };
  }

  it('lets only the commander or comms publish, through compose, preview and publish', async () => {
    t = await startTestBot(backend);
    const { alice, inc } = await declared();
    // Nobody holds a role yet: erin is refused, and the refusal is on the timeline.
    const erin = t.emulator.as('erin').in(inc.channelId!);
    const denied = await erin.slash('/incident', 'statuspage');
    expect(JSON.stringify(denied.body)).toContain('Only the commander or comms lead of INC-1 can publish');
    expect((await t.bot.service.timeline(1)).some((e) => e.kind === 'denied' && e.actor === 'U0ERIN')).toBe(true);

    await alice.slash('/incident', 'ack');
    await alice.slash('/incident', 'statuspage');
    const compose = alice.openViews().at(-1)!;
    expect(compose.callback_id).toBe('statuspage_compose');
    const asked = (compose.blocks as { block_id?: string }[])
      .map((b) => b.block_id)
      .filter((id) => id?.startsWith('f:'));
    expect(asked).toContain('f:update');
    const preview = await alice.submitView('statuspage_compose', {
      status: { value: { type: 'static_select', selected_option: { value: 'identified' } } },
      'f:update': { value: { type: 'plain_text_input', value: 'We found a bad config push and are reverting it.' } },
    });
    expect(preview.status).toBe(200);
    const previewView = await t.emulator.waitFor(() =>
      alice.openViews().find((v) => v.callback_id === 'statuspage_publish'),
    );
    const body = JSON.stringify(previewView.blocks);
    expect(body).toContain('We found a bad config push and are reverting it.');
    expect(body).toContain('Login failing');
    await alice.submitView('statuspage_publish');
    await eventually(async () => expect((await t.bot.service.get(1)).statuspageIncidentId).toBeTruthy());
    await t.settle();
    const posted = t.emulator
      .channel(inc.channelId!)
      .messages()
      .map((m) => m.text)
      .join('\n');
    expect(posted).toContain('Status page incident created* (identified)');
    expect(
      t.emulator
        .channel('incidents')
        .messages()
        .map((m) => m.text)
        .join('\n'),
    ).toContain('INC-1');
    // A later status change offers the matching status-page update.
    await alice.slash('/incident', 'status monitoring');
    await t.settle();
    const offer = t.emulator
      .channel(inc.channelId!)
      .messages()
      .filter((m) => m.text.includes('status page still'));
    expect(offer).toHaveLength(1);
    expect(JSON.stringify(offer[0]!.blocks)).toContain('incident_statuspage');

    // Command changes hands while alice's preview is open: publishing is refused in the form, naming who can
    // by name (a modal error is plain text: no <@U…>, no emoji code).
    await alice.slash('/incident', 'statuspage');
    await alice.submitView('statuspage_compose', {
      'f:update': { value: { type: 'plain_text_input', value: 'Still reverting.' } },
    });
    await t.emulator.waitFor(() => alice.openViews().find((v) => v.callback_id === 'statuspage_publish'));
    await alice.slash('/incident', 'assign @bob commander');
    await t.settle();
    const refused = JSON.stringify((await alice.submitView('statuspage_publish')).body);
    expect(refused).toContain('"response_action":"errors"');
    expect(refused).toContain('ask @bob (commander)');
    expect(refused).not.toMatch(/<@U|:no_entry:/);
  });

  it('posts a postmortem draft as a file and exports it from the CLI', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ib-pm-'));
    const db = backend === 'pglite' ? await openDb({ dataDir: dir }) : undefined;
    t = await startTestBot(backend, {}, db ? { db } : {});
    const { alice, inc } = await declared();
    await alice.slash('/incident', 'ack');
    await alice.slash('/incident', 'update Reverted the auth config');
    await alice.slash('/incident', 'resolve Config reverted');
    await t.settle();
    const res = await alice.slash('/incident', 'postmortem');
    // The file in the channel is the answer; nothing private beside it.
    expect(res.body ?? '').toBe('');
    const file = await t.emulator.waitFor(() =>
      t.emulator
        .channel(inc.channelId!)
        .messages()
        .find((m) => (m as { files?: unknown[] }).files?.length),
    );
    expect(JSON.stringify(file)).toContain('inc-1-postmortem.md');
    if (backend !== 'pglite') return;
    await t.close();
    // The same store, read by the CLI.
    const run = promisify(execFile);
    const env = { ...process.env, INCIDENT_BOT_DATA: dir, DATABASE_URL: '', LOG_LEVEL: 'silent' };
    const md = await run(process.execPath, ['--import', 'tsx', 'src/main.ts', 'incidents', 'export', '1'], { env });
    expect(md.stdout).toContain('Login failing');
    expect(md.stdout).toContain('Reverted the auth config');
    const json = JSON.parse(
      (
        await run(
          process.execPath,
          ['--import', 'tsx', 'src/main.ts', 'incidents', 'export', 'INC-1', '--format', 'json'],
          { env },
        )
      ).stdout,
    );
    expect(json.incident.status).toBe('resolved');
    expect(json.durations.toResolve).toBeGreaterThanOrEqual(0);
    await expect(
      run(process.execPath, ['--import', 'tsx', 'src/main.ts', 'incidents', 'export', '99'], { env }),
    ).rejects.toMatchObject({
      stderr: expect.stringContaining('INC-99 does not exist'),
    });
    t = undefined as never;
  });

  it('uses the COMMUNICATION_TEMPLATE file when the runbook has no template', async () => {
    t = await startTestBot(backend, { COMMUNICATION_TEMPLATE: 'test/fixtures/templates/acme-status.md' });
    const { alice } = await declared();
    await alice.slash('/incident', 'ack');
    await alice.slash('/incident', 'statuspage');
    const compose = alice.openViews().at(-1)!;
    const asked = (compose.blocks as { block_id?: string }[])
      .map((b) => b.block_id)
      .filter((id) => id?.startsWith('f:'));
    expect(asked.length).toBeGreaterThan(0);
    const values: Record<string, Record<string, unknown>> = {};
    for (const id of asked)
      values[id!] = {
        value: { type: 'plain_text_input', value: id === 'f:update' ? 'Logins fail for some users.' : 'eu-west-1' },
      };
    await alice.submitView('statuspage_compose', values);
    const preview = await t.emulator.waitFor(() =>
      alice.openViews().find((v) => v.callback_id === 'statuspage_publish'),
    );
    const text = JSON.stringify(preview.blocks);
    expect(text).toContain('ACME Cloud status');
    expect(text).toContain('eu-west-1');
  });
});

describe('the public status-page draft of an alert incident', () => {
  const API = 'https://statuspage.e2e.example';
  const PAGE = 'pg7kq2lx';
  // GET /v1/pages/{page_id}/components as Statuspage answers it (a group and its children).
  const components = [
    {
      id: 'grp_web',
      page_id: PAGE,
      group_id: null,
      name: 'Web',
      description: null,
      status: 'operational',
      position: 1,
      showcase: true,
      only_show_if_degraded: false,
      automation_email: `component+grp_web@notifications.statuspage.io`,
      group: true,
      components: ['cmp_store', 'cmp_search'],
      created_at: '2026-01-05T10:00:00.000Z',
      updated_at: '2026-11-01T10:00:00.000Z',
      start_date: null,
    },
    ...[
      ['cmp_store', 'Online store'],
      ['cmp_search', 'Search'],
    ].map(([id, name], i) => ({
      id,
      page_id: PAGE,
      group_id: 'grp_web',
      name,
      description: null,
      status: 'operational',
      position: i + 2,
      showcase: true,
      only_show_if_degraded: false,
      automation_email: `component+${id}@notifications.statuspage.io`,
      group: false,
      created_at: '2026-01-05T10:00:00.000Z',
      updated_at: '2026-11-01T10:00:00.000Z',
      start_date: '2026-01-05',
    })),
  ];
  let t: TestBot;
  afterEach(async () => {
    await t?.close();
    nock.cleanAll();
    nock.enableNetConnect();
  });

  it('names only mapped components, and publishes exactly the preview', async () => {
    nock.disableNetConnect();
    nock.enableNetConnect(/127\.0\.0\.1|localhost/);
    nock(API).get(`/v1/pages/${PAGE}/components`).times(5).reply(200, components);
    let published: { incident: Record<string, unknown> } | undefined;
    nock(API)
      .post(`/v1/pages/${PAGE}/incidents`, (b) => {
        published = b;
        return true;
      })
      .reply(201, {
        id: 'sp_inc1',
        page_id: PAGE,
        name: 'Online store: service disruption',
        status: 'investigating',
        impact: 'critical',
        shortlink: 'https://stspg.io/sp_inc1',
        created_at: '2026-11-23T03:05:00.000Z',
        incident_updates: [{ id: 'upd1', status: 'investigating', body: 'x', incident_id: 'sp_inc1' }],
        components: [{ ...components[1], status: 'major_outage' }],
      });
    const mapping = { shop: 'Online store' };
    t = await startTestBot(backends.at(-1)!, {
      STATUSPAGE_API_KEY: 'e2e-key',
      STATUSPAGE_PAGE_ID: PAGE,
      STATUSPAGE_API_URL: API,
      STATUSPAGE_COMPONENTS: 'shop=Online store',
    });
    const payload = JSON.parse(readFileSync('examples/alert-crashloop.json', 'utf8'));
    await t.alert(payload);
    await t.settle();
    const inc = await t.bot.service.get(1);
    const alice = t.emulator.as('alice').in(inc.channelId!);
    await alice.slash('/incident', 'ack');
    await alice.slash('/incident', 'statuspage');
    const compose = alice.openViews().at(-1)!;
    expect(JSON.stringify(compose.blocks)).toContain(
      '"initial_options":[{"text":{"type":"plain_text","text":"Online store"',
    );
    await alice.submitView('statuspage_compose', {
      'f:eta': { value: { type: 'plain_text_input', value: 'within 30 minutes' } },
      'f:update': { value: { type: 'plain_text_input', value: 'Orders cannot be placed; we are restoring service.' } },
    });
    const preview = await t.emulator.waitFor(() =>
      alice.openViews().find((v) => v.callback_id === 'statuspage_publish'),
    );
    const shown = JSON.stringify(preview.blocks);
    // Every label and annotation value of the alert, unless it is a public component name, stays private.
    const a = payload.alerts[0];
    const internal = [...Object.values(a.labels), ...Object.values(payload.commonLabels), a.fingerprint, 'P1'].filter(
      (v) => !Object.values(mapping).includes(v as string),
    ) as string[];
    for (const v of new Set(internal)) expect(shown.toLowerCase(), v).not.toContain(v.toLowerCase());
    expect(shown).not.toContain(payload.commonAnnotations.summary);
    expect(shown).toContain('Online store: service disruption');
    expect(shown).toContain('Customers cannot use Online store.');
    expect(shown).toContain('Online store: major outage');
    await alice.submitView('statuspage_publish');
    await eventually(async () => expect((await t.bot.service.get(1)).statuspageIncidentId).toBe('sp_inc1'));
    expect(published?.incident).toMatchObject({
      name: 'Online store: service disruption',
      status: 'investigating',
      component_ids: ['cmp_store'],
      components: { cmp_store: 'major_outage' },
    });
    const body = String(published?.incident.body);
    for (const v of new Set(internal)) expect(body.toLowerCase(), v).not.toContain(v.toLowerCase());
    expect(body).toContain('Orders cannot be placed');
  });
});

describe('a postmortem worth keeping', () => {
  let t: TestBot;
  afterEach(async () => {
    await t?.close();
  });

  it('uses names, clean Markdown, decisions only, and lists follow-ups everywhere', async () => {
    t = await startTestBot(backends.at(-1)!);
    const alice = t.emulator.as('alice');
    await alice.slash('/incident', 'declare P2 Search returns errors');
    await t.settle();
    const inc = await t.bot.service.get(1);
    const inCh = alice.in(inc.channelId!);
    const say = async (text: string) => JSON.stringify((await inCh.slash('/incident', text)).body);
    await say('ack');
    await say('assign @bob comms');
    await say('update Restarted <pod> with <@U0BOB>; errors & timeouts dropping');
    // A follow-up is said once, in the channel, with its owner; nothing private.
    const lastLine = async () => {
      await t.settle();
      return t.emulator.channel(inc.channelId!).messages().at(-1)!.text;
    };
    expect(await say('followup @bob add an alert on search error ratio')).toBe('""');
    expect(await lastLine()).toContain(':pushpin: Follow-up for <@U0BOB> (recorded by <@U0ALICE>)');
    expect(await say('followup write the load-test plan')).toBe('""');
    expect(await lastLine()).toContain(':pushpin: Follow-up for <@U0ALICE>: write the load-test plan');
    expect(await say('followups')).toContain('2 follow-ups on INC-1');
    await say('resolve Restarted the search pods');
    await t.settle();
    await say('postmortem');
    const msg = await t.emulator.waitFor(() =>
      t.emulator
        .channel(inc.channelId!)
        .messages()
        .find((m) => (m as { files?: unknown[] }).files?.length),
    );
    const fileId = (msg as unknown as { files: { id: string }[] }).files[0]!.id;
    const md = String(t.emulator.state.files.get(fileId)!.content);
    expect(md).not.toMatch(/<@[UW]/);
    expect(md).not.toMatch(/&(lt|gt|amp);/);
    expect(md).not.toMatch(/@U0[A-Z]+/);
    expect(md).toContain('@alice');
    expect(md).toContain('Restarted <pod> with @bob; errors & timeouts dropping');
    expect(md).toMatch(/\| @bob \| add an alert on search error ratio \|/);
    expect(md).toMatch(/\| @alice \| write the load-test plan \|/);
    expect(md).not.toContain('clicked');
    // App Home lists bob's follow-up.
    const bob = t.emulator.as('bob');
    await bob.openHome();
    const home = await t.emulator.waitFor(() => bob.home());
    expect(JSON.stringify(home)).toContain('My follow-ups');
    expect(JSON.stringify(home)).toContain('add an alert on search error ratio');
    expect(JSON.stringify(home)).not.toContain('write the load-test plan');
  });
});
