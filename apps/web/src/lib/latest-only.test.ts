import { describe, expect, it } from 'vitest';
import { createLatestOnly } from './latest-only';

describe('createLatestOnly', () => {
  it('lets the newest request write, not one begun before it', () => {
    const requests = createLatestOnly();
    const first = requests.begin();
    expect(requests.isLatest(first)).toBe(true);
    const second = requests.begin();
    expect(requests.isLatest(first)).toBe(false);
    expect(requests.isLatest(second)).toBe(true);
  });

  it('makes every request begun before a change stale, and the next one fresh', () => {
    const reads = createLatestOnly();
    const before = reads.begin();
    reads.supersede();
    expect(reads.isLatest(before)).toBe(false);
    expect(reads.isLatest(reads.begin())).toBe(true);
  });

  it('keeps separate guards apart', () => {
    const sessions = createLatestOnly();
    const members = createLatestOnly();
    const opening = sessions.begin();
    members.begin();
    members.supersede();
    expect(sessions.isLatest(opening)).toBe(true);
  });
});
