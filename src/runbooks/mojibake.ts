/**
 * Repairs UTF-8 text that was once decoded as Latin-1 / Windows-1252 ("ðŸš¨" → "🚨", "â†“" → "↓").
 * Each suspicious run is turned back into bytes and re-decoded; runs that are not valid UTF-8 stay as they are,
 * so genuine Latin-1 text ("Größe", "naïve") is left alone.
 */

/** Windows-1252 code points in 0x80..0x9F that differ from Latin-1, mapped back to their byte. */
const CP1252_BYTE: ReadonlyMap<number, number> = new Map([
  [0x20ac, 0x80],
  [0x201a, 0x82],
  [0x0192, 0x83],
  [0x201e, 0x84],
  [0x2026, 0x85],
  [0x2020, 0x86],
  [0x2021, 0x87],
  [0x02c6, 0x88],
  [0x2030, 0x89],
  [0x0160, 0x8a],
  [0x2039, 0x8b],
  [0x0152, 0x8c],
  [0x017d, 0x8e],
  [0x2018, 0x91],
  [0x2019, 0x92],
  [0x201c, 0x93],
  [0x201d, 0x94],
  [0x2022, 0x95],
  [0x2013, 0x96],
  [0x2014, 0x97],
  [0x02dc, 0x98],
  [0x2122, 0x99],
  [0x0161, 0x9a],
  [0x203a, 0x9b],
  [0x0153, 0x9c],
  [0x017e, 0x9e],
  [0x0178, 0x9f],
]);

const decoder = new TextDecoder('utf-8', { fatal: true });

/** The byte a character stood for when the text was misread, or -1. */
function byteOf(ch: number): number {
  if (ch <= 0xff) return ch;
  return CP1252_BYTE.get(ch) ?? -1;
}

/** How many continuation bytes a UTF-8 lead byte announces (0 when it is not a multi-byte lead). */
function continuationCount(lead: number): number {
  if (lead >= 0xc2 && lead <= 0xdf) return 1;
  if (lead >= 0xe0 && lead <= 0xef) return 2;
  if (lead >= 0xf0 && lead <= 0xf4) return 3;
  return 0;
}

export interface MojibakeRepair {
  text: string;
  /** 1-based lines where something was repaired, with the first bad and repaired snippet. */
  repairs: { line: number; from: string; to: string }[];
}

export function repairMojibake(text: string): MojibakeRepair {
  const lead = /[\u00c2-\u00f4]/g;
  // Fast path: misread UTF-8 always starts with a character in U+00C2..U+00F4.
  if (!lead.test(text)) return { text, repairs: [] };
  lead.lastIndex = 0;
  const out: string[] = [];
  const repairs: MojibakeRepair['repairs'] = [];
  let copied = 0; // text before this index is already in `out`
  let line = 1;
  let counted = 0; // newlines before this index are already in `line`
  for (let m = lead.exec(text); m; m = lead.exec(text)) {
    const i = m.index;
    const need = continuationCount(text.charCodeAt(i));
    const bytes = [text.charCodeAt(i)];
    for (let k = 1; k <= need && i + k < text.length; k++) {
      const b = byteOf(text.charCodeAt(i + k));
      if (b < 0x80 || b > 0xbf) break;
      bytes.push(b);
    }
    if (bytes.length !== need + 1) continue;
    let fixed: string;
    try {
      fixed = decoder.decode(Uint8Array.from(bytes));
    } catch {
      continue; // not valid UTF-8: genuine Latin-1 text, keep it
    }
    for (let j = counted; j < i; j++) if (text.charCodeAt(j) === 10) line++;
    counted = i;
    if (repairs.at(-1)?.line !== line) repairs.push({ line, from: text.slice(i, i + need + 1), to: fixed });
    out.push(text.slice(copied, i), fixed);
    copied = i + need + 1;
    lead.lastIndex = copied;
  }
  out.push(text.slice(copied));
  return { text: out.join(''), repairs };
}
