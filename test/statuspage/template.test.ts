import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NotFoundError, ValidationError } from '../../src/errors.js';
import { mappedComponents, publicImpact, resolveComponents } from '../../src/statuspage/public.js';
import {
  canonicalKey,
  DEFAULT_COMMUNICATION_TEMPLATE,
  fillTemplate,
  knownValues,
  renderCommunication,
  templateFields,
} from '../../src/statuspage/template.js';
import { loadTemplateFile } from '../../src/statuspage/template-file.js';
import { alert, at, incident, t0, userName } from './fixtures.js';
import { seedsPresent, seedTemplate } from './seed-templates.js';

const tpl = (text: string) => ({ line: 1, fields: [], text });

describe('renderCommunication (the public draft)', () => {
  const mapping = { checkout: 'Checkout', payments: 'Payments' };

  it('fills the shipped default with public fields only: mapped component, impact in words, status, times', () => {
    const alerts = [
      alert('KubePodCrashLooping', { labels: { service: 'checkout', pod: 'checkout-7d9f', namespace: 'shop' } }),
    ];
    const r = renderCommunication(null, {
      incident: incident({ labels: { team: 'shop', pod: 'checkout-7d9f' } }),
      now: at(10),
      alerts,
      events: [{ at: at(7), actor: 'U0ALICE', kind: 'update', text: 'Restarted checkout-7d9f', data: {} }],
      userName,
      components: mappedComponents(incident({ labels: {} }), alerts, mapping),
    });
    expect(r.title).toBe('Checkout: service disruption');
    expect(r.text).toContain('Affected: Checkout');
    expect(r.text).toContain('Customer impact: Customers cannot use Checkout.');
    expect(r.text).toContain('Status: investigating');
    expect(r.text).toContain('Started: 2026-11-23 03:00 UTC');
    // Internal words never reach the draft: no pod, alert name, severity, namespace, person or internal update.
    for (const internal of ['checkout-7d9f', 'KubePodCrashLooping', 'P1', 'shop', 'alice', 'Restarted'])
      expect(r.text + r.title).not.toContain(internal);
    expect(r.missing).toEqual(['eta', 'update']);
  });

  it('asks for the components and impact when the mapping names none, and keeps alert titles private', () => {
    const r = renderCommunication(null, { incident: incident({ labels: { service: 'ledger-worker' } }), now: at(3) });
    expect(r.missing).toEqual(['affected', 'customers', 'eta', 'update']);
    expect(r.prompts.update).toMatch(/1-2 sentences/);
    expect(r.title).toBe('Service disruption');
    expect(r.text).not.toContain('ledger-worker');
    expect(r.text).not.toContain('Checkout API is down');
    // A title a person typed is theirs to publish.
    const typed = renderCommunication(null, { incident: incident({ source: 'slash' }), now: at(3) });
    expect(typed.title).toBe('Checkout API is down');
  });

  it('fills modal answers and stamps the update with the time it is written', () => {
    const r = renderCommunication(null, {
      incident: incident(),
      now: at(12),
      values: { customers: 'About 20% of checkouts fail', eta: '03:45 UTC', update: 'We rolled back.', affected: ' ' },
    });
    expect(r.text).toContain('Customer impact: About 20% of checkouts fail');
    expect(r.text).toContain('Update (03:12 UTC):\nWe rolled back.');
    expect(r.missing).toEqual(['affected']);
  });

  it('leaves internal fields of a runbook template to the person publishing', () => {
    const r = renderCommunication(tpl('Severity: {{severity}}\nCommander: {{commander}}\nService: {{service}}'), {
      incident: incident({ labels: { service: 'checkout' } }),
      now: at(1),
      components: ['Checkout'],
    });
    expect(r.text).toBe('Severity: {{severity}}\nCommander: {{commander}}\nService: Checkout');
    expect(r.missing).toEqual(['severity', 'commander']);
  });

  it('words the impact by severity and lists several components', () => {
    expect(publicImpact('P2', ['Checkout', 'Payments'])).toBe(
      'Some customers see errors or failures in Checkout and Payments.',
    );
    expect(publicImpact('P3', ['A', 'B', 'C'])).toBe('A, B and C may be slower than usual.');
    expect(publicImpact('P1', [])).toBeNull();
  });

  it('maps service and team labels (ignoring case) to components, and resolves them by id or name', () => {
    const names = mappedComponents(
      incident({ labels: { team: 'Payments' } }),
      [alert('X', { labels: { service: 'checkout' } }), alert('Y', { labels: { service: 'unmapped' } })],
      mapping,
    );
    expect(names).toEqual(['Payments', 'Checkout']);
    const r = resolveComponents(
      ['checkout', 'cmp-pay', 'Search'],
      [
        { id: 'cmp-co', name: 'Checkout' },
        { id: 'cmp-pay', name: 'Payments' },
      ],
    );
    expect(r).toEqual({
      found: [
        { id: 'cmp-co', name: 'Checkout' },
        { id: 'cmp-pay', name: 'Payments' },
      ],
      unknown: ['Search'],
    });
  });
});

