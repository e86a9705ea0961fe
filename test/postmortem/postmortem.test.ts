import { afterAll, describe, expect, it } from 'vitest';
import { NotFoundError } from '../../src/errors.js';
import {
  acknowledge,
  assignRole,
  type Change,
  declare,
  type EventDraft,
  type Incident,
  postUpdate,
  setStatus,
} from '../../src/incidents/model.js';
import type { TimelineEvent } from '../../src/incidents/timeline.js';
import { exportIncident, loadExportInput, renderPostmortem } from '../../src/postmortem/index.js';
import { appendEvents, insertIncident, updateIncident } from '../../src/store/incidents.js';
import { backends, dropSchemas, freshDb } from '../helpers/db.js';
import { alert, at, userName } from '../statuspage/fixtures.js';
import { seedsPresent, seedTemplate } from '../statuspage/seed-templates.js';

afterAll(dropSchemas);

const SHA = 'a'.repeat(64);

/** A P1 walked through its life: declared, ack after 4 min, diagnostics, status changes, resolved after 42 min. */
function scripted(): { incident: Incident; events: TimelineEvent[] } {
  const events: EventDraft[] = [];
  let inc: Incident;
  const apply = (c: Change) => {
    inc = c.incident;
    events.push(...c.events);
  };
  apply(
    declare(
      {
        title: 'Checkout API is down',
        severity: 'P1',
        source: 'alert',
        declaredBy: null,
        labels: { service: 'checkout' },
        runbookSource: 'runbooks/checkout.md',
        runbookId: 'high-error-rate',
      },
      at(0),
    ),
  );
  inc = { ...inc!, id: 7, channelName: 'inc-7-checkout-api-is-down' };
  events.push({ kind: 'alert_fired', actor: null, at: at(0), text: 'HighErrorRate firing', data: {} });
  apply(acknowledge(inc, 'U0ALICE', at(4)));
  events.push({
    kind: 'diagnostic',
    actor: 'U0ALICE',
    at: at(6),
    text: 'Ran kubectl get pods',
    data: { command: 'kubectl get pods -n checkout', executor: 'kubernetes', ok: true, outputSha256: SHA },
  });
  events.push({
    kind: 'diagnostic',
    actor: 'U0BOB',
    at: at(8),
    text: 'Ran a query',
    data: {
      command: 'rate(http_requests_total{code=~"5.."}[5m])',
      executor: 'prometheus',
      ok: false,
      summary: 'Prometheus answered HTTP 503',
      // Older rows stored the hash of the empty output of a failed run; it is never shown.
      outputSha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    },
  });
  apply(setStatus(inc, 'identified', 'U0ALICE', at(10)));
  apply(assignRole(inc, 'comms', 'U0CAROL', 'U0ALICE', at(12)));
  apply(postUpdate(inc, 'Bad deploy | rolling back, thanks <@U0BOB>', 'U0CAROL', at(15)));
  apply(setStatus(inc, 'monitoring', 'U0ALICE', at(30)));
  apply(setStatus(inc, 'resolved', 'U0ALICE', at(42), 'Rolled back to v41'));
  return { incident: inc, events: events.map((e, i) => ({ ...e, id: i + 1 })) };
}

const alerts = [
  alert('HighErrorRate', {
    status: 'resolved',
    endsAt: at(35),
    labels: { alertname: 'HighErrorRate', service: 'checkout' },
  }),
];

