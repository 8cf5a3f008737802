import { DRAIN_BYTES, rejectedBodyPlan } from '../src/drain';

describe('rejectedBodyPlan', () => {
  it('leaves a fully read body alone', () => {
    expect(rejectedBodyPlan('buffered', false, 100, 100)).toBe('none');
    expect(rejectedBodyPlan('unread', false, 0, 0)).toBe('none');
  });
  it('drains a pending body whose Content-Length leaves at most DRAIN_BYTES to read', () => {
    expect(rejectedBodyPlan('unread', true, 4 * 1024 * 1024 + 1, 0)).toBe('drain');
    expect(rejectedBodyPlan('unread', true, DRAIN_BYTES, 0)).toBe('drain');
    expect(rejectedBodyPlan('unread', true, 200, 0)).toBe('drain');
  });
  it('closes for more than DRAIN_BYTES to come, a chunked body, an overflow, or a client that gave up', () => {
    expect(rejectedBodyPlan('unread', true, DRAIN_BYTES + 1, 0)).toBe('close');
    expect(rejectedBodyPlan('unread', true, undefined, 0)).toBe('close');
    expect(rejectedBodyPlan('overflow', false, undefined, 4 * 1024 * 1024 + 1)).toBe('close');
    expect(rejectedBodyPlan('aborted', false, 10, 5)).toBe('close');
  });
});
