import { type Finding, f, hasFlag, positionals } from './finding.js';
import { DATA_FLAGS, readPromApiCall } from './prometheus-api.js';

/** Grammar of curl/wget and HTTP request lines; Prometheus API URLs become PromQL queries. */
const CURL_VALUED =
  /^(-X|--request|-H|--header|-d|--data|--data-raw|--data-binary|--data-urlencode|--data-ascii|-o|--output|-w|--write-out|-u|--user|-A|--user-agent|-e|--referer|-m|--max-time|--connect-timeout|-F|--form|--cacert|--cert|--key|-b|--cookie|-c|--cookie-jar|--retry|-x|--proxy|-T|--upload-file|--resolve)$/;

export function curlFinding(args: string[]): Finding {
  const flagValue = (re: RegExp) => {
    for (let i = 0; i < args.length; i++) {
      const w = args[i]!;
      const eq = /^(--?[\w-]+)=(.*)$/.exec(w);
      if (eq && re.test(eq[1]!)) return eq[2]!;
      if (re.test(w)) return args[i + 1] ?? '';
    }
    return null;
  };
  const url = positionals(args, CURL_VALUED).find((w) => /^(https?:\/\/|[\w.-]+(:\d+)?\/|<)/.test(w)) ?? '';
  const data = args.filter((_, i) => DATA_FLAGS.test(args[i - 1] ?? ''));
  const explicit = flagValue(/^(-X|--request)$/);
  const head = hasFlag(args, /^(-I|--head)$/);
  const method = (
    explicit ?? (head ? 'HEAD' : data.length && !hasFlag(args, /^(-G|--get)$/) ? 'POST' : 'GET')
  ).toUpperCase();
  const output = flagValue(/^(-o|--output)$/);
  const localFile =
    (output && output !== '/dev/null' && output !== '-' ? `it saves the response to ${output}` : null) ??
    ([...data, flagValue(/^(-w|--write-out)$/) ?? '', flagValue(/^(-T|--upload-file)$/) ?? ''].some((d) =>
      d.startsWith('@'),
    )
      ? 'it reads a local file (@file)'
      : null);
  const call = readPromApiCall(
    url,
    args.flatMap((w, i) => (DATA_FLAGS.test(args[i - 1] ?? '') ? [{ flag: args[i - 1]!, value: w }] : [])),
  );
  if (call?.range) {
    const { range, query } = call;
    const window = [
      range.start && `start ${range.start}`,
      range.end && `end ${range.end}`,
      range.step && `step ${range.step}`,
    ]
      .filter(Boolean)
      .join(', ');
    return {
      ...f('prometheus', 'read', `runs a PromQL range query${window ? ` (${window})` : ''}`, localFile, query),
      range,
    };
  }
  if (call) {
    return f(
      'prometheus',
      'read',
      call.query ? 'runs a PromQL query' : 'reads the Prometheus API',
      localFile,
      call.query,
    );
  }
  return httpMethodFinding(method, url, localFile);
}

export function httpMethodFinding(method: string, url: string, blocker: string | null = null): Finding {
  const host = /^(?:https?:\/\/)?([^/?#]+)/.exec(url)?.[1] ?? 'a URL';
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') {
    return f('http', 'read', `sends an HTTP ${method} to ${host}`, blocker);
  }
  if (method === 'DELETE') return f('http', 'destructive', `sends an HTTP DELETE to ${host}`);
  return f('http', 'write', `sends an HTTP ${method} to ${host}`, blocker);
}

export function wgetFinding(args: string[]): Finding {
  const toStdout = args.some((w, i) => /^-[a-zA-Z]*O-$/.test(w) || (/^-[a-zA-Z]*O$/.test(w) && args[i + 1] === '-'));
  const url = args.find((w) => /^https?:\/\//.test(w)) ?? '';
  return httpMethodFinding('GET', url, toStdout ? null : 'it saves the response to a file');
}
