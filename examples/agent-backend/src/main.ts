import type { AddressInfo } from 'node:net';
import { createTollgateClient } from '@tollgate/sdk';
import { createAgentBackend } from './app';
import { readEnv } from './env';

let env: ReturnType<typeof readEnv>;
try {
  env = readEnv();
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}

const tollgate = createTollgateClient({ url: env.tollgateUrl, apiKey: env.tollgateApiKey });
const server = createAgentBackend({ tollgate }).listen(env.port, env.host, (error?: Error) => {
  if (error) throw error;
  const { port } = server.address() as AddressInfo;
  console.log(`agent backend on http://${env.host}:${port} (Tollgate at ${env.tollgateUrl})`);
});
