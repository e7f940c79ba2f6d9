/**
 * A linear scan of a YAML text, before anything builds a tree from it: an upper bound of its
 * nesting depth and of its node count. The `yaml` package composes and converts recursively, and
 * a stack overflow inside it is not always a catchable RangeError: measured here, the second body
 * of 100,000 `[` (or `- - - ...`) aborted the controller with a fatal V8 error. Its parser also
 * keeps a token object per node (10 MB of `[1,1,...]` exhausted a 4 GB heap), so the count of
 * nodes is bounded here too, before it runs.
 *
 * The scan reads the tokens of the `yaml` package's own lexer (a flat state machine: no
 * recursion, no tree), so quoted scalars, block scalars and comments are recognised exactly as
 * the parser will see them and cannot hide structure from the count. The bound is deliberately
 * generous (a collection may count twice: a block sequence can sit at its map's indentation, and
 * a flow sequence can hold single-pair maps); the exact depth is checked on the composed nodes,
 * which this bound keeps shallow enough to walk.
 */
import { Lexer } from 'yaml';

export interface YamlShape {
  /** An upper bound of the nesting depth (at least the real depth of the composed value). */
  depthBound: number;
  /** Nodes seen before the scan stopped: scalars, aliases, collections and item indicators. */
  nodes: number;
  /** Set when the scan stopped early because a limit was passed. */
  exceeded?: 'depth' | 'nodes';
  /** Offset of the token where the scan stopped. */
  offset?: number;
}

export interface YamlShapeLimits {
  maxDepthBound: number;
  maxNodes: number;
}

// Lexer control tokens carry no source text.
const DOCUMENT = '\x02';
const FLOW_END = '\x18';
const SCALAR = '\x1f';

/** Scans `text` token by token, stopping at the first limit passed. */
export function scanYamlShape(text: string, limits: YamlShapeLimits): YamlShape {
  // Columns of the open block collections (innermost last): a line or an indicator whose
  // content starts at column c closes every block collection deeper than c.
  const columns: number[] = [];
  let flow = 0;
  let nodes = 0;
  let tokens = 0;
  let offset = 0;
  let lineStart = 0;
  let atNodeStart = true;
  let depthBound = 0;
  // Every token is work for the lexer, including blank lines and spaces that are no node.
  const maxTokens = limits.maxNodes * 4;
  for (const token of new Lexer().lex(text)) {
    if (token === DOCUMENT || token === FLOW_END || token === SCALAR) {
      if (token === SCALAR && ++nodes > limits.maxNodes) return { depthBound, nodes, exceeded: 'nodes', offset };
      continue;
    }
    const start = offset;
    offset += token.length;
    if (++tokens > maxTokens) return { depthBound, nodes, exceeded: 'nodes', offset: start };
    const c = token.charCodeAt(0);
    const newline = token.lastIndexOf('\n');
    if (token === '\n' || token === '\r\n' || token === '') {
      lineStart = offset;
      atNodeStart = true;
      continue;
    }
    if (c === 0x20 || c === 0x09 || c === 0x23 /* space, tab, # comment */) {
      if (newline >= 0) lineStart = start + newline + 1;
      continue;
    }
    if (token === '---' || token === '...') {
      columns.length = 0;
      flow = 0;
      atNodeStart = true;
      continue;
    }
    if (c === 0x25 /* % directive */) continue;
    if (flow === 0 && atNodeStart) {
      const column = start - lineStart;
      while (columns.length > 0 && columns[columns.length - 1]! > column) columns.pop();
      if (columns.length === 0 || columns[columns.length - 1]! < column) columns.push(column);
    }
    atNodeStart = false;
    if (token === '[' || token === '{') {
      flow++;
      nodes++;
    } else if (token === ']' || token === '}') {
      if (flow > 0) flow--;
    } else if (token === '-' || token === '?' || token === ':' || token === ',') {
      nodes++;
      if (token !== ',') atNodeStart = true;
    } else if (c === 0x22 || c === 0x27 || c === 0x2a /* " ' * */) {
      nodes++;
    }
    if (newline >= 0) lineStart = start + newline + 1;
    const bound = 2 * columns.length + 2 * flow;
    if (bound > depthBound) depthBound = bound;
    if (depthBound > limits.maxDepthBound) return { depthBound, nodes, exceeded: 'depth', offset: start };
    if (nodes > limits.maxNodes) return { depthBound, nodes, exceeded: 'nodes', offset: start };
  }
  return { depthBound, nodes };
}
