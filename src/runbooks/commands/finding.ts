import type { Executor, Risk } from '../schema.js';

/**
 * The shared vocabulary of the per-tool command grammars: what one part of a command does, how risky it is, and
 * what stands between it and the bot's executors.
 */

/** One thing a command does. A command's risk is the highest of its findings. */
export interface Finding {
  executor: Executor;
  risk: Risk;
  /** What it does, as a clause: "reads container logs (kubectl logs)". */
  what: string;
  /** Why the bot cannot run it, even when the executor exists; null when nothing stands in the way. */
  blocker: string | null;
  query: string | null;
  /** start/end/step of a Prometheus `query_range` call. */
  range?: { start: string | null; end: string | null; step: string | null } | null;
}

export const RISK_ORDER: Record<Risk, number> = { read: 0, write: 1, exec: 2, destructive: 3 };

/** Builds a Finding. */
export const f = (
  executor: Executor,
  risk: Risk,
  what: string,
  blocker: string | null = null,
  query: string | null = null,
): Finding => ({ executor, risk, what, blocker, query });

/** Classifies what a command wraps: `kubectl exec -- …` words, `ssh host '…'` text. */
export interface Nested {
  inner(words: string[]): Finding[];
  text(text: string): Finding[];
}

/** Skips `-n ns`, `--context=x` style flags; returns positional words (flags that take a value eat it). */
export function positionals(words: string[], valued: RegExp): string[] {
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w === '--') break;
    if (w.startsWith('-')) {
      if (!w.includes('=') && valued.test(w)) i++;
      continue;
    }
    out.push(w);
  }
  return out;
}

export const hasFlag = (words: string[], re: RegExp) => words.some((w) => re.test(w));
