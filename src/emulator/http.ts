import type { IncomingMessage } from 'node:http';
import { readBody as readLimited } from '../http/body.js';

/** Largest body the emulator reads (Slack's own limit for file uploads is far larger; tests never need it). */
const MAX_BODY_BYTES = 20 * 1024 * 1024;

export { PayloadTooLargeError as BodyTooLargeError, sendJson, sendText } from '../http/body.js';

export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  return readLimited(req, limit);
}

export interface MultipartPart {
  name: string;
  filename?: string;
  contentType?: string;
  data: Buffer;
}

/** Minimal multipart/form-data parser: enough for WebClient's file upload (one or a few parts). */
export function parseMultipart(body: Buffer, contentType: string): MultipartPart[] {
  const m = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  if (!m) return [];
  const boundary = Buffer.from(`--${m[1] ?? m[2]}`);
  const parts: MultipartPart[] = [];
  let start = body.indexOf(boundary);
  while (start >= 0) {
    const next = body.indexOf(boundary, start + boundary.length);
    if (next < 0) break;
    // Each part: CRLF, headers, CRLF CRLF, data, CRLF, boundary.
    const chunk = body.subarray(start + boundary.length + 2, next - 2);
    const headerEnd = chunk.indexOf('\r\n\r\n');
    if (headerEnd >= 0) {
      const headers = chunk.subarray(0, headerEnd).toString('utf8');
      const name = /name="([^"]*)"/i.exec(headers)?.[1] ?? '';
      const filename = /filename="([^"]*)"/i.exec(headers)?.[1];
      const ct = /content-type:\s*([^\r\n]+)/i.exec(headers)?.[1];
      parts.push({ name, filename, contentType: ct, data: chunk.subarray(headerEnd + 4) });
    }
    start = next;
  }
  return parts;
}

export type FormValue = string | Buffer;

/** Parses a Web API request body the way Slack does: form-encoded, JSON or multipart. */
export function parseApiBody(raw: Buffer, contentType = ''): Record<string, unknown> {
  const ct = contentType.toLowerCase();
  if (raw.length === 0) return {};
  if (ct.includes('application/json')) {
    const parsed: unknown = JSON.parse(raw.toString('utf8'));
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  }
  if (ct.includes('multipart/form-data')) {
    const out: Record<string, unknown> = {};
    for (const p of parseMultipart(raw, contentType))
      out[p.name] = p.filename !== undefined ? p.data : p.data.toString('utf8');
    return out;
  }
  return Object.fromEntries(new URLSearchParams(raw.toString('utf8')));
}
