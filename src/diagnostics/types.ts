import { UserFacingError } from '../errors.js';
import type { Command } from '../runbooks/schema.js';

/** The parts of a runbook `Command` the executors read; a full `Command` satisfies it. */
export type DiagCommand = Pick<Command, 'text' | 'executor' | 'risk'> &
  Partial<Pick<Command, 'id' | 'line' | 'placeholders' | 'query' | 'runnable' | 'range'>>;

/** A command with its placeholders filled and validated, tokenised without a shell. */
export interface ResolvedCommand {
  executor: Command['executor'];
  risk: Command['risk'];
  /** What we show: the command text with values filled in (pipes and what follows included, but not run). */
  display: string;
  /** Tokens of the first command of the line, placeholders filled. Empty for bare SQL/PromQL/Redis. */
  argv: string[];
  /** The executor's own language (SQL, PromQL, a Redis command) when known, filled. */
  query: string | null;
  /** The runbook's `query_range` start/end/step (`Command.range`), placeholders filled; null for other commands. */
  range?: { start: string | null; end: string | null; step: string | null } | null;
  /** Text after a pipe that is shown but never run, e.g. `| grep -i error`. */
  dropped: string | null;
  /** The placeholder values used, by placeholder name as written. */
  values: Record<string, string>;
  /** argv and query before placeholders were filled: SQL binds its placeholders as parameters instead. */
  template?: { argv: string[]; query: string | null };
}

export interface DiagnosticResult {
  ok: boolean;
  executor: string;
  /** The resolved command, for display. */
  command: string;
  /** Full output text. */
  output: string;
  /** Truncated for Slack (<= 2900 chars). */
  preview: string;
  truncated: boolean;
  outputSha256: string;
  durationMs: number;
  /** User-facing error, null when ok. */
  error: string | null;
  rows?: number;
}

/** A write the bot can perform, described from the live object so the confirmation shows exactly what changes. */
export interface WritePlan {
  kind: 'scale' | 'rollout-restart' | 'rollout-undo';
  namespace: string;
  /** e.g. "deployment/api" */
  resource: string;
  name: string;
  /** "Scale deployment prod/api from 3 to 5 replicas" */
  description: string;
  /** The resolved command as shown. */
  command: string;
  before: Record<string, unknown>;
  after: Record<string, unknown>;
  /** resourceVersion the plan was read at; apply refuses when the object changed since. */
  resourceVersion: string;
  incidentId: number;
}

/** Too many diagnostics at once, globally or for this incident. */
export class BusyError extends UserFacingError {
  constructor(message: string) {
    super(message, 'busy');
  }
}

/** A command we will not run (unsupported form, unsafe syntax, not read-only). */
export class RefusedError extends UserFacingError {
  constructor(message: string) {
    super(message, 'refused');
  }
}
