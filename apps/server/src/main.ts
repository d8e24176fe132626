import { createJsonLogger } from '@tollgate/api';
import { EnvError, readEnv } from './env';
import { startServer } from './server';

const logger = createJsonLogger();

try {
  const env = readEnv();
  const server = await startServer(env, { logger });
  logger.info('Tollgate server listening', {
    url: server.url,
    database: server.db.driver,
    agentRunner: server.deps.runner.name,
  });
  const shutdown = async (signal: string) => {
    logger.info('shutting down', { signal });
    await server.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
} catch (error) {
  if (error instanceof EnvError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
