import type { Logger, Services } from '@tollgate/api';

/**
 * While no platform operator exists, every starting server issues a one-time token (stored hashed,
 * valid 24 h) and prints it once: a signed-in user who presents it becomes the first operator. Several
 * replicas each print their own; any unused one works, once, and none after an operator exists.
 */
export async function announceOperatorBootstrap(services: Services, logger: Logger): Promise<void> {
  try {
    const issued = await services.operators.issueBootstrapToken();
    if (!issued) return;
    // info, not warn: a fresh install has no operator by design; this is the way to make the first one.
    logger.info(
      'No platform operator exists yet. Sign in, then claim the role once with this token: POST ' +
        '/api/trpc/operators.claimBootstrap with `Authorization: Bearer <your access token>` and body ' +
        '{"token":"<bootstrapToken>"}. Or, on the server: npm run operator -- grant <email or user id>.',
      { bootstrapToken: issued.token, expiresAt: issued.expiresAt.toISOString() },
    );
  } catch (error) {
    // Serving users matters more than the bootstrap: the CLI can still grant the role.
    logger.warn('could not issue an operator bootstrap token', { error: String(error) });
  }
}
