import { dirname } from 'node:path';

/**
 * The Cosmos DB emulator's query library (`@zeit/cosmosdb-query`, under `@vercel/cosmosdb-server`)
 * is patched at install (patches/, applied by patch-package in `postinstall`): it built every
 * `FROM c` and every result array with `[...acc, item]` per document, so a query's time grew with the
 * square of the container's size (COUNT over 25,000 documents: 18 s; docs/decisions.md EMU-QUERY-1).
 * These tests pin the patch where the server loads the library from, and check that queries still
 * answer what they answered before.
 */
interface Query {
  readonly code: string;
  exec(
    documents: readonly unknown[],
    options?: { maxItemCount?: number },
  ): { result: unknown[]; continuation: unknown };
}
// Resolved as the emulator resolves it: the library is a dependency of the server, not of ours.
const libraryPath = require.resolve('@zeit/cosmosdb-query', {
  paths: [dirname(require.resolve('@vercel/cosmosdb-server'))],
});
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a path known only at run time
const query = (require(libraryPath) as { default: (text: string) => Query }).default;

const documents = Array.from({ length: 3000 }, (_, i) => ({
  id: `d${i}`,
  _rid: `rid${String(i).padStart(6, '0')}`,
  _ts: 1000 + i,
  hasImage: i % 4 === 0,
  tags: i % 5 ? [{ name: `t${i % 7}` }, { name: 'x' }] : [],
  children: i % 2 ? [{ pets: [{ name: `p${i}` }] }, { pets: [] }] : undefined,
  n: i,
  maybe: i % 3 ? i : undefined,
}));

describe("the Cosmos DB emulator's query library, as patched", () => {
  it('appends to the FROM accumulator in place instead of copying it per document', () => {
    for (const text of [
      'SELECT VALUE COUNT(1) FROM c',
      'SELECT c.id FROM c JOIN t IN c.tags',
      'SELECT VALUE t FROM c.tags[0] t',
    ]) {
      const { code } = query(text);
      expect(code).toContain('$.push(');
      expect(code).not.toMatch(/\[\.\.\.\$,/);
    }
  });

  it('answers counts, filters, order, joins and subqueries as before the patch', () => {
    const run = (text: string) => query(text).exec(documents).result;
    expect(run('SELECT VALUE COUNT(1) FROM c')).toEqual([3000]);
    expect(run('SELECT VALUE COUNT(1) FROM c WHERE c.hasImage = true')).toEqual([750]);
    expect(run('SELECT TOP 3 c.id FROM c ORDER BY c._ts DESC')).toEqual([
      { id: 'd2999' },
      { id: 'd2998' },
      { id: 'd2997' },
    ]);
    expect(run('SELECT VALUE t.name FROM c JOIN t IN c.tags WHERE c.n < 4')).toEqual([
      't1',
      'x',
      't2',
      'x',
      't3',
      'x',
    ]);
    expect(run('SELECT c.id, p.name FROM c JOIN ch IN c.children JOIN p IN ch.pets WHERE c.n < 6')).toEqual([
      { id: 'd1', name: 'p1' },
      { id: 'd3', name: 'p3' },
      { id: 'd5', name: 'p5' },
    ]);
    expect(
      run(
        'SELECT VALUE c.id FROM c JOIN (SELECT VALUE t FROM t IN c.tags WHERE t.name = "t3") WHERE c.n < 20',
      ),
    ).toEqual(['d3', 'd17']); // d10 has no tags (every fifth document)
    // FROM a path: the document's first tag, where it has one (4 documents in 5).
    expect(run('SELECT VALUE t.name FROM c.tags[0] t')).toHaveLength(2400);
    // Results drop undefined array entries, unlike JSON (the patched helper's job).
    expect(run('SELECT VALUE c.maybe FROM c WHERE c.n < 7')).toEqual([1, 2, 4, 5]);
  });

  it('pages with continuation tokens without losing or repeating a document', () => {
    const seen: string[] = [];
    let page = query('SELECT VALUE c.id FROM c').exec(documents, { maxItemCount: 1000 });
    seen.push(...(page.result as string[]));
    expect(page.continuation).not.toBeNull();
    expect(seen).toHaveLength(1000);
    expect(new Set(seen).size).toBe(1000);
    page = query('SELECT VALUE c.id FROM c').exec(documents.slice(0, 999), { maxItemCount: 1000 });
    expect(page.continuation).toBeNull();
  });
});
