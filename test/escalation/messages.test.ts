import { describe, expect, it } from 'vitest';
import { reminderDraft } from '../../src/escalation/schedule.js';
import { clockOrigin, describeTimers, pingText, renderPing } from '../../src/slack/render/escalation.js';

const T0 = new Date('2026-01-05T10:00:00Z');
const at = (min: number) => new Date(T0.getTime() + min * 60_000);

describe('escalation messages', () => {
  it('pings the resolved targets with the runbook text, and says when it fired late', () => {
    const ping = {
      timerId: 1,
      kind: 'escalate',
      incidentLabel: 'INC-42',
      words: 'Root cause not identified within 15 minutes',
      mentions: [{ kind: 'usergroup' as const, id: 'S1' }],
      unknownTargets: [],
      dueAt: at(15).toISOString(),
      late: false,
      snoozed: false,
      actions: [],
      snoozeMinutes: 10,
    };
    expect(pingText(ping)).toBe(
      ':rotating_light: INC-42 Escalation → <!subteam^S1>: Root cause not identified within 15 minutes',
    );
    expect(pingText({ ...ping, mentions: [], late: true })).toBe(
      ':rotating_light: INC-42 Escalation: Root cause not identified within 15 minutes _(fired late: it was due at 10:15 UTC)_',
    );
    expect(
      pingText({
        ...ping,
        mentions: [
          { kind: 'user', id: 'U1' },
          { kind: 'usergroup', handle: 'sre<x>' },
        ],
        words: 'Down >30 min',
      }),
    ).toBe(':rotating_light: INC-42 Escalation → <@U1> @sre&lt;x&gt;: Down &gt;30 min');
  });

  it('keeps emoji codes and mentions whole in the notification text, without bold or italic marks', () => {
    const msg = renderPing(
      {
        timerId: 2,
        kind: 'escalate',
        incidentLabel: 'INC-42',
        words: 'No root cause',
        mentions: [{ kind: 'usergroup', id: 'S_ONE' }],
        unknownTargets: [],
        dueAt: at(15).toISOString(),
        late: true,
        snoozed: false,
        actions: [],
        snoozeMinutes: 10,
      },
      false,
    );
    expect(msg.text).toBe(
      ':rotating_light: INC-42 Escalation → <!subteam^S_ONE>: No root cause (fired late: it was due at 10:15 UTC)',
    );
  });

  it('posts a ping queued before pings were data as it was written', () => {
    const legacy = {
      timerId: 1,
      kind: 'escalate',
      text: ':rotating_light: INC-7 Escalation → <!subteam^S1>: old words',
      mentions: ['<!subteam^S1>'],
      unknownTargets: [],
      late: false,
      actions: [],
      snoozeMinutes: 10,
    };
    expect(pingText(legacy)).toBe(legacy.text);
    expect(renderPing(legacy, false).blocks).toEqual([
      { type: 'section', text: { type: 'mrkdwn', text: legacy.text } },
    ]);
  });

  it('lists pending timers soonest first, then fired and cancelled ones', () => {
    const lines = describeTimers(
      [
        {
          kind: 'acknowledge',
          dueAt: at(5),
          status: 'fired',
          firedAt: at(5),
          late: true,
          target: null,
          text: 'Ack within 5',
          source: 'default',
        },
        {
          kind: 'escalate',
          dueAt: at(30),
          status: 'pending',
          target: 'Engineering Lead',
          text: 'Down >30 min',
          source: 'section',
        },
        {
          kind: 'escalate',
          dueAt: at(15),
          status: 'pending',
          target: 'Senior Engineer',
          text: 'No root cause',
          source: 'section',
        },
        { kind: 'resolve', dueAt: at(60), status: 'cancelled', target: null, text: 'Resolve within 1 h' },
      ],
      at(8),
      (t) => (t === 'Senior Engineer' ? '@sre-seniors' : t),
    );
    expect(lines).toEqual([
      ':hourglass: 10:15 UTC (in 7 min) escalate → @sre-seniors: No root cause _(runbook section)_',
      ':hourglass: 10:30 UTC (in 22 min) escalate → Engineering Lead: Down >30 min _(runbook section)_',
      ':heavy_multiplication_x: cancelled (was due 11:00 UTC) resolve: Resolve within 1 h',
      ':white_check_mark: fired 10:05 UTC (late) acknowledge: Ack within 5 _(severity default)_',
    ]);
    expect(describeTimers([], at(0))).toEqual(['No timers for this incident.']);
  });

  it('builds named reminders', () => {
    expect(reminderDraft('statuspage', 'P1', at(10), 30)).toMatchObject({
      kind: 'reminder',
      dueAt: at(40),
      data: { reminder: 'statuspage' },
      cancelOn: 'resolve',
    });
  });
});

describe('where a timer clock came from', () => {
  it('calls a runbook value stricter only when it is, and the same when it ties with the default', () => {
    const runbook = (runbookMinutes: number) => ({
      source: 'section',
      severity: 'P1',
      data: { clock: 'runbook-stricter', defaultMinutes: 5, defaultSeverity: 'P1', runbookMinutes },
    });
    expect(clockOrigin(runbook(5))).toBe('runbook, same as the P1 default');
    expect(clockOrigin(runbook(3))).toBe('runbook, stricter than the P1 default of 5 min');
    expect(
      clockOrigin({ source: 'default', severity: 'P1', data: { clock: 'default-stricter', runbookMinutes: 15 } }),
    ).toBe("P1 default, stricter than the runbook's 15 min");
  });
});
