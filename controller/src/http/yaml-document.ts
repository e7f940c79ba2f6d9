/**
 * A bounded YAML reader for documents from outside (flags-as-code imports, policy files): the
 * text cannot crash the process, balloon past the size it came in, or smuggle in types JSON does
 * not have. Problems are values, each with a code and, where there is one, a line and column.
 *
 * In order, each step bounding the next:
 * 1. UTF-8 is decoded strictly (a replacement character would silently change keys and values).
 * 2. The raw size, and a linear scan of the tokens (yaml-shape-scan.ts) for a depth bound and a
 *    node count, before any tree is built.
 * 3. The `yaml` parser, with the YAML 1.2 core schema whatever the document's `%YAML` directive
 *    says (no merge keys, no `!!binary`, `!!set`, `!!timestamp`), and without its own duplicate
 *    key check (a linear search per key: 600,000 keys took minutes); the walk below does it.
 * 4. One walk over the nodes, in document order, that converts them to plain values and measures
 *    what aliases expand to: each node's size as JSON and its depth are computed once and an
 *    alias adds its anchor's numbers, so a billion-laughs document is refused from its measured
 *    size without ever being expanded. An alias shares its anchor's value, as `yaml`'s own
 *    `toJS` does; what a reader of the value can traverse is bounded by the expanded size.
 */
