import { StoredImages } from '../src/lib/stored-images';

describe('StoredImages', () => {
  it('remembers a hash until its entry expires', () => {
    let now = 1_000;
    const stored = new StoredImages(10, 500, () => now);
    expect(stored.has('a')).toBe(false);
    stored.add('a');
    now += 499;
    expect(stored.has('a')).toBe(true);
    now += 1;
    expect(stored.has('a')).toBe(false);
    expect(stored.size).toBe(0);
  });

  it('stays within its capacity, forgetting the oldest first', () => {
    const stored = new StoredImages(2, 60_000, () => 0);
    stored.add('a');
    stored.add('b');
    stored.add('a'); // refreshed: now the newest
    stored.add('c');
    expect(stored.size).toBe(2);
    expect([stored.has('a'), stored.has('b'), stored.has('c')]).toEqual([true, false, true]);
  });
});