describe('fillTemplate field detection (status page and postmortem)', () => {
  it.each([
    ['**Service**: [name]', 'service', '**Service**: checkout'],
    ['Service: <name>', 'service', 'Service: checkout'],
    ['- Severity: {{severity}}', 'severity', '- Severity: P1'],
    ['**Status:** [current status]', 'status', '**Status:** investigating'],
    ['* Impacted services: <list>', 'affected', '* Impacted services: HighErrorRate'],
    ['Incident Commander: TBD', 'commander', 'Incident Commander: @alice'],
    ['Start time: YYYY-MM-DD HH:MM', 'started', 'Start time: 2026-11-23 03:00 UTC'],
  ])('detects the field in %j', (line, key, rendered) => {
    const r = fillTemplate(
      line,
      knownValues({ incident: incident(), now: at(5), alerts: [alert('HighErrorRate')], userName }),
    );
    expect(Object.keys(r.fields)).toEqual([key]);
    expect(r.text).toBe(rendered);
  });

  it('keeps links, checkboxes, Slack entities and code as they are', () => {
    const text = [
      'See [the dashboard](https://grafana.example.com) and <https://status.example.com>',
      '- [ ] Ping <@U0BOB> in <#C1|ops>',
      '```',
      'kubectl get pods -l app=[name]',
      '```',
      'Line break<br>here',
    ].join('\n');
    const r = fillTemplate(text, knownValues({ incident: incident(), now: at(1) }));
    expect(r.text).toBe(text);
    expect(r.fields).toEqual({});
  });

  it('keeps the literal values a team wrote and picks their spelling of choices', () => {
    const r = fillTemplate(
      'Service: Payments\nStatus: INVESTIGATING / IDENTIFIED\nSeverity: Critical / Warning',
      knownValues({ incident: incident({ status: 'monitoring', severity: 'P3' }), now: at(1) }),
    );
    expect(r.text).toBe('Service: Payments\nStatus: MONITORING\nSeverity: Warning');
    expect(r.fields).toMatchObject({ service: 'Payments', status: 'MONITORING', severity: 'Warning' });
  });

  it('unwraps a template given as a fenced block', () => {
    const r = fillTemplate('```\nSeverity: {{severity}}\n```', knownValues({ incident: incident(), now: at(1) }));
    expect(r.text).toBe('Severity: P1');
  });

  it('maps wording to field keys', () => {
    expect(canonicalKey('ETA Resolution')).toBe('eta');
    expect(canonicalKey('Latest Update')).toBe('update');
    expect(canonicalKey('Follow updates')).toBeNull();
    expect(canonicalKey('Services Affected')).toBe('affected');
    expect(canonicalKey('Estimated % of customers')).toBe('customers');
    expect(canonicalKey('1-2 sentence summary of incident')).toBe('summary');
  });

  it('lists the default template fields for the modal', () => {
    expect(templateFields(null).map((f) => f.key)).toEqual([
      'affected',
      'customers',
      'status',
      'started',
      'eta',
      'update_time',
      'update',
    ]);
  });
});

