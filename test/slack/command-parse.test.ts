import { describe, expect, it } from 'vitest';
import { parseIncidentCommand, parseUserRef } from '../../src/slack/command-parse.js';

describe('/incident parsing', () => {
  it.each([
    ['', { kind: 'help' }],
    ['help', { kind: 'help' }],
    ['declare P1 API is down', { kind: 'declare', severity: 'P1', title: 'API is down' }],
    ['declare sev2 Checkout slow', { kind: 'declare', severity: 'P2', title: 'Checkout slow' }],
    ['declare API is down', { kind: 'declare', severity: null, title: 'API is down' }],
    ['declare', { kind: 'declare', severity: null, title: '' }],
    ['status', { kind: 'status', status: null, ref: null }],
    ['status identified', { kind: 'status', status: 'identified', ref: null }],
    ['status monitoring INC-12', { kind: 'status', status: 'monitoring', ref: 12 }],
    ['status resolved all good', { kind: 'resolve', summary: 'all good', ref: null }],
    ['update Rolled back to v42', { kind: 'update', text: 'Rolled back to v42', ref: null }],
    ['severity P2', { kind: 'severity', severity: 'P2', ref: null }],
    ['assign <@U0BOB|bob> comms', { kind: 'assign', user: 'U0BOB', role: 'comms', ref: null }],
    ['assign @carol commander 7', { kind: 'assign', user: '@carol', role: 'commander', ref: 7 }],
    ['role comms <@U0DAVE|dave>', { kind: 'assign', user: 'U0DAVE', role: 'comms', ref: null }],
    ['role @dave scribe', { kind: 'assign', user: '@dave', role: 'scribe', ref: null }],
    ['ack', { kind: 'ack', ref: null }],
    ['ack 12', { kind: 'ack', ref: 12 }],
    ['resolve', { kind: 'resolve', summary: '', ref: null }],
    ['resolve Rolled back the deploy', { kind: 'resolve', summary: 'Rolled back the deploy', ref: null }],
    ['timeline #3', { kind: 'timeline', ref: 3 }],
    ['runbook HighErrorRate', { kind: 'runbook', alertname: 'HighErrorRate', ref: null }],
    ['list', { kind: 'list' }],
    ['timers', { kind: 'timers', ref: null }],
  ])('reads %j', (text, want) => {
    expect(parseIncidentCommand(text)).toEqual(want);
  });

  it('explains malformed commands instead of guessing', () => {
    expect(parseIncidentCommand('severity high-ish')).toMatchObject({
      kind: 'error',
      message: expect.stringContaining('P1, P2, P3 or P4'),
    });
    expect(parseIncidentCommand('assign bob')).toMatchObject({ kind: 'error' });
    expect(parseIncidentCommand('assign @bob overlord')).toMatchObject({ kind: 'error' });
    expect(parseIncidentCommand('update')).toMatchObject({
      kind: 'error',
      message: expect.stringContaining('needs some text'),
    });
    expect(parseIncidentCommand('status sideways')).toMatchObject({ kind: 'error' });
    expect(parseIncidentCommand('frobnicate now')).toEqual({ kind: 'help', unknown: 'frobnicate' });
  });

  it('reads users the way Slack escapes them', () => {
    expect(parseUserRef('<@U0ALICE|alice>')).toEqual({ id: 'U0ALICE', name: 'alice' });
    expect(parseUserRef('<@W123>')).toEqual({ id: 'W123', name: null });
    expect(parseUserRef('@Bob')).toEqual({ id: null, name: 'bob' });
    expect(parseUserRef('<!channel>')).toEqual({ id: null, name: null });
  });
});
