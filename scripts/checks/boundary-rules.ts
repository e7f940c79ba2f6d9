/**
 * The import and comment rules of `npm test` (docs/architecture.md): packages meet through their
 * exports, each workspace declares what it imports, the engine core stays browser-safe, test
 * support stays in tests, the layering holds, there are no import cycles, and comments cite the
 * project's own docs. Pure: it judges a {@link Project} described in memory, so each rule can be
 * tested on a few lines; scripts/checks/project.ts reads the real one from disk.
 */
import { posix } from 'node:path';
import type { CommentRef, ImportRef } from './source-facts.ts';

/** A package.json: the root (`dir` '') or a workspace (`dir` 'evaluator', ...). */
export interface Manifest {
  name: string;
  dir: string;
  /** Subpath ('.', './server') -> target file relative to the repository root. */
  exports: Record<string, string>;
  dependencies: string[];
  devDependencies: string[];
}

export interface SourceFile {
  /** Relative to the repository root, '/'-separated. */
  path: string;
  imports: ImportRef[];
  comments: CommentRef[];
}

export interface Project {
  root: Manifest;
  workspaces: Manifest[];
  files: SourceFile[];
  /** Whether a repository-relative path is a file (the sources above, and JSON or other assets). */
  exists: (path: string) => boolean;
  /** Node's built-in module names without the `node:` prefix (`module.builtinModules`). */
  builtins: readonly string[];
}

export interface Violation {
  file: string;
  line: number;
  /** The import specifier, or the offending words of a comment. */
  subject: string;
  rule: string;
}

/** npm packages the engine core may import: pure JavaScript, no Node built-in behind them. */
export const BROWSER_SAFE_PACKAGES: readonly string[] = ['re2js'];

/** Folders at a workspace's top level that hold developer tooling, not shipped code. */
const DEV_FOLDERS = ['bench', 'tools', 'test-vectors'];

/** Folders of evaluator/src that are not the engine core. */
const NON_CORE_FOLDERS = ['server', 'propagation', 'sdk'];

/** Folders at the repository root holding tooling that workspaces may use in their tests. */
const ROOT_TOOLING = ['scripts', 'testing'];

export const RULES = {
  unresolved: 'unresolved: no such file',
  leavesWorkspace: 'a relative import may not leave its workspace: import the package export',
  notExported: 'not a package export',
  unknownPackage: 'no workspace has this name',
  undeclared: 'not declared in this package.json',
  coreNode: 'the engine core imports no Node built-in',
  corePackage: `the engine core imports only browser-safe npm packages (${BROWSER_SAFE_PACKAGES.join(', ')})`,
  coreOutside: 'the engine core imports nothing outside it',
  testOnly: 'test support and root tooling are for test files and test-support/ only',
  workersWeb: 'nothing imports workers/ or web/',
  controllerServer: 'controller uses the engine, not the evaluator server',
  webCore: 'the console imports only the engine core (@flagship/evaluator), which runs in a browser',
  evaluatorApps: 'the evaluator imports no app',
  sdkCore: 'the SDK imports only the engine core (@flagship/evaluator), never the evaluator server or an app',
  cycle: 'import cycle',
  comment: "comments cite the project's docs/..., not files outside the repository",
} as const;

/** Test files, and test helpers: `test-support/` folders and `test-support.ts`/`test-fixtures.ts` modules. */
export function isTestFile(path: string): boolean {
  return (
    /\.test\.tsx?$/.test(path) || /(^|\/)test-support(\/|\.tsx?$)/.test(path) || /(^|\/)test-fixtures\.tsx?$/.test(path)
  );
}

/** Test files and a workspace's developer tooling (bench/, tools/, test-vectors/). */
export function isDevFile(path: string, workspaceDir: string): boolean {
  if (isTestFile(path)) return true;
  return workspaceDir !== '' && DEV_FOLDERS.some((d) => path.startsWith(`${workspaceDir}/${d}/`));
}

/** The engine core: evaluator/src outside server/, propagation/, sdk/, without tests and their helpers. */
export function isCoreFile(path: string): boolean {
  return (
    path.startsWith('evaluator/src/') &&
    !NON_CORE_FOLDERS.some((d) => path.startsWith(`evaluator/src/${d}/`)) &&
    !isTestFile(path)
  );
}

/** `@scope/name/sub/path` -> ['@scope/name', './sub/path']; `name` -> ['name', '.']. */
export function splitPackageSpecifier(specifier: string): [string, string] {
  const parts = specifier.split('/');
  const size = specifier.startsWith('@') ? 2 : 1;
  const rest = parts.slice(size).join('/');
  return [parts.slice(0, size).join('/'), rest === '' ? '.' : `./${rest}`];
}

