export interface PreparedRequest {
  headers: Record<string, string>;
  body?: string;
}

/** What the load-generator child process is asked to do. */
export interface LoadSpec {
  baseUrl: string;
  connections: number;
  method: 'GET' | 'POST';
  /** Path template: `{i}` is the request number (prefixed by runPrefix), `{name}` a field of the tenant. */
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** Request i uses tenants[i % tenants.length] to fill the templates. */
  tenants?: Array<Record<string, string>>;
  runPrefix?: string;
  durationSeconds?: number;
  amount?: number;
  /**
   * Open loop: issue requests evenly spaced at this rate (per second) for durationSeconds, whatever
   * the answers, over at most `connections` keep-alive sockets; latency counts from the moment each
   * request is issued, so a server that falls behind shows its queue. (autocannon's own rate limit
   * sends each second's quota in a burst, which measures a burst, not a rate.)
   */
  pacedRate?: number;
  /** A JSON file of PreparedRequest sent once each, in order (then `amount` should be its length). */
  preparedFile?: string;
}

export interface LoadResult {
  requests: number;
  seconds: number;
  perSecond: number;
  latencyMs: { p50: number; p99: number; max: number };
  statusCodes: Record<string, number>;
  errors: number;
  timeouts: number;
}
