import { storedAgainAfter } from '../src/stored-watch';

describe('storedAgainAfter', () => {
  const samples = [
    { atMs: 0, count: 0 },
    { atMs: 500, count: 10 },
    { atMs: 1000, count: 10 },
    { atMs: 1500, count: 10 },
    { atMs: 2000, count: 25 },
  ];
  it('measures from the moment to the first sample that grew past the count at that moment', () => {
    expect(storedAgainAfter(samples, 1200)).toBe(800);
    expect(storedAgainAfter(samples, 200)).toBe(300);
  });
  it('is null when the count never grew again', () => {
    expect(storedAgainAfter(samples, 2100)).toBeNull();
  });
});
