import { compareIds } from '../src/audit';
import { countStatuses } from '../src/scenario';

describe('compareIds', () => {
  it('names missing, repeated and unexpected ids', () => {
    const result = compareIds(new Set(['a', 'b', 'c']), ['a', 'a', 'c', 'x']);
    expect(result).toEqual({ missing: ['b'], repeated: ['a'], unexpected: ['x'] });
  });
  it('finds nothing wrong when the store holds exactly the expected ids', () => {
    expect(compareIds(new Set(['a', 'b']), ['b', 'a'])).toEqual({
      missing: [],
      repeated: [],
      unexpected: [],
    });
  });
});

it('counts statuses by their text', () => {
  expect(countStatuses([202, 202, 429, 'network'])).toEqual({ '202': 2, '429': 1, network: 1 });
});
