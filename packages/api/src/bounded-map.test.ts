import { describe, expect, it } from 'vitest';
import { setBounded } from './bounded-map';

describe('setBounded', () => {
  it('keeps at most max entries, dropping the oldest first', () => {
    const map = new Map<string, number>();
    for (const [i, key] of ['a', 'b', 'c', 'd'].entries()) setBounded(map, key, i, 3);
    expect([...map]).toEqual([
      ['b', 1],
      ['c', 2],
      ['d', 3],
    ]);
  });

  it('re-inserts an existing key last, so a fresh write is the last one dropped', () => {
    const map = new Map<string, number>();
    for (const key of ['a', 'b', 'c']) setBounded(map, key, 0, 3);
    setBounded(map, 'a', 9, 3); // a refreshed: b is now the oldest
    setBounded(map, 'd', 0, 3);
    expect([...map.keys()]).toEqual(['c', 'a', 'd']);
    expect(map.get('a')).toBe(9);
  });

  it('updating a key of a full map drops nothing else', () => {
    const map = new Map<string, number>();
    for (const key of ['a', 'b', 'c']) setBounded(map, key, 0, 3);
    setBounded(map, 'b', 1, 3);
    expect(map.size).toBe(3);
    expect([...map.keys()]).toEqual(['a', 'c', 'b']);
  });
});
