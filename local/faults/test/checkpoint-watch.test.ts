import { firstAdvanceAfter } from '../src/checkpoint-watch';

describe('firstAdvanceAfter', () => {
  const samples = [
    { atMs: 0, total: 0 },
    { atMs: 250, total: 100 },
    { atMs: 500, total: 100 },
    { atMs: 750, total: 100 },
    { atMs: 1000, total: 150 },
  ];
  it('measures from the moment to the first sample past the checkpoints at that moment', () => {
    expect(firstAdvanceAfter(samples, 600)).toBe(400);
    expect(firstAdvanceAfter(samples, 100)).toBe(150);
  });
  it('is null when the checkpoints never advanced again', () => {
    expect(firstAdvanceAfter(samples, 1000)).toBeNull();
  });
});
