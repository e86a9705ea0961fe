/**
 * kubectl's flag vocabulary shared by the runbook classifier (commands/kubectl.ts) and the Kubernetes executor's
 * argument reader (diagnostics/kubectl-args.ts). A leaf module: it imports nothing.
 */

/** Flags that make kubectl stream until stopped (`logs -f`, `get -w`); `-f` of apply/create names a file instead. */
export const KUBECTL_STREAM_FLAGS: ReadonlySet<string> = new Set(['-f', '--follow', '-w', '--watch', '--watch-only']);

/**
 * Flags that choose a cluster, user or credentials other than those kubectl is configured with: the bot only ever
 * uses its own, so the executor refuses them and the classifier says so.
 */
export const KUBECTL_CREDENTIAL_FLAG =
  /^(--(context|kubeconfig|cluster|user|server|token|as|as-group|as-uid|certificate-authority|client-certificate|client-key|insecure-skip-tls-verify|username|password)\b|-s$)/;

/** The first credential flag of kubectl args (`--context`), or null. */
export function credentialFlag(args: readonly string[]): string | null {
  const a = args.find((w) => KUBECTL_CREDENTIAL_FLAG.test(w));
  return a ? a.split('=')[0]! : null;
}
