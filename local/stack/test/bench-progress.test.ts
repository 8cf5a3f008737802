import { partitionsBehind } from '../src/bench/progress';

describe('the bench knows a step is stored from the consumer checkpoints (pure)', () => {
  const ends = [
    { partitionId: '1', lastEnqueuedSequenceNumber: 41 },
    { partitionId: '0', lastEnqueuedSequenceNumber: 99 },
  ];

  it('is done when every partition is checkpointed at its last enqueued event or past it', () => {
    expect(
      partitionsBehind(
        ends,
        new Map([
          ['0', 99],
          ['1', 41],
        ]),
      ),
    ).toEqual([]);
    // A checkpoint can only be at or before the last event; past it still counts as done.
    expect(
      partitionsBehind(
        ends,
        new Map([
          ['0', 120],
          ['1', 41],
        ]),
      ),
    ).toEqual([]);
  });

  it('names every partition whose checkpoint is behind or missing, sorted', () => {
    expect(partitionsBehind(ends, new Map([['0', 98]]))).toEqual(['0', '1']);
    expect(partitionsBehind(ends, new Map([['1', 41]]))).toEqual(['0']);
  });

  it('waits for no checkpoint on an empty partition', () => {
    expect(
      partitionsBehind([{ partitionId: '0', lastEnqueuedSequenceNumber: undefined }], new Map()),
    ).toEqual([]);
  });
});