/** The target file of `subpath` in `exports`, honouring a single `*` pattern; undefined when not exported. */
export function resolveExport(exports: Record<string, string>, subpath: string): string | undefined {
  const exact = exports[subpath];
  if (exact !== undefined) return exact;
  for (const [key, target] of Object.entries(exports)) {
    const star = key.indexOf('*');
    if (star < 0) continue;
    const [before, after] = [key.slice(0, star), key.slice(star + 1)];
    if (subpath.startsWith(before) && subpath.endsWith(after) && subpath.length >= key.length - 1) {
      return target.replace('*', subpath.slice(before.length, subpath.length - after.length));
    }
  }
  return undefined;
}

interface Edge {
  from: string;
  to: string;
  line: number;
  specifier: string;
}

/** Every violation in `project`, sorted by file and line. */
export function checkBoundaries(project: Project): Violation[] {
  const violations: Violation[] = [];
  const edges: Edge[] = [];
  const byName = new Map(project.workspaces.map((w) => [w.name, w]));
  const builtins = new Set(project.builtins);
  // The innermost workspace: evaluator/sdk/... belongs to the SDK, not to the evaluator around it.
  const workspaceOf = (path: string): Manifest | undefined =>
    project.workspaces
      .filter((w) => path.startsWith(`${w.dir}/`))
      .reduce<Manifest | undefined>(
        (inner, w) => (inner === undefined || w.dir.length > inner.dir.length ? w : inner),
        undefined,
      );
  const flag = (file: string, ref: ImportRef, rule: string) =>
    violations.push({ file, line: ref.line, subject: ref.specifier, rule });

  for (const file of project.files) {
    const own = workspaceOf(file.path);
    const ownDir = own?.dir ?? '';
    const dev = isDevFile(file.path, ownDir);
    const core = isCoreFile(file.path);
    const declared = new Set([...(own ?? project.root).dependencies, ...(own ?? project.root).devDependencies]);
    if (own && dev) for (const d of [...project.root.dependencies, ...project.root.devDependencies]) declared.add(d);

    for (const ref of file.imports) {
      const spec = ref.specifier;
      let target: string | undefined;

      if (spec.startsWith('.') || spec.startsWith('/')) {
        target = resolveRelative(project, file.path, spec);
        if (target === undefined) {
          flag(file.path, ref, RULES.unresolved);
          continue;
        }
        if (own && !target.startsWith(`${own.dir}/`)) {
          const intoTooling = ROOT_TOOLING.some((d) => target!.startsWith(`${d}/`));
          // A nested workspace's tests and benchmarks may share the enclosing one's test support
          // and bench scenarios (evaluator/sdk's use evaluator's); shipped code may not.
          const host = workspaceOf(target);
          const intoHostDev =
            dev && host !== undefined && own.dir.startsWith(`${host.dir}/`) && isDevFile(target, host.dir);
          if (intoHostDev) {
            // allowed
          } else if (!intoTooling || host) flag(file.path, ref, RULES.leavesWorkspace);
          else if (!dev) flag(file.path, ref, RULES.testOnly);
        } else if (!own && workspaceOf(target)) {
          flag(file.path, ref, RULES.leavesWorkspace); // root tooling, too, goes through the exports
        }
      } else if (spec.startsWith('node:') || builtins.has(spec.split('/')[0]!)) {
        if (core) flag(file.path, ref, RULES.coreNode);
        continue;
      } else {
        const [name, subpath] = splitPackageSpecifier(spec);
        const workspace = name.startsWith('@flagship/') ? byName.get(name) : undefined;
        if (name.startsWith('@flagship/') && !workspace) {
          flag(file.path, ref, RULES.unknownPackage);
          continue;
        }
        const self = workspace !== undefined && workspace === own;
        const typesName = `@types/${name.startsWith('@') ? name.slice(1).replace('/', '__') : name}`;
        const isDeclared =
          self || declared.has(name) || (ref.typeOnly && declared.has(typesName)) || (!own && workspace !== undefined);
        if (!isDeclared) flag(file.path, ref, RULES.undeclared);
        if (!workspace) {
          if (core && !BROWSER_SAFE_PACKAGES.includes(name)) flag(file.path, ref, RULES.corePackage);
          continue;
        }
        target = resolveExport(workspace.exports, subpath);
        if (target === undefined) {
          flag(file.path, ref, RULES.notExported);
          continue;
        }
        if (isTestFile(target) && own && !dev && !self) flag(file.path, ref, RULES.testOnly);
      }

      edges.push({ from: file.path, to: target, line: ref.line, specifier: spec });
      if (core && !isCoreFile(target)) flag(file.path, ref, RULES.coreOutside);
      const targetSpace = workspaceOf(target);
      if ((targetSpace?.dir === 'workers' || targetSpace?.dir === 'web') && targetSpace !== own)
        flag(file.path, ref, RULES.workersWeb);
      if (own?.dir === 'controller' && target.startsWith('evaluator/src/server/'))
        flag(file.path, ref, RULES.controllerServer);
      if (own?.dir === 'evaluator' && targetSpace && targetSpace !== own) flag(file.path, ref, RULES.evaluatorApps);
      // The SDK runs inside every service: of the other workspaces, only the core (tests may start a server).
      if (own?.dir === 'evaluator/sdk' && !dev && targetSpace && targetSpace !== own && !isCoreFile(target))
        flag(file.path, ref, RULES.sdkCore);
      // The console bundles what it imports for the browser: of the other workspaces, only the core.
      // Its tests and benches run in Node and are never bundled: they may build real API answers
      // with the controller's exports (the other rules still hold for them).
      if (own?.dir === 'web' && !dev && targetSpace && targetSpace !== own && !isCoreFile(target))
        flag(file.path, ref, RULES.webCore);
    }

    for (const comment of file.comments) {
      for (const { words, index } of outsideCitations(comment.text)) {
        const line = comment.line + (comment.text.slice(0, index).match(/\n/g)?.length ?? 0);
        violations.push({ file: file.path, line, subject: words, rule: RULES.comment });
      }
    }
  }

  const known = new Set(project.files.map((f) => f.path));
  violations.push(...findCycles(edges.filter((e) => known.has(e.to))));
  return violations.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
}

