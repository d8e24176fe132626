import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { interpolateTree } from './interpolate';

export interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  environment?: Record<string, string>;
  env_file?: string[];
  ports?: string[];
  volumes?: string[];
  networks?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: {
    test: string[];
    interval?: string;
    timeout?: string;
    retries?: number;
    start_period?: string;
  };
  entrypoint?: string[];
  [key: string]: unknown;
}

export interface ComposeFile {
  name?: string;
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
  networks?: Record<string, { internal?: boolean } | null>;
}

export const COMPOSE_FILE = 'docker-compose.prod.yml';

/** The compose file as written (variables not interpolated). */
export function readComposeFile(repoRoot: string): ComposeFile {
  return parse(readFileSync(join(repoRoot, COMPOSE_FILE), 'utf8')) as ComposeFile;
}

/** The compose file as `docker compose config` would see it with these .env values. */
export function resolveComposeFile(repoRoot: string, dotenv: Record<string, string>): ComposeFile {
  return interpolateTree(readComposeFile(repoRoot), dotenv);
}

/** What a container's process.env gets: env_file (.env) first, then `environment` on top. */
export function containerEnvironment(
  service: ComposeService,
  dotenv: Record<string, string>,
): Record<string, string> {
  const fromFile = (service.env_file ?? []).includes('.env') ? dotenv : {};
  return { ...fromFile, ...(service.environment ?? {}) };
}
