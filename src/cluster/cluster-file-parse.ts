import { LineCounter, parseDocument, visit, type Document } from 'yaml';
import { readBounded } from '../base/read-bounded.js';

/**
 * A cluster file describes a handful of machines in a few kilobytes. These limits are far
 * beyond any real one and keep a hostile or mistaken file (an alias bomb, a log, a disk image,
 * 100,000 nested brackets) from exhausting memory or the stack before it is refused.
 */
export const CLUSTER_FILE_LIMITS = {
  bytes: 1024 * 1024,
  /** Open [ and { at once: the schema's deepest value is four levels down. */
  flowDepth: 32,
  /** The column where a line's content starts (block nesting, `- - - x` included). */
  indentColumns: 256,
  /** Values an alias may expand to in all, as yaml counts them (its own default is 100). */
  aliasCount: 100,
} as const;

/** One problem in a cluster file, where it is (JSON path, and line/column in the file), and what to do. */
export interface ClusterIssue {
  code: string;
  path: string;
  line: number | undefined;
  column: number | undefined;
  message: string;
  fix: string;
}

export type ParsedClusterFile = { data: unknown; document: Document; lines: LineCounter; issues: [] } | { issues: ClusterIssue[] };

/**
 * Reads a cluster file and turns it into plain data, or into issues that say where and why it
 * cannot be: too large, not UTF-8 text, nested too deep, a YAML/JSON syntax error, a duplicate
 * key, a tag (!!js/function, !foo), more than one document or none, or an alias bomb. Nothing here
 * throws for a bad file except the size check (a DhError naming the file, exit 3).
 */
export async function parseClusterFile(file: string): Promise<ParsedClusterFile> {
  const bytes = await readBounded(file, CLUSTER_FILE_LIMITS.bytes, {
    noun: 'a cluster file',
    fix: 'check the path: a cluster file is a small YAML or JSON file describing the pods',
    code: 'CLUSTER_FILE_TOO_LARGE',
  });
  const decoded = decodeText(bytes);
  if (typeof decoded !== 'string') return { issues: [decoded] };
  const deep = nestingIssue(decoded);
  if (deep) return { issues: [deep] };
  const lines = new LineCounter();
  let document: Document;
  try {
    document = parseDocument(decoded, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  } catch (error) {
    // The nesting screen should make this unreachable; a stack overflow still must not become exit 1.
    return { issues: [exhausted(error)] };
  }
  const at = (offset: number) => lines.linePos(offset);
  const problems = [...document.errors, ...document.warnings].map((error): ClusterIssue => {
    const pos = at(error.pos[0]);
    const known = YAML_CODES[error.code];
    return {
      code: known?.code ?? 'CLUSTER_SYNTAX',
      path: '',
      line: pos.line,
      column: pos.col,
      message: known?.message?.(error.message) ?? error.message.split('\n')[0]!,
      fix: known?.fix ?? 'fix the YAML/JSON syntax',
    };
  });
  if (problems.length > 0) return { issues: problems };
  if (document.contents === null) {
    return { issues: [{ code: 'CLUSTER_EMPTY', path: '', line: 1, column: 1, message: 'holds no document (empty, or comments only)', fix: 'describe the cluster: cluster: NAME, then pods: (see schema/cluster.schema.json)' }] };
  }
  try {
    return { data: document.toJS({ maxAliasCount: CLUSTER_FILE_LIMITS.aliasCount }), document, lines, issues: [] };
  } catch (error) {
    if (error instanceof ReferenceError && /alias/i.test(error.message)) {
      const pos = firstAlias(document);
      return {
        issues: [{
          code: 'CLUSTER_ALIAS_LIMIT',
          path: '',
          line: pos === undefined ? undefined : at(pos).line,
          column: pos === undefined ? undefined : at(pos).col,
          message: `aliases expand to more than ${CLUSTER_FILE_LIMITS.aliasCount} values (an alias bomb)`,
          fix: 'write the values out, or use fewer aliases (*name)',
        }],
      };
    }
    return { issues: [exhausted(error)] };
  }
}

/** yaml's error codes that deserve a message and fix of their own. */
const YAML_CODES: Record<string, { code: string; fix: string; message?: (text: string) => string }> = {
  DUPLICATE_KEY: { code: 'CLUSTER_DUPLICATE_KEY', fix: 'keep one of them: a key appears once per map (JSON too), otherwise which value wins is a guess' },
  TAG_RESOLVE_FAILED: {
    code: 'CLUSTER_TAG',
    message: (text) => `${text.split('\n')[0]!.replace(/^Unresolved tag: /, 'tag ')} is not allowed`,
    fix: 'remove the tag: a cluster file holds plain strings, numbers, lists and maps',
  },
  BAD_TAG: { code: 'CLUSTER_TAG', fix: 'remove the tag: a cluster file holds plain strings, numbers, lists and maps' },
  MULTIPLE_DOCS: { code: 'CLUSTER_MULTIPLE_DOCUMENTS', message: () => 'holds more than one document (---)', fix: 'keep one document per cluster file' },
};

/** UTF-8 text without control characters; anything else is binary, or the wrong file. */
function decodeText(bytes: Buffer): string | ClusterIssue {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    // The lossy decoding marks the first invalid sequence with U+FFFD (or an earlier genuine one).
    const lossy = bytes.toString('utf8');
    return notText(lossy.slice(0, Math.max(0, lossy.indexOf('\ufffd'))), 'it is not UTF-8');
  }
  // Tab, line feed and carriage return are text; other C0 controls and DEL are not YAML.
  const control = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.exec(text);
  if (control) return notText(text.slice(0, control.index), `it holds the control character U+${control[0].charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()}`);
  return text;
}

