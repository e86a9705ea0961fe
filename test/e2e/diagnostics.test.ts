import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  amPayload,
  backendTransports,
  eventually,
  startTestBot,
  type TestBot,
  type Transport,
  transportEnv,
} from '../helpers/bot.js';
import { type Backend, dropSchemas } from '../helpers/db.js';

afterAll(dropSchemas);

/** A stand-in Prometheus answering /api/v1/query with a real vector response shape. */
let prom: Server;
let promUrl = '';
const queries: string[] = [];
beforeAll(async () => {
  prom = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    queries.push(url.searchParams.get('query') ?? '');
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify({
        status: 'success',
        data: { resultType: 'vector', result: [{ metric: { namespace: 'shop' }, value: [1795440000, '0.0421'] }] },
      }),
    );
  });
  await new Promise<void>((r) => prom.listen(0, '127.0.0.1', r));
  promUrl = `http://127.0.0.1:${(prom.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => prom.close(() => r())));

/** A stand-in Kubernetes API holding one deployment, enough for a confirmed scale. */
let kube: Server;
let kubeconfig = '';
const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'checkout', namespace: 'shop', resourceVersion: '41', generation: 3 },
  spec: {
    replicas: 3,
    selector: { matchLabels: { app: 'checkout' } },
    template: {
      metadata: { labels: { app: 'checkout' } },
      spec: { containers: [{ name: 'app', image: 'shop/checkout:1.4.2' }] },
    },
  },
  status: { replicas: 3, readyReplicas: 3, availableReplicas: 3, updatedReplicas: 3 },
};
const kubeWrites: { method: string; replicas: number }[] = [];
beforeAll(async () => {
  kube = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      if (req.url?.startsWith('/apis/apps/v1/namespaces/shop/deployments/checkout')) {
        if (req.method === 'PUT') {
          const next = JSON.parse(body);
          kubeWrites.push({ method: 'PUT', replicas: next.spec.replicas });
          Object.assign(deployment.spec, { replicas: next.spec.replicas });
          deployment.metadata.resourceVersion = String(Number(deployment.metadata.resourceVersion) + 1);
        }
        res.end(JSON.stringify(deployment));
        return;
      }
      res.statusCode = 404;
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 }));
    });
  });
  await new Promise<void>((r) => kube.listen(0, '127.0.0.1', r));
  const dir = mkdtempSync(join(tmpdir(), 'ib-kube-'));
  kubeconfig = join(dir, 'config');
  writeFileSync(
    kubeconfig,
    `apiVersion: v1
