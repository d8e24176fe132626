import { createJsonLogger } from '@tollgate/api';
import { EnvError, readEnv, retiredSettingWarnings } from './env';
import { startServer } from './server';

const logger = createJsonLogger();

try {
  const env = readEnv();
  for (const warning of retiredSettingWarnings()) logger.warn(warning);
  const server = await startServer(env, { logger });
  const openUrl = env.APP_URL ?? `http://localhost:${server.port}`;
  logger.info('Tollgate server listening', {
    url: server.url,
    database: server.db.driver,
    agentRunner: server.deps.runner.name,
    stripe: server.emulator ? `offline emulator at ${server.emulator.url}` : 'Stripe API',
  });
  console.log(
    [
      '',
      `  Tollgate is running: open ${openUrl}`,
      `  Database: ${server.db.driver === 'pglite' ? 'embedded PGlite (.data/pglite)' : 'PostgreSQL (DATABASE_URL)'}`,
      server.emulator
        ? `  Stripe:   OFFLINE EMULATOR at ${server.emulator.url} (no real payments; test card 4242 4242 4242 4242)`
        : '  Stripe:   live Stripe API (STRIPE_SECRET_KEY)',
      server.devInbox
        ? `  Email:    DEV INBOX at ${openUrl}/dev/inbox (nothing leaves this machine; set SMTP_URL to send)`
        : `  Email:    ${env.EMAIL_DELIVERY === 'disabled' ? 'disabled (in-app notifications only)' : 'SMTP_URL'}`,
      `  Agent:    ${server.deps.runner.name === 'local' ? 'built-in local runner (no agent backend; replies are canned)' : 'AGENT_BACKEND_URL'}`,
      '',
    ].join('\n'),
  );
  // Ctrl-C reaches the server twice under npm/pnpm (from the terminal's process group and again
  // forwarded by the package manager): later signals are ignored while the first shutdown runs, which
  // SHUTDOWN_TIMEOUT_SECONDS bounds, so the process exits 0 instead of dying by the second signal.
  let isShuttingDown = false;
  const shutdown = async (signal: string) => {
    if (isShuttingDown) return;
    isShuttingDown = true;
    logger.info('shutting down', { signal });
    await server.close();
    logger.flush(); // the log is written asynchronously: its last lines go out before the exit
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
} catch (error) {
  if (error instanceof EnvError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
