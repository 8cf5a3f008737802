import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DefaultSettings, TaskUtils } from '@microsoft/powerquery-parser';

/**
 * The Power Query (M) files in docs/ are for Power BI Desktop, which cannot run here; Microsoft's own M
 * parser (the one behind the Power Query language services) at least proves they parse, so a person
 * pasting one into the Advanced editor does not start with a syntax error.
 */
const DOCS = join(__dirname, '../../docs');
const files = readdirSync(DOCS).filter((name) => name.endsWith('.pq'));

describe('Power Query files in docs/', () => {
  it('has the events query', () => {
    expect(files).toContain('harvey-events.pq');
  });

  it.each(files)('%s lexes and parses as M', async (name) => {
    const task = await TaskUtils.tryLexParse(DefaultSettings, readFileSync(join(DOCS, name), 'utf8'));
    const error = TaskUtils.isError(task) ? String(task.error.message) : '';
    expect(error).toBe('');
    expect(TaskUtils.isOk(task)).toBe(true);
  });

  it('keeps tweet ids as text and reads the columns the dashboard shows', () => {
    const query = readFileSync(join(DOCS, 'harvey-events.pq'), 'utf8');
    expect(query).toContain('{"tweetId", type text}');
    for (const column of ['image_label', 'image_longitude', 'image_latitude', 'storedAt', 'HubToStoreMs'])
      expect(query).toContain(`"${column}"`);
  });
});
