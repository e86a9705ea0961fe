import type { IncidentRole, Severity, Status } from '../incidents/model.js';

/** What `/incident <text>` asks for. Pure: no Slack, no database. */
export type IncidentCommand =
  | { kind: 'help'; unknown?: string }
  | { kind: 'declare'; severity: Severity | null; title: string }
  | { kind: 'status'; status: Exclude<Status, 'resolved'> | null; ref: number | null }
  | { kind: 'update'; text: string; ref: number | null }
  | { kind: 'severity'; severity: Severity; ref: number | null }
  | { kind: 'assign'; user: string; role: IncidentRole; ref: number | null }
  | { kind: 'ack'; ref: number | null }
  | { kind: 'resolve'; summary: string; ref: number | null }
  | { kind: 'timeline'; ref: number | null }
  | { kind: 'timers'; ref: number | null }
  | { kind: 'snooze'; minutes: number | null; off: boolean; ref: number | null }
  | { kind: 'runbook'; alertname: string | null; ref: number | null }
  | { kind: 'statuspage'; ref: number | null }
  | { kind: 'postmortem'; ref: number | null }
  | { kind: 'list' }
  | { kind: 'followup'; text: string; ref: null }
  | { kind: 'followups'; ref: number | null }
  /** `/incident merge INC-12`: fold INC-n into the incident of this channel. */
  | { kind: 'merge'; from: number; ref: null }
  | { kind: 'error'; message: string };