import { type Document, isAlias, isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { scanYamlShape } from './yaml-shape-scan.ts';

export interface YamlLimits {
  /** Bytes of the raw text, and of the expanded document serialised as JSON. */
  maxBytes: number;
  /** Nesting of collections in the expanded value (the JSON body limit). */
  maxDepth: number;
  /** Nodes (scalars, aliases, collections, item indicators), counted before parsing. */
  maxNodes: number;
}

export type YamlProblemCode =
  | 'INVALID_UTF8'
  | 'TOO_LARGE'
  | 'TOO_DEEP'
  | 'TOO_MANY_NODES'
  | 'INVALID_YAML'
  | 'UNSUPPORTED_TAG'
  | 'ALIAS_EXPANSION'
  | 'RECURSIVE_ALIAS'
  | 'NON_SCALAR_KEY'
  | 'DUPLICATE_KEY';

export interface YamlProblem {
  code: YamlProblemCode;
  /** What is wrong, with the position when known ("line 3, column 7: ..."). */
  message: string;
  line?: number;
  column?: number;
}

export type YamlRead = { ok: true; value: unknown } | { ok: false; problem: YamlProblem };

/**
 * The tags of the YAML 1.2 core schema, the only ones whose values JSON can hold, and `!` (the
 * non-specific tag: a string, or the plain collection).
 */
const CORE_TAGS = new Set([
  '!',
  ...['str', 'int', 'float', 'bool', 'null', 'seq', 'map'].map((t) => `tag:yaml.org,2002:${t}`),
]);
const shortTag = (tag: string) => tag.replace(/^tag:yaml\.org,2002:/, '!!');

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes UTF-8 strictly; undefined when the bytes are not valid UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

const KiB = (n: number) => (n >= 1024 * 1024 ? `${n / (1024 * 1024)} MiB` : `${n / 1024} KiB`);

class Refusal extends Error {
  constructor(readonly problem: YamlProblem) {
    super(problem.message);
  }
}

/** Reads one YAML document within `limits`; never throws. */
export function readYamlDocument(input: Uint8Array | string, limits: YamlLimits): YamlRead {
  const lines = new LineCounter();
  const refuse = (code: YamlProblemCode, message: string, offset?: number): YamlRead => {
    if (offset === undefined) return { ok: false, problem: { code, message } };
    const { line, col } = lines.linePos(offset);
    return { ok: false, problem: { code, message: `line ${line}, column ${col}: ${message}`, line, column: col } };
  };
  const bytes = typeof input === 'string' ? Buffer.byteLength(input) : input.length;
  if (bytes > limits.maxBytes) return refuse('TOO_LARGE', `the document is larger than ${KiB(limits.maxBytes)}`);
  const text = typeof input === 'string' ? input : decodeUtf8(input);
  if (text === undefined) return refuse('INVALID_UTF8', 'the document is not valid UTF-8');
  // Line positions for the scan's problems (the parser fills its own counter below).
  const countLines = (upTo: number) => {
    lines.addNewLine(0);
    for (let i = text.indexOf('\n'); i >= 0 && i < upTo; i = text.indexOf('\n', i + 1)) lines.addNewLine(i + 1);
  };

  // A depth bound at four times the limit: generous for any document within it (the bound
  // counts some collections twice), and far below where a recursive walk overflows the stack.
  const shape = scanYamlShape(text, { maxDepthBound: 4 * limits.maxDepth, maxNodes: limits.maxNodes });
  if (shape.exceeded === 'depth') {
    countLines(shape.offset!);
    return refuse('TOO_DEEP', `the document nests deeper than ${limits.maxDepth} levels`, shape.offset);
  }
  if (shape.exceeded === 'nodes') {
    countLines(shape.offset!);
    return refuse(
      'TOO_MANY_NODES',
      `the document has more than ${limits.maxNodes} nodes (send large imports as JSON)`,
      shape.offset,
    );
  }

  let doc: Document.Parsed;
  try {
    doc = parseDocument(text, {
      schema: 'core',
      merge: false,
      uniqueKeys: false,
      prettyErrors: false,
      lineCounter: lines,
    });
  } catch (error) {
    // Not expected within the bounds above; a parser bug must still be a 400, not a 500.
    return refuse('INVALID_YAML', `the document is not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  const failure = doc.errors[0];
  if (failure) {
    // The parser's own wording, except where it names its API.
    const message =
      failure.code === 'MULTIPLE_DOCS'
        ? 'the text holds more than one YAML document (a second "---"); send one'
        : failure.message.split('\n')[0]!;
    // A known tag the value does not fit (`!!set`, `!!timestamp`): still a tag problem.
    const code = failure.code === 'TAG_RESOLVE_FAILED' ? 'UNSUPPORTED_TAG' : 'INVALID_YAML';
    return refuse(code, `${message} (${failure.code})`, failure.pos[0]);
  }
  try {
    return { ok: true, value: new NodeReader(limits, lines).read(doc.contents) };
  } catch (error) {
    if (error instanceof Refusal) return { ok: false, problem: error.problem };
    return refuse('INVALID_YAML', `the document cannot be read: ${(error as Error).message.split('\n')[0]}`);
  }
}

interface Measured {
  value: unknown;
  /** Bytes of the value serialised as JSON, aliases expanded. */
  size: number;
  /** Collections nested in the value, aliases expanded (a scalar is 0). */
  depth: number;
}

/** One walk in document order; an anchor's measurement is reused by every alias to it. */
class NodeReader {
  private readonly anchors = new Map<string, Node>();
  private readonly done = new Map<Node, Measured>();
  private readonly open = new Set<Node>();

  constructor(
    private readonly limits: YamlLimits,
    private readonly lines: LineCounter,
  ) {}

  read(root: Node | null): unknown {
    if (root === null) return null;
    const m = this.node(root, 0);
    this.checkSize(m.size, root);
    return m.value;
  }

  private fail(
    code: YamlProblemCode,
    message: string,
    node: { range?: [number, number, number] | null } | null,
  ): never {
    const offset = node?.range?.[0];
    if (offset === undefined) throw new Refusal({ code, message });
    const { line, col } = this.lines.linePos(offset);
    throw new Refusal({ code, message: `line ${line}, column ${col}: ${message}`, line, column: col });
  }

  private checkSize(size: number, node: Node) {
    if (size > this.limits.maxBytes) {
      this.fail(
        'ALIAS_EXPANSION',
        `the document expands to more than ${KiB(this.limits.maxBytes)} as JSON (aliases count at their expanded size)`,
        node,
      );
    }
  }

  private node(node: Node, depth: number): Measured {
    if (isAlias(node)) {
      const target = this.anchors.get(node.source);
      if (target === undefined) this.fail('INVALID_YAML', `the alias *${node.source} has no anchor before it`, node);
      if (this.open.has(target))
        this.fail('RECURSIVE_ALIAS', `the alias *${node.source} refers to a collection that contains it`, node);
      const m = this.done.get(target)!;
      if (depth + m.depth > this.limits.maxDepth)
        this.fail('TOO_DEEP', `the document nests deeper than ${this.limits.maxDepth} levels (aliases expanded)`, node);
      return m;
    }
    if (node.tag !== undefined && !CORE_TAGS.has(node.tag)) {
      this.fail(
        'UNSUPPORTED_TAG',
        `the tag ${shortTag(node.tag)} is not supported (only the YAML 1.2 core schema: !!str, !!int, !!float, !!bool, !!null, !!seq, !!map)`,
        node,
      );
    }
    if (node.anchor) this.anchors.set(node.anchor, node);
    this.open.add(node);
    const m = this.measure(node, depth);
    this.open.delete(node);
    this.done.set(node, m);
    this.checkSize(m.size, node);
    return m;
  }

  private measure(node: Node, depth: number): Measured {
    if (isScalar(node)) {
      const json = JSON.stringify(node.value) ?? 'null';
      return { value: node.value, size: Buffer.byteLength(json), depth: 0 };
    }
    if (depth + 1 > this.limits.maxDepth)
      this.fail('TOO_DEEP', `the document nests deeper than ${this.limits.maxDepth} levels`, node);
    if (isSeq(node)) {
      const value: unknown[] = [];
      let size = 2 + Math.max(0, node.items.length - 1);
      let inner = 0;
      for (const item of node.items) {
        const m = this.child(item as Node | null, depth + 1);
        value.push(m.value);
        size += m.size;
        inner = Math.max(inner, m.depth);
      }
      return { value, size, depth: inner + 1 };
    }
    if (isMap(node)) {
      const value: Record<string, unknown> = {};
      const seen = new Set<string>();
      let size = 2 + Math.max(0, node.items.length - 1);
      let inner = 0;
      for (const pair of node.items) {
        const keyNode = pair.key as Node | null;
        const k = keyNode === null ? { value: null, size: 4, depth: 0 } : this.child(keyNode, depth + 1);
        if (k.depth > 0)
          this.fail('NON_SCALAR_KEY', 'a map key must be a scalar (a string, number, boolean or null)', keyNode);
        const key = k.value === null ? '' : String(k.value);
        if (seen.has(key))
          this.fail('DUPLICATE_KEY', `the key ${JSON.stringify(key).slice(0, 200)} appears twice in one map`, keyNode);
        seen.add(key);
        const v = this.child(pair.value as Node | null, depth + 1);
        // Own data properties, like JSON.parse: a "__proto__" key is a key, not a prototype.
        Object.defineProperty(value, key, { value: v.value, enumerable: true, writable: true, configurable: true });
        size += Buffer.byteLength(JSON.stringify(key)) + 1 + v.size;
        inner = Math.max(inner, v.depth);
      }
      return { value, size, depth: inner + 1 };
    }
    // Pairs outside maps (a `!!pairs`/`!!omap` form) are refused by their tag above; anything else is unknown.
    return this.fail('INVALID_YAML', `unexpected ${isPair(node) ? 'pair' : 'node'} in the document`, node);
  }

  private child(node: Node | null, depth: number): Measured {
    if (node === null) return { value: null, size: 4, depth: 0 };
    return this.node(node, depth);
  }
}
