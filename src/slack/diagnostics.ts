import { createHash } from 'node:crypto';
import type { App } from '@slack/bolt';
import type { Logger } from 'pino';
import { decide, type Role } from '../auth/policy.js';
import type { DiagnosticResult, Diagnostics, WritePlan } from '../diagnostics/run.js';
import { UserFacingError, ValidationError } from '../errors.js';
import { type Incident, incidentRef } from '../incidents/model.js';
import { type IncidentService, slackOp } from '../incidents/service.js';
import type { OutboxHandler } from '../outbox/sender.js';
import type { RunbookSource } from '../runbooks/lookup.js';
import type { Command } from '../runbooks/schema.js';
import { listAlerts } from '../store/alerts.js';
import type { Db } from '../store/db.js';
import { enqueue } from '../store/outbox.js';
import { errorReply } from './incident.js';
import { confirmModal, type RunRef, valuesModal } from './render/diagnostics.js';
import { codeBlock, esc } from './render/text.js';

export interface DiagnosticsSlackDeps {
  app: App;
  db: Db;
  service: IncidentService;
  runbooks: RunbookSource;
  diagnostics: Diagnostics;
  roleOf: (userId: string) => Promise<Role>;
  logger: Logger;
  kick: () => void;
}

/** Slack side of diagnostics: role check, placeholder modal, run, threaded output, timeline. */
export function registerDiagnostics(deps: DiagnosticsSlackDeps) {
  const { app, service, diagnostics, logger } = deps;

  const lookup = (ref: RunRef): Command => {
    const hit = deps.runbooks.command(ref.s, ref.c);
    if (!hit)
      throw new UserFacingError(
        'This command is no longer in the runbook (it changed since it was posted). Re-post it with `/incident runbook`.',
      );
    return hit.command;
  };

  /** Alert labels and incident labels, as placeholder values. */
  const valuesFor = async (inc: Incident) => {
    const alerts = await listAlerts(deps.db, inc.id);
    const labels = Object.assign({}, ...alerts.map((a) => a.labels), inc.labels) as Record<string, string>;
    return diagnostics.valuesFromLabels(labels);
  };

  /** Role check; a denial is explained to the user and recorded on the timeline. */
  async function authorize(inc: Incident, cmd: Command, user: string) {
    const role = await deps.roleOf(user);
    const d = decide({ risk: cmd.risk, role });
    if (!d.allow) {
      await service.record(inc.id, 'denied', user, `denied ${cmd.text.slice(0, 200)}: ${d.reason}`, {
        command: cmd.text,
        reason: d.reason,
        commandId: cmd.id,
        risk: cmd.risk,
        role,
        requiredRole: d.requiredRole,
      });
      throw new UserFacingError(`:no_entry: ${d.reason}`);
    }
    return d;
  }

  /** Output as a thread reply (through the outbox, so a Slack hiccup delays it instead of losing it). */
  async function report(inc: Incident, ref: RunRef, user: string, result: DiagnosticResult, label = 'ran') {
    const head = result.ok
      ? `:white_check_mark: <@${user}> ${esc(label)} \`${esc(result.command.slice(0, 300))}\` (${result.durationMs} ms${result.rows != null ? `, ${result.rows} rows` : ''})`
      : `:x: <@${user}> ${esc(label)} \`${esc(result.command.slice(0, 300))}\`: ${esc(result.error ?? 'failed')}`;
    const blocks: unknown[] = [{ type: 'section', text: { type: 'mrkdwn', text: head.slice(0, 3000) } }];
    if (result.ok)
      blocks.push({
        type: 'section',
        text: { type: 'mrkdwn', text: codeBlock(result.preview || '(no output)', 2950) },
      });
    if (result.truncated)
      blocks.push({
        type: 'context',
        elements: [{ type: 'mrkdwn', text: ':page_facing_up: Output truncated; the full output is attached below.' }],
      });
    await deps.db.tx(async (q) => {
      await enqueue(
        q,
        slackOp(inc, 'slack.post', { text: head.replace(/[*`]/g, ''), blocks, threadTs: ref.t ?? null }),
      );
      if (result.truncated) {
        await enqueue(
          q,
          slackOp(inc, 'slack.file', {
            content: result.output,
            filename: `${result.executor}-output.txt`,
            title: result.command.slice(0, 200),
            threadTs: ref.t ?? null,
          }),
        );
      }
    });
    deps.kick();
    await service.record(
      inc.id,
      'diagnostic',
      user,
      `${label} ${result.command.slice(0, 200)} → ${result.ok ? 'ok' : 'failed'}`,
      {
        label,
        command: result.command,
        executor: result.executor,
        ok: result.ok,
        // The result in one line for the postmortem; no hash of an output that does not exist.
        summary: oneLineResult(result),
        outputSha256: result.ok && result.output ? result.outputSha256 : null,
        durationMs: result.durationMs,
        error: result.error,
      },
    );
  }

  async function runRead(inc: Incident, cmd: Command, ref: RunRef, user: string, values: Record<string, string>) {
    const result = await diagnostics.run({ command: cmd, values, incidentId: inc.id });
    await report(inc, ref, user, result);
  }

  async function start(mode: 'read' | 'write', ref: RunRef, user: string, triggerId: string) {
    const inc = await service.get(ref.i);
    const cmd = lookup(ref);
    await service.record(inc.id, 'click', user, `clicked Run on ${cmd.text.slice(0, 200)}`, {
      command: cmd.text,
      commandId: cmd.id,
      risk: cmd.risk,
    });
    await authorize(inc, cmd, user);
    const values = await valuesFor(inc);
    const missing = diagnostics.missing(cmd, values);
    if (missing.length) {
      await app.client.views.open({ trigger_id: triggerId, view: valuesModal(ref, cmd, missing, mode) as never });
      return;
    }
    await proceed(mode, inc, cmd, ref, user, values, triggerId);
  }

  async function proceed(
    mode: 'read' | 'write',
    inc: Incident,
    cmd: Command,
    ref: RunRef,
    user: string,
    values: Record<string, string>,
    triggerId: string | null,
  ): Promise<unknown> {
    if (mode === 'read') return runRead(inc, cmd, ref, user, values);
    let plan: WritePlan;
    try {
      plan = await diagnostics.planWrite({ command: cmd, values, incidentId: inc.id });
    } catch (err) {
      if (err instanceof UserFacingError) {
        throw new UserFacingError(
          `${err.message}\nCopy it and run it yourself if it is the right call:\n${codeBlock(cmd.text, 1500)}`,
        );
      }
      throw err;
    }
    const view = confirmModal(ref, plan);
    if (triggerId) await app.client.views.open({ trigger_id: triggerId, view: view as never });
    return view;
  }

  const refFrom = (body: unknown, action: unknown): RunRef => {
    const ref = JSON.parse((action as { value?: string }).value ?? '{}') as RunRef;
    const msg = (body as { message?: { ts: string; thread_ts?: string } }).message;
    return { ...ref, t: msg?.thread_ts ?? msg?.ts };
  };

  for (const [actionId, mode] of [
    ['diag_run', 'read'],
    ['diag_write', 'write'],
  ] as const) {
    app.action(actionId, async ({ ack, body, action, respond }) => {
      await ack();
      try {
        await start(mode, refFrom(body, action), body.user.id, (body as { trigger_id?: string }).trigger_id ?? '');
      } catch (err) {
        const ref = refFrom(body, action);
        await respond({
          ...errorReply(err, logger.child({ incidentId: ref.i, user: body.user.id, commandId: ref.c })),
          replace_original: false,
        });
      }
    });
  }

  app.view('diag_values', async ({ ack, view, body }) => {
    const meta = JSON.parse(view.private_metadata) as RunRef & { mode: 'read' | 'write' };
    const user = body.user.id;
    try {
      const inc = await service.get(meta.i);
      const cmd = lookup(meta);
      const values = await valuesFor(inc);
      for (const [blockId, v] of Object.entries(
        view.state.values as Record<string, Record<string, { value?: string | null }>>,
      )) {
        if (blockId.startsWith('p:')) values[blockId.slice(2)] = (v.value?.value ?? '').trim();
      }
      try {
        diagnostics.resolve(cmd, values);
      } catch (err) {
        if (err instanceof ValidationError || err instanceof UserFacingError) {
          const field = (err as ValidationError).field;
          const blockId =
            field && `p:${field}` in view.state.values
              ? `p:${field}`
              : Object.keys(view.state.values).find((k) => k.startsWith('p:'));
          await ack({ response_action: 'errors', errors: { [blockId ?? 'p:']: err.message.slice(0, 300) } });
          return;
        }
        throw err;
      }
      await authorize(inc, cmd, user);
      if (meta.mode === 'write') {
        const confirm = await proceed('write', inc, cmd, meta, user, values, null);
        await ack({ response_action: 'update', view: confirm as never });
        return;
      }
      await ack();
      await runRead(inc, cmd, meta, user, values);
    } catch (err) {
      await ack({
        response_action: 'errors',
        errors: {
          [Object.keys(view.state.values)[0] ?? 'x']: errorReply(
            err,
            logger.child({ incidentId: meta.i, user, commandId: meta.c }),
          ).text.slice(0, 300),
        },
      }).catch(() => {});
    }
  });

  app.view('diag_confirm', async ({ ack, view, body }) => {
    await ack();
    const { ref, plan } = JSON.parse(view.private_metadata) as { ref: RunRef; plan: WritePlan };
    const user = body.user.id;
    try {
      const inc = await service.get(ref.i);
      const cmd = lookup(ref);
      // Roles may have changed while the dialog was open: check again before touching anything.
      await authorize(inc, cmd, user);
      const result = await diagnostics.applyWrite(plan);
      await report(inc, ref, user, result, `applied (${plan.description})`);
    } catch (err) {
      logger.error({ err, incidentId: ref.i, user, commandId: ref.c }, 'write action failed');
    }
  });

  /** Files go through the outbox too: the full output of a long diagnostic. */
  const fileHandler =
    (caller: { client: App['client'] }): OutboxHandler =>
    async (row) => {
      const inc = await service.get(row.incidentId!);
      if (!inc.channelId) throw new Error(`${incidentRef(inc)} has no channel yet`);
      const p = row.payload as { content: string; filename: string; title: string; threadTs?: string | null };
      const args = { channel_id: inc.channelId, content: p.content, filename: p.filename, title: p.title };
      await caller.client.filesUploadV2(p.threadTs ? { ...args, thread_ts: p.threadTs } : args);
      return { sha256: createHash('sha256').update(p.content).digest('hex') };
    };

  return { fileHandler };
}

/** A diagnostic's result in one line: the error, else the row count or the first line of output (with a count). */
export function oneLineResult(r: Pick<DiagnosticResult, 'ok' | 'output' | 'error' | 'rows'>): string {
  if (!r.ok) return (r.error ?? 'failed').split('\n')[0]!.slice(0, 160);
  const lines = r.output.split('\n').filter((l) => l.trim());
  if (typeof r.rows === 'number') return `${r.rows} row${r.rows === 1 ? '' : 's'}`;
  if (!lines.length) return 'no output';
  const first = lines[0]!.trim().replace(/\s+/g, ' ').slice(0, 120);
  return lines.length === 1 ? first : `${first} (+${lines.length - 1} more line${lines.length === 2 ? '' : 's'})`;
}
