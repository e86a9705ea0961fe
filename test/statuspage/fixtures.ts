import { declare, type Incident } from '../../src/incidents/model.js';
import type { AlertLike } from '../../src/statuspage/template.js';

export const t0 = new Date('2026-11-23T03:00:00Z');
export const at = (min: number) => new Date(t0.getTime() + min * 60_000);

export function incident(over: Partial<Incident> = {}): Incident {
  const { incident } = declare(
    { title: 'Checkout API is down', severity: 'P1', source: 'alert', commander: 'U0ALICE', declaredBy: 'U0ALICE' },
    t0,
  );
  return { ...incident, id: 42, ...over };
}

export function alert(name: string, over: Partial<AlertLike> = {}): AlertLike {
  return {
    alertname: name,
    status: 'firing',
    severity: 'critical',
    labels: { alertname: name, service: 'checkout' },
    startsAt: t0,
    endsAt: null,
    fingerprint: `fp-${name}`,
    ...over,
  };
}

export const names: Record<string, string> = { U0ALICE: 'alice', U0BOB: 'bob', U0CAROL: 'carol' };
export const userName = (id: string) => names[id];
