import { readFileSync } from 'node:fs';

export interface AccessLogEntry {
  method: string;
  path: string;
  status: number;
  /** The replica that answered ($upstream_addr's last address; empty when nginx answered itself). */
  upstream: string;
  /** Every replica nginx sent the request to, in order (more than one: it moved the request on). */
  tried: string[];
}

// nginx.conf's `tollgate` log_format: … "$request" $status … upstream=$upstream_addr ut=… id=…
// $upstream_addr lists every replica tried, "a, b" when nginx moved the request on.
const ENTRY = /"(\S+) (\S+) [^"]*" (\d{3}) .* upstream=(.*?) ut=/;

/**
 * The requests nginx logged, with the replica that served each: which replica answered is known to
 * nginx only, so the tests read it here instead of making the server reveal it in a header.
 */
export function readAccessLog(file: string): AccessLogEntry[] {
  const entries: AccessLogEntry[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const match = ENTRY.exec(line);
    if (!match) continue;
    const [, method = '', path = '', status = '0', upstreams = ''] = match;
    const tried = upstreams === '-' ? [] : upstreams.split(', ');
    entries.push({ method, path, status: Number(status), upstream: tried.at(-1) ?? '', tried });
  }
  return entries;
}

/** How many of these entries each upstream address served. */
export function countByUpstream(entries: readonly AccessLogEntry[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { upstream } of entries) counts[upstream] = (counts[upstream] ?? 0) + 1;
  return counts;
}