function notText(before: string, why: string): ClusterIssue {
  const { line, column } = positionAfter(before);
  return { code: 'CLUSTER_NOT_TEXT', path: '', line, column, message: `is not a YAML or JSON text file (${why})`, fix: 'check the path: a cluster file is UTF-8 text' };
}

/**
 * Measures nesting from the text, before the parser (which recurses per level) sees it: open
 * flow brackets outside quotes and comments, and the column where each line's content starts
 * once leading block indicators (`- `, `? `) are skipped. Brackets in plain text may be counted
 * too; no real cluster file comes near the limit either way.
 */
function nestingIssue(text: string): ClusterIssue | undefined {
  let depth = 0;
  let quote: '"' | "'" | undefined;
  let comment = false;
  let line = 1;
  let lineStart = 0;
  let atLineStart = true;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\n') {
      line++;
      lineStart = i + 1;
      atLineStart = true;
      comment = false;
      continue;
    }
    if (atLineStart) {
      if (c === ' ' || c === '\t' || ((c === '-' || c === '?') && /[ \t]/.test(text[i + 1] ?? ''))) {
        if (i - lineStart >= CLUSTER_FILE_LIMITS.indentColumns) {
          return tooDeep(line, i - lineStart + 1, `content starts beyond column ${CLUSTER_FILE_LIMITS.indentColumns}`);
        }
        continue;
      }
      atLineStart = false;
    }
    if (comment) continue;
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) comment = true;
    else if (c === '[' || c === '{') {
      depth++;
      if (depth > CLUSTER_FILE_LIMITS.flowDepth) return tooDeep(line, i - lineStart + 1, `more than ${CLUSTER_FILE_LIMITS.flowDepth} [ or { are open at once`);
    } else if ((c === ']' || c === '}') && depth > 0) depth--;
  }
  return undefined;
}

function tooDeep(line: number, column: number, why: string): ClusterIssue {
  return { code: 'CLUSTER_TOO_DEEP', path: '', line, column, message: `is nested too deeply (${why})`, fix: 'flatten it: a cluster file is a few levels deep (pods, then each pod\'s keys)' };
}

function exhausted(error: unknown): ClusterIssue {
  if (!(error instanceof RangeError)) throw error;
  return { code: 'CLUSTER_TOO_DEEP', path: '', line: undefined, column: undefined, message: `is nested too deeply to read (${error.message})`, fix: 'flatten it: a cluster file is a few levels deep (pods, then each pod\'s keys)' };
}

function positionAfter(text: string): { line: number; column: number } {
  const lastBreak = text.lastIndexOf('\n');
  return { line: (text.match(/\n/g)?.length ?? 0) + 1, column: text.length - lastBreak };
}

function firstAlias(document: Document): number | undefined {
  let offset: number | undefined;
  visit(document, {
    Alias(_key, node) {
      offset = node.range?.[0];
      return visit.BREAK;
    },
  });
  return offset;
}
