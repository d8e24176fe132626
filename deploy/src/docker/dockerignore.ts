import { readFileSync } from 'node:fs';
import { join } from 'node:path';

interface Rule {
  pattern: RegExp;
  isException: boolean;
}

/**
 * Whether `path` (relative to the context root) is left out of the Docker build context: the last
 * matching rule wins, `!` re-includes, `**` spans directories, a match on a parent directory
 * excludes everything below it. Covers the patterns this repository uses.
 */
export function isIgnoredByDocker(repoRoot: string, path: string): boolean {
  const rules = readRules(repoRoot);
  const segments = path.split('/');
  const candidates = segments.map((_segment, index) => segments.slice(0, index + 1).join('/'));
  let isIgnored = false;
  for (const rule of rules) {
    if (candidates.some((candidate) => rule.pattern.test(candidate))) isIgnored = !rule.isException;
  }
  return isIgnored;
}

function readRules(repoRoot: string): Rule[] {
  return readFileSync(join(repoRoot, '.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const isException = line.startsWith('!');
      const glob = isException ? line.slice(1) : line;
      return { pattern: globToRegExp(glob), isException };
    });
}

function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let index = 0; index < glob.length; index += 1) {
    const char = glob[index] ?? '';
    if (glob.startsWith('**/', index)) {
      source += '(?:.*/)?';
      index += 2;
    } else if (char === '*') {
      source += '[^/]*';
    } else if (char === '?') {
      source += '[^/]';
    } else {
      source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`);
}
