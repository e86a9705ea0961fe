import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createRejectLog } from '../../src/http/reject-log.js';

const req = (ip: string) => ({ headers: {}, socket: { remoteAddress: ip } }) as unknown as IncomingMessage;

describe('rejection log', () => {
  it('warns once a minute per route, reason and sender, counting what it held back', () => {
    const lines: { obj: Record<string, unknown>; msg: string }[] = [];
    const logger = { warn: (obj: Record<string, unknown>, msg: string) => lines.push({ obj, msg }) };
    let clock = 0;
    const warn = createRejectLog(logger as never, { intervalMs: 60_000, now: () => clock });
    const route = '/alerts/alertmanager';
    warn(req('10.0.0.9'), route, 'invalid_json: body is not JSON');
    warn(req('10.0.0.9'), route, 'invalid_json: body is not JSON');
    warn(req('10.0.0.9'), route, 'invalid_json: body is not JSON');
    warn(req('10.0.0.10'), route, 'invalid_json: body is not JSON');
    clock = 61_000;
    warn(req('10.0.0.9'), route, 'invalid_json: body is not JSON');
    expect(lines.map((l) => [(l.obj.sender as { ip: string }).ip, l.obj.suppressedSinceLast])).toEqual([
      ['10.0.0.9', 0],
      ['10.0.0.10', 0],
      ['10.0.0.9', 2],
    ]);
    expect(lines[0]?.msg).toContain('/alerts/alertmanager: invalid_json: body is not JSON');
  });
});