kind: Config
clusters: [{ name: t, cluster: { server: "http://127.0.0.1:${(kube.address() as AddressInfo).port}", insecure-skip-tls-verify: true } }]
users: [{ name: u, user: { token: test-token } }]
contexts: [{ name: c, context: { cluster: t, user: u, namespace: shop } }]
current-context: c
`,
  );
});
afterAll(() => new Promise<void>((r) => kube.close(() => r())));

const runButtons = (blocks: unknown[] | undefined) =>
  ((blocks ?? []) as { accessory?: { action_id: string; value: string }; block_id?: string }[])
    .filter((b) => b.accessory?.action_id?.startsWith('diag_'))
    .map((b) => ({ actionId: b.accessory!.action_id, value: b.accessory!.value, blockId: b.block_id! }));

describe.each(backendTransports)('diagnostics from Slack on %s over %s', (backend: Backend, transport: Transport) => {
  let t: TestBot;
  afterEach(async () => {
    await t?.close();
  });

  async function open() {
    t = await startTestBot(backend, {
      ...transportEnv(transport),
      RUNBOOKS_DIR: 'test/fixtures/runbooks-e2e',
      ROLES_FILE: 'test/fixtures/roles-e2e.yml',
      PROMETHEUS_URL: promUrl,
      KUBECONFIG: kubeconfig,
    });
    await t.alert(
      amPayload([{ alertname: 'CheckoutLatencyHigh', labels: { namespace: 'shop', severity: 'warning' } }]),
    );
    await t.settle();
    const inc = await t.bot.service.get(1);
    const runbook = t.emulator
      .channel(inc.channelId!)
      .messages()
      .find((m) => m.text.startsWith('Runbook: Checkout latency'))!;
    return { inc, runbook, buttons: runButtons(runbook.blocks) };
  }

  it('runs a read for a responder and threads the output under the runbook, with the hash on the timeline', async () => {
    const { inc, runbook, buttons } = await open();
    expect(buttons.map((b) => b.actionId)).toEqual(['diag_run', 'diag_run', 'diag_write']);
    await t.emulator
      .as('alice')
      .in(inc.channelId!)
      .click({ actionId: 'diag_run', blockId: buttons[0]!.blockId, messageTs: runbook.ts });
    await eventually(() => expect(t.emulator.channel(inc.channelId!).thread(runbook.ts).length).toBeGreaterThan(1));
    const reply = t.emulator.channel(inc.channelId!).thread(runbook.ts).at(-1)!;
    expect(JSON.stringify(reply.blocks)).toContain('0.0421');
    expect(queries.at(-1)).toBe('sum(rate(http_requests_total{namespace="shop",code=~"5.."}[5m]))');
    const ev = (await t.bot.service.timeline(1)).find((e) => e.kind === 'diagnostic')!;
    expect(ev).toMatchObject({ actor: 'U0ALICE', data: { executor: 'prometheus', ok: true } });
    expect(ev.data.outputSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses a viewer with the role it needs, and records the denial', async () => {
    const { inc, runbook, buttons } = await open();
    const erin = t.emulator.as('erin').in(inc.channelId!);
    await erin.click({ actionId: 'diag_run', blockId: buttons[0]!.blockId, messageTs: runbook.ts });
    await eventually(() => expect(JSON.stringify(erin.ephemerals())).toContain('needs the responder role'));
    expect((await t.bot.service.timeline(1)).some((e) => e.kind === 'denied' && e.actor === 'U0ERIN')).toBe(true);
    // A write needs operator: alice (responder) is refused too.
    const alice = t.emulator.as('alice').in(inc.channelId!);
    await alice.click({ actionId: 'diag_write', blockId: buttons[2]!.blockId, messageTs: runbook.ts });
    await eventually(() => expect(JSON.stringify(alice.ephemerals())).toContain('needs the operator role'));
    expect(t.emulator.channel(inc.channelId!).thread(runbook.ts)).toHaveLength(1);
  });

  it('asks for a missing placeholder and refuses shell metacharacters in it', async () => {
    const { inc, runbook, buttons } = await open();
    const alice = t.emulator.as('alice').in(inc.channelId!);
    await alice.click({ actionId: 'diag_run', blockId: buttons[1]!.blockId, messageTs: runbook.ts });
    const modal = await t.emulator.waitFor(() => alice.openViews().find((v) => v.callback_id === 'diag_values'));
    const blockId = (modal.blocks as { block_id?: string }[])
      .map((b) => b.block_id)
      .find((id) => id?.startsWith('p:'))!;
    expect(blockId).toBe('p:pod-name');
    const bad = await alice.submitView('diag_values', {
      [blockId]: { value: { type: 'plain_text_input', value: 'api; rm -rf /' } },
    });
    expect(JSON.stringify(bad.body)).toContain('"response_action":"errors"');
    expect(JSON.stringify(bad.body)).toContain('pod-name');
    expect((await t.bot.service.timeline(1)).some((e) => e.kind === 'diagnostic')).toBe(false);
  });

  it('lets an operator scale after a confirmation that shows exactly what changes', async () => {
    deployment.spec.replicas = 3;
    kubeWrites.length = 0;
    const { inc, runbook, buttons } = await open();
    const bob = t.emulator.as('bob').in(inc.channelId!);
    await bob.click({ actionId: 'diag_write', blockId: buttons[2]!.blockId, messageTs: runbook.ts });
    const confirm = await t.emulator.waitFor(() => bob.openViews().find((v) => v.callback_id === 'diag_confirm'));
    expect(JSON.stringify(confirm.blocks)).toContain('Scale deployment shop/checkout from 3 to 5 replicas');
    expect(kubeWrites).toHaveLength(0);
    await bob.submitView('diag_confirm');
    await eventually(() => expect(kubeWrites).toEqual([{ method: 'PUT', replicas: 5 }]));
    await eventually(() =>
      expect(JSON.stringify(t.emulator.channel(inc.channelId!).thread(runbook.ts))).toContain('applied'),
    );
    const ev = (await t.bot.service.timeline(1)).filter((e) => e.kind === 'diagnostic');
    expect(ev.at(-1)).toMatchObject({ actor: 'U0BOB', data: { executor: 'kubernetes', ok: true } });
  });
});