/** Resolves like tsx/NodeNext with `allowImportingTsExtensions`: exact file, `.js` -> `.ts`, then `.ts`, `/index.ts`. */
function resolveRelative(project: Project, from: string, specifier: string): string | undefined {
  const base = specifier.startsWith('/') ? specifier.slice(1) : posix.join(posix.dirname(from), specifier);
  if (base.startsWith('..')) return undefined;
  const stem = base.replace(/\.(m|c)?js$/, '');
  const candidates = [base, `${stem}.ts`, `${stem}.tsx`, `${base}.ts`, `${base}.tsx`, `${base}/index.ts`];
  return candidates.find((c) => project.exists(c));
}

// Design and style notes kept beside the repository rather than in it, the folder they sit in, seed
// files, and absolute paths on one machine. A path under docs/ is the project's own and passes.
const OUTSIDE_CITATION =
  /(?<![\w./-])(?:(?:[\w-]+\/)*(?:DESIGN|STYLE)\.md|(?:\.\.\/)+shared\b[\w./-]*|seeds\/[\w./-]*|\/(?:work|tmp|home|Users|root)\/[\w./-]+)/g;

/** The words of a comment that cite something outside the repository, with their offset in it. */
export function outsideCitations(comment: string): { words: string; index: number }[] {
  return [...comment.matchAll(OUTSIDE_CITATION)]
    .map((m) => ({ words: m[0].replace(/\.+$/, ''), index: m.index }))
    .filter((c) => !c.words.startsWith('docs/'));
}

/** One violation per cycle (per strongly connected component), at the first edge of one cycle through it. */
function findCycles(edges: Edge[]): Violation[] {
  const out = new Map<string, Edge[]>();
  for (const e of edges) out.set(e.from, [...(out.get(e.from) ?? []), e]);
  const nodes = [...new Set(edges.flatMap((e) => [e.from, e.to]))].sort();

  // Tarjan's strongly connected components, iterative so deep import chains cannot overflow the stack.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let next = 0;
  for (const start of nodes) {
    if (index.has(start)) continue;
    const work: [string, number][] = [[start, 0]];
    while (work.length > 0) {
      const top = work[work.length - 1]!;
      const [node, i] = top;
      if (i === 0) {
        index.set(node, next);
        low.set(node, next++);
        stack.push(node);
        onStack.add(node);
      }
      const outgoing = out.get(node) ?? [];
      if (i < outgoing.length) {
        top[1] = i + 1;
        const to = outgoing[i]!.to;
        if (!index.has(to)) work.push([to, 0]);
        else if (onStack.has(to)) low.set(node, Math.min(low.get(node)!, index.get(to)!));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent[0], Math.min(low.get(parent[0])!, low.get(node)!));
      if (low.get(node) === index.get(node)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== node);
        const selfLoop = (out.get(node) ?? []).some((e) => e.to === node);
        if (component.length > 1 || selfLoop) components.push(component);
      }
    }
  }

  return components.map((component) => {
    const members = new Set(component);
    const first = [...component].sort()[0]!;
    const path = shortestCycle(first, members, out);
    const edge = path[0]!;
    const loop = [first, ...path.map((e) => e.to)].join(' -> ');
    return { file: edge.from, line: edge.line, subject: edge.specifier, rule: `${RULES.cycle}: ${loop}` };
  });
}

function shortestCycle(start: string, members: Set<string>, out: Map<string, Edge[]>): Edge[] {
  const via = new Map<string, Edge>();
  const queue = [start];
  for (let q = 0; q < queue.length; q++) {
    for (const e of out.get(queue[q]!) ?? []) {
      if (!members.has(e.to)) continue;
      if (e.to === start) {
        const path = [e];
        for (let at = e.from; at !== start; at = via.get(at)!.from) path.unshift(via.get(at)!);
        return path;
      }
      if (!via.has(e.to)) {
        via.set(e.to, e);
        queue.push(e.to);
      }
    }
  }
  return [];
}
