/**
 * The engine core's public surface (src/index.ts, `@flagship/evaluator` "."): every export
 * carries JSDoc on its declaration, since controller, workers, the console and the SDKs read
 * the core through its barrel only; and what they import from it today is still exported.
 */
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ENTRY = fileURLToPath(new URL('./index.ts', import.meta.url));

/** Each export of the barrel with whether its declaration has a JSDoc comment. */
function barrelExports(): Array<{ name: string; documented: boolean }> {
  const program = ts.createProgram([ENTRY], {
    allowImportingTsExtensions: true,
    noEmit: true,
    types: [],
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
  });
  const checker = program.getTypeChecker();
  const barrel = checker.getSymbolAtLocation(program.getSourceFile(ENTRY)!)!;
  return checker.getExportsOfModule(barrel).map((exported) => {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const documented = (symbol.declarations ?? []).some(
      (d) => ts.getJSDocCommentsAndTags(ts.isVariableDeclaration(d) ? d.parent.parent : d).length > 0,
    );
    return { name: exported.name, documented };
  });
}

describe('the engine core barrel', () => {
  const exports = barrelExports();

  it('documents every export', () => {
    expect(exports.filter((e) => !e.documented).map((e) => e.name)).toEqual([]);
  });

  it('exports what the controller, workers, console and SDKs use', () => {
    const names = new Set(exports.map((e) => e.name));
    const used = [
      'compileSnapshot',
      'Engine',
      'Explanation',
      'Snapshot',
      'SnapshotFlag',
      'Flag',
      'FlagConfig',
      'Segment',
      'Serve',
      'EvaluationContext',
      'EvaluationResult',
      'TOTAL_WEIGHT',
      'validateFlag',
      'validateFlagConfig',
      'validateSegment',
      'validateSnapshot',
      'findPrerequisiteCycles',
      'formatProblem',
      'Problem',
      'Validated',
      'generateSalt',
      'ProblemCollector',
      'expectRecord',
      'checkUnknownFields',
      'parseSemver',
      'compileRegex',
      'parseDateValue',
    ];
    expect(used.filter((n) => !names.has(n))).toEqual([]);
  });
});