const SEV = /^(?:p|sev-?)([1-4])$/i;
const REF = /^(?:inc-?|#)?(\d{1,9})$/i;
const ROLES: Record<string, IncidentRole> = {
  commander: 'commander',
  ic: 'commander',
  lead: 'commander',
  comms: 'comms',
  communications: 'comms',
  scribe: 'scribe',
  notes: 'scribe',
};

/** A user as Slack sends it in slash commands: <@U123|alice>, <@U123>, or what a person typed (@alice, U123). */
export function parseUserRef(token: string): { id: string | null; name: string | null } {
  const escaped = token.match(/^<@([UW][A-Z0-9]+)(?:\|([^>]*))?>$/);
  if (escaped) return { id: escaped[1]!, name: escaped[2] ?? null };
  if (/^[UW][A-Z0-9]{2,}$/.test(token)) return { id: token, name: null };
  const plain = token.match(/^@?([a-z0-9._-]+)$/i);
  return plain ? { id: null, name: plain[1]!.toLowerCase() } : { id: null, name: null };
}

const sev = (s: string | undefined): Severity | null => {
  const m = s?.match(SEV);
  return m ? (`P${m[1]}` as Severity) : null;
};

/** Splits off a trailing incident reference ("ack 12", "timeline INC-12"). */
function trailingRef(words: string[]): { words: string[]; ref: number | null } {
  const last = words[words.length - 1];
  const m = last?.match(REF);
  return m ? { words: words.slice(0, -1), ref: Number(m[1]) } : { words, ref: null };
}

export function parseIncidentCommand(input: string): IncidentCommand {
  const text = input.trim().replace(/\s+/g, ' ');
  if (!text) return { kind: 'help' };
  const [verbRaw, ...rest] = text.split(' ');
  const verb = verbRaw!.toLowerCase();
  const argText = text.slice(verbRaw!.length).trim();
  switch (verb) {
    case 'help':
    case '?':
      return { kind: 'help' };
    case 'declare':
    case 'new':
    case 'open': {
      const s = sev(rest[0]);
      const title = (s ? rest.slice(1) : rest).join(' ').trim();
      return { kind: 'declare', severity: s, title };
    }
    case 'status': {
      const { words, ref } = trailingRef(rest);
      if (!words.length) return { kind: 'status', status: null, ref };
      const w = words[0]!.toLowerCase();
      if (w === 'resolved') return { kind: 'resolve', summary: words.slice(1).join(' '), ref };
      if (w === 'investigating' || w === 'identified' || w === 'monitoring') return { kind: 'status', status: w, ref };
      return {
        kind: 'error',
        message: `Unknown status "${words[0]}". Use investigating, identified, monitoring or resolved.`,
      };
    }
    case 'update':
    case 'note':
      if (!argText)
        return { kind: 'error', message: 'An update needs some text, e.g. `/incident update Rolled back to v42`.' };
      return { kind: 'update', text: argText, ref: null };
    case 'severity':
    case 'sev': {
      const { words, ref } = trailingRef(rest);
      const s = sev(words[0]);
      if (!s)
        return {
          kind: 'error',
          message: `Severity must be P1, P2, P3 or P4${words[0] ? `, not "${words[0]}"` : ''}: \`/incident severity P2\`.`,
        };
      return { kind: 'severity', severity: s, ref };
    }
    case 'assign':
    case 'role': {
      // `assign @user comms` and `role comms @user` (either order for both verbs).
      const { words, ref } = trailingRef(rest);
      const [first, second] = words;
      const roleFirst = Boolean(first && ROLES[first.toLowerCase()]);
      const [who, roleWord] = roleFirst ? [second, first] : [first, second];
      const role = roleWord ? ROLES[roleWord.toLowerCase()] : undefined;
      if (!who || !role)
        return {
          kind: 'error',
          message: 'Use `/incident assign @user commander|comms|scribe` (or `/incident role comms @user`).',
        };
      const u = parseUserRef(who);
      if (!u.id && !u.name) return { kind: 'error', message: `"${who}" is not a user; mention them like @alice.` };
      return { kind: 'assign', user: u.id ?? `@${u.name}`, role, ref };
    }
    case 'ack':
    case 'acknowledge':
      return { kind: 'ack', ref: trailingRef(rest).ref };
    case 'resolve':
    case 'close': {
      const { words, ref } = rest.length === 1 ? trailingRef(rest) : { words: rest, ref: null };
      return { kind: 'resolve', summary: words.join(' '), ref };
    }
    case 'timeline':
    case 'log':
      return { kind: 'timeline', ref: trailingRef(rest).ref };
    case 'timers':
      return { kind: 'timers', ref: trailingRef(rest).ref };
    case 'snooze': {
      // `snooze` (default length), `snooze 30` / `snooze 30m`, `snooze off` (also cancel, stop, end).
      const [w, ...more] = rest;
      const { ref } = trailingRef(more);
      if (!w) return { kind: 'snooze', minutes: null, off: false, ref: null };
      if (/^(off|cancel|stop|end|resume)$/i.test(w)) return { kind: 'snooze', minutes: null, off: true, ref };
      const m = w.match(/^(\d{1,3})(?:m|min|mins|minutes?)?$/i);
      const minutes = m ? Number(m[1]) : Number.NaN;
      if (!(minutes >= 1 && minutes <= 240))
        return {
          kind: 'error',
          message: `Snooze for 1 to 240 minutes, e.g. \`/incident snooze 30\`; \`/incident snooze off\` ends it${w ? ` (not "${w}")` : ''}.`,
        };
      return { kind: 'snooze', minutes, off: false, ref };
    }
    case 'runbook':
      return { kind: 'runbook', alertname: rest[0] ?? null, ref: null };
    case 'statuspage':
    case 'status-page':
      return { kind: 'statuspage', ref: trailingRef(rest).ref };
    case 'postmortem':
    case 'pm':
      return { kind: 'postmortem', ref: trailingRef(rest).ref };
    case 'list':
    case 'ls':
      return { kind: 'list' };
    case 'merge': {
      const m = rest.length === 1 ? rest[0]!.match(REF) : null;
      if (!m)
        return {
          kind: 'error',
          message: 'Name the incident to merge into this one, e.g. `/incident merge INC-12` in the incident channel.',
        };
      return { kind: 'merge', from: Number(m[1]), ref: null };
    }
    case 'followup':
    case 'follow-up':
    case 'action':
      if (!argText)
        return {
          kind: 'error',
          message: 'A follow-up needs some text, e.g. `/incident followup @bob add an alert on queue depth`.',
        };
      return { kind: 'followup', text: argText, ref: null };
    case 'followups':
    case 'follow-ups':
    case 'actions':
      return { kind: 'followups', ref: trailingRef(rest).ref };
    default:
      return { kind: 'help', unknown: verbRaw };
  }
}