describe('postmortem draft', () => {
  const { incident, events } = scripted();
  const md = renderPostmortem({ incident, events, alerts, template: null, now: at(60), userName });

  it('states the durations from the incident record', () => {
    expect(md).toContain('| Time to acknowledge | 4 min |');
    expect(md).toContain('| Time to mitigate | 30 min |');
    expect(md).toContain('| Time to resolve | 42 min |');
    expect(md).toContain(
      'P1 incident declared 2026-11-23 03:00 UTC (alert), resolved 2026-11-23 03:42 UTC after 42 min.',
    );
    expect(md).toContain('Resolution: Rolled back to v41');
  });

  it('lists participants with their roles, commander first', () => {
    const part = md.slice(md.indexOf('## Participants'), md.indexOf('## Alerts'));
    expect(part.trim().split('\n').slice(2)).toEqual([
      '- @alice (commander, acknowledged, ran diagnostics, resolved)',
      '- @carol (comms)',
      '- @bob (ran diagnostics)',
    ]);
  });

  it('tables the alerts and the diagnostics run', () => {
    expect(md).toContain(
      '| HighErrorRate | critical | resolved | 2026-11-23 03:00 UTC | 2026-11-23 03:35 UTC | service=checkout |',
    );
    expect(md).toContain('| 03:06 | `kubectl get pods -n checkout` | @alice | ok |');
    expect(md).toContain(
      '| 03:08 | `rate(http_requests_total{code=~"5.."}[5m])` | @bob | failed: Prometheus answered HTTP 503 |',
    );
    expect(md).not.toContain('e3b0c442');
  });

  it('writes the full timeline with UTC times, names for mentions and escaped pipes', () => {
    const tl = md.slice(md.indexOf('## Timeline'), md.indexOf('## Review'));
    expect(tl).toContain('| 03:00 | incident-bot | Declared P1: Checkout API is down |');
    expect(tl).toContain('| 03:04 | @alice | Acknowledged |');
    expect(tl).toContain('| 03:04 | @alice | @alice is commander |');
    expect(tl).toContain('| 03:10 | @alice | Status investigating → identified |');
    expect(tl).toContain('| 03:15 | @carol | Bad deploy \\| rolling back, thanks @bob |');
    expect(tl).toContain('| 03:42 | @alice | Resolved: Rolled back to v41 |');
    expect(tl.match(/^\| \d\d:\d\d \|/gm)).toHaveLength(events.length);
  });

  it('renders mentions as ids without a name lookup', () => {
    const plain = renderPostmortem({ incident, events, alerts, template: null, now: at(60) });
    expect(plain).toContain('- @U0ALICE (commander, acknowledged, ran diagnostics, resolved)');
    expect(plain).toContain('thanks @U0BOB');
  });

  it('ends with the default review sections as prompts when the runbook has none', () => {
    const review = md.slice(md.indexOf('## Review'));
    expect(review).toContain('### Root cause\n_[TODO: What caused the incident, and what allowed it to happen]_');
    expect(review).toContain(
      '### Action items\n- [ ] _[TODO: Action that prevents a repeat, with an owner and a due date]_',
    );
  });

  it('exports the record as JSON with the documented shape', () => {
    const json = JSON.parse(
      exportIncident({ incident, events, alerts, template: null, now: at(60), userName }, 'json'),
    );
    expect(Object.keys(json)).toEqual([
      'incident',
      'durations',
      'participants',
      'alerts',
      'timeline',
      'diagnostics',
      'followups',
    ]);
    expect(json.durations).toEqual({ toAcknowledge: 4, toMitigate: 30, toResolve: 42 });
    expect(json.incident).toMatchObject({ ref: 'INC-7', startedAt: '2026-11-23T03:00:00.000Z', status: 'resolved' });
    expect(json.participants[0]).toEqual({
      id: 'U0ALICE',
      name: 'alice',
      roles: ['commander', 'acknowledged', 'ran diagnostics', 'resolved'],
    });
    expect(json.timeline).toHaveLength(events.length);
    expect(json.diagnostics).toEqual([
      expect.objectContaining({ command: 'kubectl get pods -n checkout', ok: true, outputSha256: SHA }),
      expect.objectContaining({ executor: 'prometheus', ok: false, outputSha256: null }),
    ]);
  });

  it('keeps clicks and queued steps out of the timeline, says so, and lists follow-ups with owners', () => {
    const more = [
      ...events,
      {
        kind: 'click',
        actor: 'U0BOB',
        at: at(20),
        text: 'clicked statuspage',
        data: { actionId: 'incident_statuspage' },
      },
      {
        kind: 'statuspage',
        actor: 'U0BOB',
        at: at(21),
        text: 'queued',
        data: { phase: 'queued', status: 'identified' },
      },
      {
        kind: 'followup',
        actor: 'U0ALICE',
        at: at(50),
        text: '',
        data: { owner: 'U0BOB', text: 'Alert on 5xx ratio' },
      },
    ];
    const out = renderPostmortem({ incident, events: more, alerts, template: null, now: at(60), userName });
    const tl = out.slice(out.indexOf('## Timeline'), out.indexOf('## Review'));
    expect(tl).not.toContain('clicked');
    expect(tl).not.toContain('| queued |');
    expect(tl).toContain('2 clicks and queued steps left out');
    expect(tl).toContain('| 03:50 | @alice | follow-up for @bob: Alert on 5xx ratio |');
    expect(out).toContain(
      '## Follow-ups\n\n| Owner | Action item | Recorded |\n|---|---|---|\n| @bob | Alert on 5xx ratio | 03:50 by @alice |',
    );
  });
});

