/**
 * What the boundary check needs to know about one source file: the modules it imports (static,
 * re-exports, dynamic `import()`, `import x = require()`, and `import('x').T` in types) and its
 * comments. Parsed with the TypeScript compiler, so strings and regular expressions that look like
 * imports or comments are not mistaken for them.
 */
import ts from 'typescript';

/** One module specifier as written, with the 1-based line it is on. */
export interface ImportRef {
  specifier: string;
  line: number;
  /** Erased at compile time (`import type`, `export type`, every named import `type`, `import('x').T`). */
  typeOnly: boolean;
}

/** One comment's text (delimiters included) with the 1-based line it starts on. */
export interface CommentRef {
  text: string;
  line: number;
}

export interface SourceFacts {
  imports: ImportRef[];
  comments: CommentRef[];
}

/** Parses `text` (the contents of `path`) and lists its imports and comments in source order. */
export function readSourceFacts(path: string, text: string): SourceFacts {
  const kind = path.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.ES2022, true, kind);
  const lineOf = (pos: number) => source.getLineAndCharacterOfPosition(pos).line + 1;
  const imports: ImportRef[] = [];
  const add = (literal: ts.Expression | undefined, typeOnly: boolean) => {
    if (literal && ts.isStringLiteralLike(literal))
      imports.push({ specifier: literal.text, line: lineOf(literal.getStart(source)), typeOnly });
  };

  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      add(node.moduleSpecifier, isTypeOnlyImport(node.importClause));
    } else if (ts.isExportDeclaration(node)) {
      add(node.moduleSpecifier, node.isTypeOnly || isTypeOnlyExport(node.exportClause));
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node.moduleReference.expression, node.isTypeOnly);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node.arguments[0], false);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node.argument.literal, true);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);

  return { imports, comments: readComments(source, lineOf) };
}

function isTypeOnlyImport(clause: ts.ImportClause | undefined): boolean {
  if (!clause) return false; // `import './side-effect.ts'` runs the module
  if (clause.isTypeOnly) return true;
  const bindings = clause.namedBindings;
  return (
    !clause.name &&
    !!bindings &&
    ts.isNamedImports(bindings) &&
    bindings.elements.length > 0 &&
    bindings.elements.every((e) => e.isTypeOnly)
  );
}

function isTypeOnlyExport(clause: ts.NamedExportBindings | undefined): boolean {
  return (
    !!clause && ts.isNamedExports(clause) && clause.elements.length > 0 && clause.elements.every((e) => e.isTypeOnly)
  );
}

// Comments hang on tokens as leading or trailing trivia; walking every token (getChildren includes
// them, forEachChild does not) finds each comment, including one just before a closing brace.
function readComments(source: ts.SourceFile, lineOf: (pos: number) => number): CommentRef[] {
  const text = source.getFullText();
  const seen = new Map<number, CommentRef>();
  const collect = (ranges: ts.CommentRange[] | undefined) => {
    for (const r of ranges ?? [])
      if (!seen.has(r.pos)) seen.set(r.pos, { text: text.slice(r.pos, r.end), line: lineOf(r.pos) });
  };
  const walk = (node: ts.Node): void => {
    collect(ts.getLeadingCommentRanges(text, node.getFullStart()));
    collect(ts.getTrailingCommentRanges(text, node.getEnd()));
    for (const child of node.getChildren(source)) walk(child);
  };
  walk(source);
  return [...seen.entries()].sort((a, b) => a[0] - b[0]).map(([, c]) => c);
}

/** The `--` comments of a Lua or SQL file (a `--` inside a string counts too: these files have none). */
export function readLineComments(text: string): CommentRef[] {
  return text.split('\n').flatMap((line, i) => {
    const at = line.indexOf('--');
    return at < 0 ? [] : [{ text: line.slice(at), line: i + 1 }];
  });
}
