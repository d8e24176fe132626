/** The example's whole configuration, read from the environment here and nowhere else. */
export interface AgentBackendEnv {
  /** Tollgate's origin, e.g. http://localhost:3000. */
  tollgateUrl: string;
  /** A Tollgate service API key with the `runs:authorize` and `runs:release` scopes. */
  tollgateApiKey: string;
  host: string;
  port: number;
}

export function readEnv(source: Record<string, string | undefined> = process.env): AgentBackendEnv {
  const problems: string[] = [];
  const tollgateUrl = source.TOLLGATE_URL ?? 'http://localhost:3000';
  if (!URL.canParse(tollgateUrl)) problems.push('TOLLGATE_URL: must be an absolute URL');
  const tollgateApiKey = source.TOLLGATE_API_KEY ?? '';
  if (!tollgateApiKey.startsWith('tg_sk_')) {
    problems.push(
      'TOLLGATE_API_KEY: required, a service key (tg_sk_…) with the runs:authorize and runs:release scopes',
    );
  }
  const port = Number(source.PORT ?? '4000');
  if (!Number.isInteger(port) || port < 0 || port > 65_535) problems.push('PORT: must be 0-65535');
  if (problems.length) throw new Error(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  return { tollgateUrl, tollgateApiKey, host: source.HOST ?? '127.0.0.1', port };
}
