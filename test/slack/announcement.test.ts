/**
 * The announcement as data in, Block Kit out (pure): what it says open, acknowledged and resolved, the storm line,
 * and which changes ask for an edit.
 */
import { describe, expect, it } from 'vitest';
import { blockErrors } from '../../src/emulator/block-limits.js';
import { AnnouncementStorm, announcementChanged } from '../../src/incidents/announcement.js';
import { declare, type Incident } from '../../src/incidents/model.js';
import { renderAnnouncement, stormLine } from '../../src/slack/render/messages.js';

const t0 = new Date('2026-11-23T03:00:00Z');
const at = (min: number) => new Date(t0.getTime() + min * 60_000);
const inc = (over: Partial<Incident> = {}): Incident => ({
  ...declare({ title: 'Checkout <api> & payments down', severity: 'P2', source: 'alert' }, t0).incident,
  id: 7,
  channelId: 'C0INC7',
  ...over,
});
const body = (m: { blocks: unknown[] }) => JSON.stringify(m.blocks);

describe('renderAnnouncement', () => {
  it('shows an open incident: severity, escaped title, channel, status, commander, not acknowledged, start', () => {
    const m = renderAnnouncement(inc());
    expect(m.text).toBe('INC-7 P2: Checkout &lt;api&gt; &amp; payments down · investigating');
    expect(body(m)).toContain(
      ':large_orange_circle: *INC-7 · P2* Checkout &lt;api&gt; &amp; payments down — join <#C0INC7>',
    );
    expect(body(m)).toContain('Commander: _unassigned_');
    expect(body(m)).toContain('Not acknowledged yet');
    expect(body(m)).toContain(`<!date^${t0.getTime() / 1000}^`);
    expect(body(m)).toContain('Declared by an alert');
    expect(body(m)).toContain('"block_id":"announce:7"');
  });

  it('says who acknowledged and after how long, then once resolved how long it took', () => {
    const acked = inc({ ackedAt: at(3), ackedBy: 'U0BOB', commander: 'U0BOB', status: 'identified' });
    expect(body(renderAnnouncement(acked))).toContain('Acknowledged by <@U0BOB> after 3 min');
    expect(body(renderAnnouncement(acked))).toContain(':dart: Identified · Commander: <@U0BOB>');
    const done = renderAnnouncement({ ...acked, status: 'resolved', resolvedAt: at(42) });
    expect(done.text).toBe('INC-7 P2: Checkout &lt;api&gt; &amp; payments down · resolved after 42 min');
    expect(body(done)).toContain(
      ':white_check_mark: *INC-7 · P2* Checkout &lt;api&gt; &amp; payments down — resolved after 42 min · <#C0INC7>',
    );
    expect(body(done)).not.toContain('Acknowledged');
    expect(body(renderAnnouncement({ ...acked, status: 'resolved', resolvedAt: at(90) }))).toContain(
      'resolved after 1 h 30 min',
    );
    // Within a second: a number, never "resolved after " with nothing.
    expect(renderAnnouncement({ ...acked, status: 'resolved', resolvedAt: t0 }).text).toMatch(/resolved after 0 min$/);
  });

  it('says what a storm covers when given one, and stays within Slack limits', () => {
    const storm = AnnouncementStorm.parse({ groups: 120, cluster: 'prod-eu', namespaces: ['shop'] });
    const m = renderAnnouncement(inc(), { storm });
    expect(body(m)).toContain(':thunder_cloud_and_rain: Storm: 120 alert groups in cluster prod-eu / namespace shop');
    expect(m.text).toContain('· Storm: 120 alert groups in cluster prod-eu / namespace shop');
    const huge = renderAnnouncement(inc({ title: '<&>'.repeat(66) }), {
      storm: {
        groups: 10_000,
        cluster: '<&>'.repeat(300),
        namespaces: Array.from({ length: 500 }, () => 'x'.repeat(60)),
      },
    });
    expect(blockErrors(huge.blocks, 50)).toEqual([]);
  });
});

describe('stormLine', () => {
  it('names the cluster and one namespace, several namespaces, or the cluster alone', () => {
    expect(stormLine({ groups: 1, cluster: 'prod', namespaces: ['a'] })).toBe(
      'Storm: 1 alert group in cluster prod / namespace a',
    );
    expect(stormLine({ groups: 3, cluster: 'prod', namespaces: ['a', 'b', 'c'] })).toBe(
      'Storm: 3 alert groups in cluster prod / 3 namespaces (a, b, c)',
    );
    expect(stormLine({ groups: 40, cluster: 'prod', namespaces: ['a', 'b', 'c', 'd', 'e', 'f'] })).toBe(
      'Storm: 40 alert groups in cluster prod / 6 namespaces (a, b, c, d, e, …)',
    );
    expect(stormLine({ groups: 9, cluster: 'prod', namespaces: [] })).toBe('Storm: 9 alert groups in cluster prod');
    expect(stormLine({ groups: 9, cluster: '', namespaces: ['<ns>'] })).toBe(
      'Storm: 9 alert groups in namespace &lt;ns&gt;',
    );
  });
});

describe('announcementChanged', () => {
  it('is true for what the announcement shows, false for the rest', () => {
    const a = inc();
    expect(announcementChanged(a, { ...a, severity: 'P1' })).toBe(true);
    expect(announcementChanged(a, { ...a, commander: 'U0BOB' })).toBe(true);
    expect(announcementChanged(a, { ...a, status: 'monitoring' })).toBe(true);
    expect(announcementChanged(a, { ...a, ackedAt: at(1), ackedBy: 'U0BOB' })).toBe(true);
    expect(announcementChanged(a, { ...a, resolvedAt: at(5), status: 'resolved' })).toBe(true);
    expect(announcementChanged(a, { ...a, ackedAt: at(1) })).toBe(true);
    // Dates compare by value, not identity.
    const acked = { ...a, ackedAt: at(1) };
    expect(announcementChanged(acked, { ...acked, ackedAt: at(1) })).toBe(false);
    expect(announcementChanged(a, { ...a, summary: 'x', lastUpdateAt: at(2), scribe: 'U0ERIN' })).toBe(false);
    expect(announcementChanged(a, { ...a, alertsResolvedAt: at(2) })).toBe(false);
  });
});