describe.skipIf(!seedsPresent)('seed communication templates', () => {
  it("fills seed 004's communication block and asks for the rest", async () => {
    const t = await seedTemplate('004', (s) => /ETA Resolution/.test(s) && /Latest Update/.test(s));
    expect(t, 'seed 004 has a communication template').not.toBeNull();
    const r = renderCommunication(t, {
      incident: incident({ status: 'identified' }),
      now: at(20),
      alerts: [alert('HighErrorRate')],
    });
    // Public fields filled in the team's format; the team's literal service name kept; internal ones asked.
    expect(r.text).not.toMatch(/^Severity: P1$/m);
    expect(r.text).toMatch(/^Status: IDENTIFIED$/m);
    expect(r.text).not.toContain('HighErrorRate');
    expect(r.text).toMatch(/^Started: 2026-11-23 03:00 UTC$/m);
    expect(r.text).toMatch(/^Latest Update \(03:20 UTC\):$/m);
    expect(r.fields.service).toBeTruthy();
    expect(r.fields.service).not.toBe('checkout');
    expect(r.missing).toEqual(['severity', 'affected', 'customers', 'eta', 'update']);
    // Unknown fields keep the team's own prompt so the preview shows what is still needed.
    expect(r.text).toContain(`Customers: [${r.prompts.customers}]`);

    const answered = renderCommunication(t, {
      incident: incident({ status: 'identified' }),
      now: at(20),
      alerts: [alert('HighErrorRate')],
      values: {
        severity: 'Major',
        affected: 'Checkout',
        customers: 'About 5%',
        eta: '04:00 UTC',
        update: 'A bad deploy; rolling back.',
      },
    });
    expect(answered.missing).toEqual([]);
    expect(answered.text).toMatch(/^Latest Update \(03:20 UTC\):\nA bad deploy; rolling back\.$/m);
    expect(answered.text).not.toMatch(/\[[^\]]*(timestamp|Expected|customers)[^\]]*\]/);
  });
});

describe('template files', () => {
  it('ships the default template as templates/default-communication.md', async () => {
    const file = await loadTemplateFile('templates/default-communication.md', process.cwd());
    expect(file.text).toBe(DEFAULT_COMMUNICATION_TEMPLATE.text.trimEnd());
    expect(readFileSync('templates/default-communication.md', 'utf8')).toBe(DEFAULT_COMMUNICATION_TEMPLATE.text);
  });

  it('reads the one fenced block of a Markdown template file and its line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tpl-'));
    writeFileSync(join(dir, 'comms.md'), '# Our template\n\nUse this:\n\n```\n**Service**: [name]\nETA: [when]\n```\n');
    const t = await loadTemplateFile('comms.md', dir);
    expect(t).toEqual({ line: 6, text: '**Service**: [name]\nETA: [when]', fields: ['service', 'eta'] });
    const r = renderCommunication(t, { incident: incident(), now: t0, alerts: [alert('X')], components: ['Checkout'] });
    expect(r.text).toBe('**Service**: Checkout\nETA: [when]');
  });

  it('refuses a template path outside the templates directory', async () => {
    await expect(loadTemplateFile('../etc/passwd', '/tmp/templates')).rejects.toThrow(ValidationError);
  });

  it('names the missing file', async () => {
    await expect(loadTemplateFile('nope.md', tmpdir())).rejects.toThrow(NotFoundError);
    await expect(loadTemplateFile('nope.md', tmpdir())).rejects.toThrow(/nope\.md does not exist/);
  });
});

describe('runbook engine compatibility', () => {
  it("accepts the runbook engine's Template as is", () => {
    const fromEngine: import('../../src/runbooks/schema.js').Template = {
      line: 3,
      fields: ['eta'],
      text: 'ETA: [when]',
    };
    expect(renderCommunication(fromEngine, { incident: incident(), now: t0 }).missing).toEqual(['eta']);
  });
});