describe.skipIf(!seedsPresent)('seed post-incident templates', () => {
  it("fills seed 002's post-incident review and leaves the rest as prompts", async () => {
    const t = await seedTemplate('002', (s) => /Root Cause/.test(s) && /Action Items/.test(s));
    expect(t, 'seed 002 has a post-incident template').not.toBeNull();
    const { incident, events } = scripted();
    const md = renderPostmortem({ incident, events, alerts, template: t, now: at(60) });
    const review = md.slice(md.indexOf('## Review'));
    expect(review).toMatch(/^### Post-Incident Review: Checkout API is down$/m);
    expect(review).toMatch(/^\*\*Date\*\*: 2026-11-23$/m);
    expect(review).toMatch(/^\*\*Severity\*\*: Critical$/m);
    expect(review).toMatch(/^\*\*Duration\*\*: 42 min$/m);
    expect(review).toMatch(/^\*\*Services Affected\*\*: HighErrorRate$/m);
    expect(review).toMatch(/^#### Resolution\n\nRolled back to v41$/m);
    expect(review).toMatch(/^#### Summary\n\nP1 incident declared .* after 42 min\.$/m);
    // The template's sample timeline rows are replaced by a pointer to the real one.
    expect(review).toContain('_See the timeline, participants and alerts above._');
    expect(review).not.toMatch(/^\| 14:/m);
    // What only people know stays a visible prompt (no raw <...> that Markdown would swallow).
    expect(review).toMatch(/^#### Root Cause\n\n_\[TODO: [^\]]+\]_$/m);
    expect(review).not.toMatch(/<[A-Z][^>]*>/);
  });
});

// PostgreSQL when DATABASE_URL is set (faster to start), else PGlite.
describe('export from the store', () => {
  it('loads the incident and its timeline and names a missing incident', async () => {
    const db = await freshDb(backends.at(-1)!);
    const { incident, events } = scripted();
    const stored = (await insertIncident(db, { ...incident, groupKey: null }))!;
    await updateIncident(db, stored, { ...stored, ...incident, id: stored.id });
    await appendEvents(db, stored.id, events);
    const input = await loadExportInput(db, stored.id, { now: at(60), alerts: async () => alerts });
    const md = exportIncident(input, 'md');
    expect(md).toContain(`# Postmortem: INC-${stored.id} Checkout API is down`);
    expect(md).toContain('| Time to resolve | 42 min |');
    expect(md.match(/^\| \d\d:\d\d \|/gm)).toHaveLength(events.length + 2);
    await expect(loadExportInput(db, 9999, { now: at(60) })).rejects.toThrow(NotFoundError);
    await db.close();
  });
});
