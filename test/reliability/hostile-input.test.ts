import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signRequest } from '../../src/emulator/signing.js';
import { amPayload, startTestBot, type TestBot } from '../helpers/bot.js';

const SECRET = 'hostile-input-secret';
const sandbox = mkdtempSync(join(tmpdir(), 'ib-hostile-'));
const SENTINEL = join(sandbox, 'pwned');

let t: TestBot;
beforeAll(async () => {
  t = await startTestBot('pglite', { SLACK_SIGNING_SECRET: SECRET, ALERT_MAX_BODY_BYTES: String(1024 * 1024) });
});
afterAll(async () => {
  await t?.close();
  rmSync(sandbox, { recursive: true, force: true });
});

async function healthy(): Promise<void> {
  const res = await fetch(`${t.bot.url}/healthz`);
  expect(res.status).toBe(200);
}

/** POSTs a raw body to the Alertmanager webhook; the bot must answer 200 or 4xx with a JSON error, never 5xx. */
async function postAlert(body: string): Promise<number> {
  const res = await fetch(`${t.bot.url}/alerts/alertmanager`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  const text = await res.text();
  if (res.status >= 500) throw new Error(`${res.status} for ${body.slice(0, 500)}: ${text}`);
  expect([200, 400, 413]).toContain(res.status);
  const json = JSON.parse(text) as { ok: boolean; error?: string };
  expect(json.ok).toBe(res.status === 200);
  if (res.status !== 200) expect(typeof json.error).toBe('string');
  return res.status;
}

// Strings Alertmanager would never send: control characters, RTL marks, odd dates, huge values, mrkdwn, shell.
// (NUL, lone surrogates and years outside 1..9999 have their own test below: the store cannot take them.)
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const storable = (s: string) => !s.includes('\u0000') && !LONE_SURROGATE.test(s);
const nasty = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 40 }).filter(storable),
  fc.constantFrom(
    '',
    ' ',
    '\u0001\u001f\u007f',
    '\u202e',
    '💥🔥',
    '0001-01-01T00:00:00Z',
    '9999-12-31T23:59:59Z',
    '2026-02-30T25:61:00Z',
    '<!channel>',
    '$(reboot)',
    'x'.repeat(5000),
  ),
);
const anyJson = fc.jsonValue({ maxDepth: 3 });
const labels = fc.dictionary(fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('alertname', 'severity')), nasty, {
  maxKeys: 5,
});
const date = fc.oneof(
  fc
    .date({ noInvalidDate: true, min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z') })
    .map((d) => d.toISOString()),
  fc.constantFrom('2026-11-23T03:00:00+05:30', '0001-01-01T00:00:00Z', '1969-12-31T23:59:59.999Z'),
  nasty,
);
const alert = fc.record(
  {
    status: fc.oneof(fc.constantFrom('firing', 'resolved'), nasty, anyJson),
    labels: fc.oneof(
      labels.map((l) => ({ alertname: 'Fuzz', ...l })),
      labels,
      anyJson,
    ),
    annotations: fc.oneof(labels, anyJson),
    startsAt: date,
    endsAt: date,
    generatorURL: fc.oneof(fc.webUrl(), nasty),
    fingerprint: fc.oneof(fc.stringMatching(/^[0-9a-f]{1,16}$/), nasty, anyJson),
  },
  { requiredKeys: [] },
);
/** Valid in shape, hostile in content: strange label values, dates, fingerprints, many alerts. */
const goodLabels = fc.dictionary(fc.constantFrom('severity', 'namespace', 'pod', 'team', 'job', 'x'), nasty, {
  maxKeys: 4,
});
const validish = fc.record({
  version: fc.constant('4'),
  groupKey: fc.oneof(fc.string({ maxLength: 30 }), nasty),
  status: fc.constantFrom('firing', 'resolved'),
  commonLabels: goodLabels,
  commonAnnotations: goodLabels,
  alerts: fc.array(
    fc.record(
      {
        status: fc.constantFrom('firing', 'resolved'),
        labels: fc
          .tuple(
            fc.oneof(
              fc.constantFrom('Fuzz', 'Fuzz2'),
              nasty.filter((s) => s.trim() !== ''),
            ),
            goodLabels,
          )
          .map(([alertname, l]) => ({ ...l, alertname })),
        annotations: goodLabels,
        startsAt: date.filter((d) => !Number.isNaN(Date.parse(d))),
        endsAt: date,
        fingerprint: fc.oneof(fc.stringMatching(/^[0-9a-f]{1,16}$/), nasty),
      },
      { requiredKeys: ['status', 'labels'] },
    ),
    { minLength: 1, maxLength: 3 },
  ),
});
/** A valid-looking payload with one field replaced by any JSON value. */
const oneFieldWrong = fc
  .tuple(
    validish,
    fc.constantFrom('version', 'groupKey', 'status', 'commonLabels', 'alerts', 'truncatedAlerts'),
    anyJson,
  )
  .map(([p, k, v]) => ({ ...p, [k]: v }));
/** Alertmanager-shaped payloads with wrong, missing or hostile fields. */
const wrong = fc.record(
  {
    version: fc.oneof(fc.constant('4'), anyJson),
    groupKey: fc.oneof(fc.string({ maxLength: 30 }), nasty, anyJson),
    truncatedAlerts: fc.oneof(fc.nat(), fc.integer(), fc.double(), anyJson),
    status: fc.oneof(fc.constantFrom('firing', 'resolved'), nasty),
    receiver: fc.oneof(fc.string(), anyJson),
    groupLabels: fc.oneof(labels, anyJson),
    commonLabels: fc.oneof(labels, anyJson),
    commonAnnotations: fc.oneof(labels, anyJson),
    externalURL: fc.oneof(fc.webUrl(), nasty),
    alerts: fc.oneof(fc.array(alert, { maxLength: 4 }), anyJson),
  },
  { requiredKeys: ['status', 'alerts'] },
);
const structured = fc.oneof(validish, oneFieldWrong, wrong);

interface Posted {
  user?: string;
  text?: string;
  blocks?: unknown;
}
function mrkdwnTexts(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(mrkdwnTexts);
  if (!node || typeof node !== 'object') return [];
  const o = node as Record<string, unknown>;
  const own = o.type === 'mrkdwn' && typeof o.text === 'string' ? [o.text] : [];
  return [...own, ...Object.values(o).flatMap(mrkdwnTexts)];
}

describe('hostile input', () => {
  it('answers fuzzed Alertmanager payloads with 200 or a 4xx JSON error, never a 5xx, and stays healthy', async () => {
    const statuses = new Map<number, number>();
    const tally = (s: number) => statuses.set(s, (statuses.get(s) ?? 0) + 1);
    await fc.assert(
      fc.asyncProperty(structured, async (p) => {
        tally(await postAlert(JSON.stringify(p)));
      }),
      { numRuns: 250, seed: Number(process.env.FUZZ_SEED ?? 20261123) },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          anyJson.map((j) => JSON.stringify(j) ?? 'null'),
          fc.string(),
        ),
        async (body) => {
          tally(await postAlert(body));
        },
      ),
      { numRuns: 100 },
    );
    // Both kinds of answer happened: the fuzzer reached the store, not only the validator.
    expect(statuses.get(200)).toBeGreaterThan(10);
    expect(statuses.get(400)).toBeGreaterThan(10);
    await healthy();
    await t.settle(30_000);
    await healthy();
  });

  it('keeps alerts with NUL characters, lone surrogates and out-of-range years instead of failing with 500', async () => {
    const base = amPayload([{ alertname: 'Unstorable', fingerprint: 'unstorable' }]);
    const alert = base.alerts[0]!;
    const cases: Record<string, unknown> = {
      'NUL in a label': { ...base, alerts: [{ ...alert, labels: { ...alert.labels, pod: 'a\u0000b' } }] },
      'NUL in the alertname': { ...base, alerts: [{ ...alert, labels: { ...alert.labels, alertname: '\u0000' } }] },
      'NUL in the receiver': { ...base, receiver: '\u0000' },
      'lone surrogate in a label': { ...base, alerts: [{ ...alert, labels: { ...alert.labels, pod: 'x\ud800y' } }] },
      'year 0 startsAt': { ...base, alerts: [{ ...alert, startsAt: '0000-01-01T00:00:00Z' }] },
      'year 10000 endsAt': { ...base, alerts: [{ ...alert, endsAt: '+010000-01-01T00:00:00.000Z' }] },
    };
    const answers: Record<string, number> = {};
    for (const [what, p] of Object.entries(cases)) {
      const res = await fetch(`${t.bot.url}/alerts/alertmanager`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(p),
      });
      answers[what] = res.status;
    }
    // A 5xx would make Alertmanager retry a notification that can never be stored, forever: they are
    // stored instead, with what PostgreSQL cannot hold replaced by U+FFFD.
    expect(Object.entries(answers).filter(([, s]) => s !== 200)).toEqual([]);
    const pods = await t.bot.db.query<{ pod: string }>(
      "SELECT payload->'alerts'->0->'labels'->>'pod' AS pod FROM alert_notifications WHERE payload->'alerts'->0->'labels'->>'alertname' = 'Unstorable'",
    );
    expect(pods.rows.map((r) => r.pod)).toEqual(expect.arrayContaining(['a\uFFFDb', 'x\uFFFDy']));
    await healthy();
  });

  it('refuses bodies over ALERT_MAX_BODY_BYTES (1 MiB here) with 413, declared or streamed', async () => {
    const big = JSON.stringify(
      amPayload([{ alertname: 'Big', annotations: { description: 'x'.repeat(1024 * 1024) } }]),
    );
    expect(await postAlert(big)).toBe(413);
    // Chunked, no content-length: the limit is enforced while reading.
    const chunks = [Buffer.from(big.slice(0, 600_000)), Buffer.from(big.slice(600_000))];
    const res = await fetch(`${t.bot.url}/alerts/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: new ReadableStream({
        pull(c) {
          const next = chunks.shift();
          if (next) c.enqueue(next);
          else c.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    await healthy();
  });

  it('does not open a second incident when the same notification is replayed', async () => {
    const p = amPayload([{ alertname: 'Replayed', fingerprint: 'replay-1' }], {
      groupKey: '{}:{alertname="Replayed"}',
    });
    const answers = await Promise.all(Array.from({ length: 20 }, () => postAlert(JSON.stringify(p))));
    expect(answers.every((s) => s === 200)).toBe(true);
    const r = await t.bot.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM incidents WHERE group_key LIKE \'%|{}:{alertname="Replayed"}\'',
    );
    expect(Number(r.rows[0]!.n)).toBe(1);
  });

  describe('signed Slack requests', () => {
    const slashBody = (user: string, text = 'help') =>
      new URLSearchParams({
        token: 'x',
        team_id: 'T0LOCAL',
        channel_id: t.emulator.state.resolveChannel('#incidents')!.info.id,
        channel_name: 'incidents',
        user_id: user,
        user_name: 'alice',
        command: '/incident',
        text,
        response_url: `${t.bot.url}/_emulator/response/none`,
        trigger_id: 'trig',
      }).toString();
    const send = (body: string, headers: Record<string, string>) =>
      fetch(`${t.bot.url}/slack/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body,
      });

    it('accepts a correctly signed, fresh slash command', async () => {
      const body = slashBody('U0ALICE');
      expect((await send(body, signRequest(SECRET, body))).status).toBe(200);
    });

    it('rejects a bad signature, a missing one, a request older than 5 minutes, and a forged user_id with 401', async () => {
      const body = slashBody('U0ALICE');
      expect((await send(body, signRequest('not-the-secret', body))).status).toBe(401);
      expect((await send(body, {})).status).toBe(401);
      const sixMinutesAgo = Math.floor(Date.now() / 1000) - 6 * 60;
      expect((await send(body, signRequest(SECRET, body, sixMinutesAgo))).status).toBe(401);
      // A captured request replayed with someone else's user_id: the signature no longer matches.
      const headers = signRequest(SECRET, body);
      expect((await send(body.replace('user_id=U0ALICE', 'user_id=U0BOB'), headers)).status).toBe(401);
      await healthy();
    });
  });

  it('escapes mrkdwn mentions and links from alert labels and user text, and runs nothing from them', async () => {
    const evil = {
      alertname: 'DiskFull<!channel>',
      labels: {
        namespace: '<!channel>',
        pod: '<@U0BOB>',
        service: `svc; touch ${SENTINEL}`,
        instance: `$(touch ${SENTINEL})`,
        job: `\`touch ${SENTINEL}\``,
        link: '<https://evil.example|click here>',
        here: '<!here> <!subteam^S0COMMS>',
      },
      annotations: {
        summary: 'Disk <!channel> full <@U0BOB> <https://evil.example|click>',
        description: `<!here> $(touch ${SENTINEL}) && rm -rf / <@U0BOB>`,
      },
      fingerprint: 'evil-1',
    };
    expect(await postAlert(JSON.stringify(amPayload([evil], { groupKey: '{}:{alertname="evil"}' })))).toBe(200);
    await postAlert(
      JSON.stringify(
        amPayload([evil, { ...evil, fingerprint: 'evil-2', labels: { ...evil.labels, pod: '<@U0BOB|bob>' } }], {
          groupKey: '{}:{alertname="evil"}',
        }),
      ),
    );
    const alice = t.emulator.as('alice');
    await alice.slash('/incident', 'declare P2 <!channel> payments <@U0BOB> <https://evil.example|x>');
    await t.settle(30_000);
    const inc = (await t.bot.service.listOpen()).find((i) => i.title.includes('payments'))!;
    await alice.in(inc.channelId!).slash('/incident', 'update <!channel> rolled back <@U0BOB> `rm -rf /` $(reboot)');
    await t.settle(30_000);

    const state = (await (
      await fetch(`${t.bot.url}/_emulator/state`, { headers: { 'x-emulator-token': t.emulator.controlToken } })
    ).json()) as {
      channels: { messages: (Posted & { subtype?: string; replies?: Posted[] })[] }[];
    };
    // What Slack renders as mrkdwn: each message's text and every mrkdwn text object in its blocks
    // (plain_text and channel topic/purpose are shown literally).
    const posted: string[] = [];
    for (const c of state.channels)
      for (const m of c.messages) {
        if (m.user !== 'U0BOT' || m.subtype) continue;
        for (const x of [m, ...(m.replies ?? [])]) posted.push(x.text ?? '', ...mrkdwnTexts(x.blocks));
      }
    const all = posted.join('\n');
    // The hostile strings reached Slack (escaped), so the check below is about something.
    expect(all).toContain('&lt;!channel&gt;');
    expect(all).toContain('&lt;@U0BOB&gt;');
    for (const raw of ['<!channel>', '<!here>', '<@U0BOB>', '<@U0BOB|bob>', '<https://evil', '<!subteam^S0COMMS>'])
      expect(all, `posted text contains a raw ${raw}`).not.toContain(raw);
    expect(existsSync(SENTINEL)).toBe(false);
    await healthy();
  });
});
