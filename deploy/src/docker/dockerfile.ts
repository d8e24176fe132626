import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Instruction {
  keyword: string;
  args: string;
}

export interface Stage {
  /** The FROM image after substituting ARG defaults declared before the first FROM. */
  image: string;
  name: string | null;
  instructions: Instruction[];
}

export interface Dockerfile {
  /** ARG defaults anywhere in the file (global and per stage). */
  args: Record<string, string>;
  stages: Stage[];
}

/**
 * A small Dockerfile reader for static checks (no engine here to build with): joins `\`
 * continuations, drops comments, splits into stages. Enough for the files this repository ships.
 */
export function readDockerfile(repoRoot: string, path: string): Dockerfile {
  const text = readFileSync(join(repoRoot, path), 'utf8');
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of lines) {
    const [keyword = '', ...rest] = line.split(/\s+/);
    const instruction = { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    if (instruction.keyword === 'ARG') {
      const [name = '', value = ''] = instruction.args.split('=');
      args[name] = value;
    }
    if (instruction.keyword === 'FROM') {
      const [image = '', , name] = rest;
      stages.push({
        image: image.replace(/\$\{(\w+)\}/g, (_match, arg: string) => args[arg] ?? ''),
        name: name ?? null,
        instructions: [],
      });
      continue;
    }
    stages.at(-1)?.instructions.push(instruction);
  }
  return { args, stages };
}

/** Source paths of COPY instructions that read the build context (not `--from=` another stage). */
export function contextCopySources(stage: Stage): string[] {
  return stage.instructions
    .filter((instruction) => instruction.keyword === 'COPY' && !instruction.args.includes('--from='))
    .flatMap((instruction) => {
      const parts = instruction.args.split(/\s+/).filter((part) => !part.startsWith('--'));
      return parts.slice(0, -1);
    });
}
