import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';

/**
 * Every workspace declares the workspaces it imports (package.json) and references them (tsconfig.json,
 * so `tsc -b` builds them first), and the README's layout table lists every workspace with what it
 * imports. Undeclared imports worked only because npm hoists every workspace into node_modules; the
 * table had left out `.github/scripts` and the local workspaces (issue 17).
 */
const ROOT = join(__dirname, '..', '..');
const toPosix = (path: string) => path.split(sep).join('/');
const readJson = <T>(path: string) => JSON.parse(readFileSync(path, 'utf8')) as T;

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

function workspaceFolders(): string[] {
  const { workspaces } = readJson<{ workspaces: string[] }>(join(ROOT, 'package.json'));
  return workspaces.flatMap((pattern) => {
    if (!pattern.endsWith('/*')) return [pattern];
    const parent = pattern.slice(0, -2);
    return readdirSync(join(ROOT, parent), { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && existsSync(join(ROOT, parent, entry.name, 'package.json')))
      .map((entry) => `${parent}/${entry.name}`);
  });
}

const SKIPPED = new Set(['node_modules', 'dist', 'fixtures', 'cdktf.out', '.gen']);
/** Folders whose code only builds, tests or measures the workspace: their imports are listed as `dev`. */
const DEV_FOLDERS = new Set(['test', 'scripts', 'bench']);

function codeFiles(dir: string, found: string[] = []): string[] {
  if (!existsSync(dir)) return found;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIPPED.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) codeFiles(path, found);
    else if (/\.(ts|mts|cts|js|mjs|cjs)$/.test(entry.name)) found.push(path);
  }
  return found;
}

interface WorkspaceImports {
  /** Imported by the workspace's own code. */
  readonly main: Set<string>;
  /** Imported only by its tests, scripts or benches. */
  readonly dev: Set<string>;
  /** Imported from TypeScript (these need a project reference). */
  readonly fromTypeScript: Set<string>;
}

function importsOf(folder: string, self: string): WorkspaceImports {
  const result: WorkspaceImports = { main: new Set(), dev: new Set(), fromTypeScript: new Set() };
  for (const file of codeFiles(join(ROOT, folder))) {
    const rel = toPosix(relative(join(ROOT, folder), file));
    const dev = rel.split('/').some((part) => DEV_FOLDERS.has(part));
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/(?:from\s+|require\(\s*|import\(\s*)['"](@pipeline\/[a-z-]+)['"]/g)) {
      const name = match[1]!;
      if (name === self) continue;
      (dev ? result.dev : result.main).add(name);
      if (/\.(ts|mts|cts)$/.test(file)) result.fromTypeScript.add(name);
    }
  }
  for (const name of result.main) result.dev.delete(name);
  return result;
}

const folders = workspaceFolders();
const manifests = new Map(
  folders.map((folder) => [folder, readJson<Manifest>(join(ROOT, folder, 'package.json'))]),
);
const folderOf = new Map([...manifests].map(([folder, manifest]) => [manifest.name, folder]));

describe('workspaces', () => {
  test('the root lists more than one workspace (the walk works)', () => {
    expect(folders).toEqual(expect.arrayContaining(['schemas', 'cdktf', 'local/stack', '.github/scripts']));
  });

  test.each(folders)('%s declares and references every workspace it imports', (folder) => {
    const manifest = manifests.get(folder)!;
    const declared = { ...manifest.dependencies, ...manifest.devDependencies };
    const { main, dev, fromTypeScript } = importsOf(folder, manifest.name);
    expect([...main, ...dev].filter((name) => !(name in declared))).toEqual([]);
    const tsconfig = readJson<{ references?: { path: string }[] }>(join(ROOT, folder, 'tsconfig.json'));
    const referenced = new Set(
      (tsconfig.references ?? []).map(({ path }) => toPosix(relative(ROOT, resolve(ROOT, folder, path)))),
    );
    expect([...fromTypeScript].filter((name) => !referenced.has(folderOf.get(name)!))).toEqual([]);
  });

  test("the README's layout table lists every workspace with what it imports", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const rows = new Map<string, string[]>();
    for (const line of readme.split('\n')) {
      const cells = line.split('|').map((cell) => cell.trim());
      const folder = /^`(.+)\/`$/.exec(cells[1] ?? '')?.[1];
      if (folder) rows.set(folder, cells.slice(2, -1));
    }
    const wrong: string[] = [];
    const short = (names: Set<string>) => [...names].map((name) => name.replace('@pipeline/', '')).sort();
    for (const folder of folders) {
      const manifest = manifests.get(folder)!;
      const { main, dev } = importsOf(folder, manifest.name);
      const expected =
        [short(main).join(', '), dev.size ? `(dev: ${short(dev).join(', ')})` : '']
          .filter(Boolean)
          .join(' ') || '—';
      const row = rows.get(folder);
      if (row?.[0] !== `\`${manifest.name}\`` || row[2] !== expected)
        wrong.push(
          `${folder}: expected \`${manifest.name}\` | ... | ${expected}, got ${row?.join(' | ') ?? 'no row'}`,
        );
    }
    expect(wrong).toEqual([]);
  });
});
