import { readFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { NotFoundError, ValidationError } from '../errors.js';
import { parseTemplate, stripFence, type TemplateLike } from './template.js';

/**
 * Reads a communication template from a `templates/` file named in config. A Markdown file holding one fenced
 * block uses that block; otherwise the whole file is the template. With `baseDir`, the path must stay inside it.
 */
export async function loadTemplateFile(path: string, baseDir?: string): Promise<Required<TemplateLike>> {
  const full = baseDir ? resolve(baseDir, path) : resolve(path);
  if (baseDir) {
    const rel = relative(resolve(baseDir), full);
    if (rel.startsWith('..') || isAbsolute(rel))
      throw new ValidationError(`Template "${path}" is outside ${baseDir}; name a file inside it.`, 'template');
  }
  let raw: string;
  try {
    raw = await readFile(full, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new NotFoundError(`Template file ${full} does not exist.`);
    throw new ValidationError(`Template file ${full} cannot be read (${code ?? 'error'}).`, 'template');
  }
  const text = raw.replace(/^---\n[\s\S]*?\n---\n/, '');
  const fences = [...text.matchAll(/^(```|~~~)[^\n]*\n([\s\S]*?)^\1\s*$/gm)];
  const body = fences.length === 1 ? fences[0]![2]!.replace(/\n$/, '') : stripFence(text);
  if (!body.trim()) throw new ValidationError(`Template file ${full} is empty.`, 'template', 1);
  const line = fences.length === 1 ? text.slice(0, fences[0]!.index).split('\n').length + 1 : 1;
  return { line, text: body, fields: [...new Set(parseTemplate(body).fields.map((f) => f.key))] };
}
