import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createHttpRunner,
  createJsonLogger,
  createLocalRunner,
  createServices,
  type ApiDeps,
  type BillingSettings,
  type Logger,
  type Services,
} from '@tollgate/api';
import { createDb, type DbHandle } from '@tollgate/db';
import type { StripeEmulator } from '@tollgate/stripe-emulator';
import { createEmailWorker, createUnsubscribeLinks, type EmailWorker } from '@tollgate/api';
import type { DevInbox } from '@tollgate/mail';
import { createApp } from './app';
import { startLeadership, type Leadership } from './leadership';
import { createServerMetrics, startMetricsListener, type ServerMetrics } from './metrics';
import { setUpEmail } from './email-setup';
import { startEmailOutbox, startMeterReporting, startNotificationClock } from './notification-workers';
import { apiConfigOf, pgliteDataDir, webDistDirOf } from './config';
import type { Env } from './env';
import { announceOperatorBootstrap } from './operator-bootstrap';
import { startPeriodicPass } from './periodic-pass';
import { startRunSweeper } from './run-sweeper';
import { startOverageItemWorker } from './overage-item-worker';
import { startSeatSyncWorker } from './seat-sync-worker';
import { setUpStripe } from './stripe-setup';

export interface RunningServer {
  url: string;
  port: number;
  deps: ApiDeps;
  services: Services;
  db: DbHandle;
  /** The in-process Stripe emulator, when no Stripe key was configured. */
  emulator: StripeEmulator | null;
  /** The in-process SMTP server catching every email, when no SMTP_URL was configured. */
  devInbox: DevInbox | null;
  /** Sends what the email outbox holds (also on its own every EMAIL_OUTBOX_INTERVAL_MS). */
  emailWorker: EmailWorker;
  /** Whether this process runs the once-across-replicas periodic passes (see leadership.ts). */
  leadership: Pick<Leadership, 'isLeader'>;
  /** Prometheus metrics and their own listener (`${url}/metrics`), when METRICS_PORT is set. */
  metrics: (ServerMetrics & { url: string; port: number }) | null;
  close(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  /** Reuse an open database (tests); otherwise one is created from the env. */
  db?: DbHandle;
  now?: () => Date;
  /** Stripe settings (tests point them at their own emulator); default: from the env. */
  billing?: BillingSettings | null;
  /** LEADERSHIP_CHECK_SECONDS in milliseconds, finer (tests). */
  leadershipCheckMs?: number;
}

/** The advisory lock whose holder runs the periodic passes (one per database). */
const LEADERSHIP_LOCK = 'tollgate:periodic-passes';

/** Builds everything from a validated env and listens. Used by main.ts and by tests. */
export async function startServer(env: Env, options: StartOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? createJsonLogger();
  // The emulator's state is kept only for a server that opens its own database (npm start), on a fixed port.
  const isStatePersisted = !options.db && env.PORT !== 0;
  const stripe = options.billing === undefined ? await setUpStripe(env, logger, { isStatePersisted }) : null;
  const db =
    options.db ??
    (await createDb(
      env.DATABASE_URL
        ? {
            databaseUrl: env.DATABASE_URL,
            poolTimeoutMs: env.DATABASE_POOL_TIMEOUT_MS,
            // Requests that used the connection answer 503 on their own; this says why, once per connection.
            onConnectionError: (error) =>
              logger.warn('database connection lost; the pool reconnects on demand', {
                error: String(error),
              }),
          }
        : { dataDir: pgliteDataDir(env) },
    ));
  const now = options.now ?? (() => new Date());
  const metrics = env.METRICS_PORT === undefined ? null : createServerMetrics({ db: db.db, now, logger });
  const deps: ApiDeps = {
    db: db.db,
    config: apiConfigOf(env),
    now,
    runner: env.AGENT_BACKEND_URL ? createHttpRunner(env.AGENT_BACKEND_URL) : createLocalRunner(),
    logger,
    billing: options.billing === undefined ? (stripe?.settings ?? null) : options.billing,
    ...(metrics ? { metrics: metrics.hooks } : {}),
  };
  const services = createServices(deps);
  await announceOperatorBootstrap(services, logger);
  const email = await setUpEmail(env, logger);
  const unsubscribeLinks = createUnsubscribeLinks(deps.config);
  const emailWorker = createEmailWorker({
    db: db.db,
    mailer: email.mailer,
    now: deps.now,
    logger,
    appUrl: deps.config.appUrl,
    unsubscribeLinks,
  });
  let isShuttingDown = false;
  const app = createApp({
    isShuttingDown: () => isShuttingDown,
    deps,
    services,
    trustProxy: env.TRUST_PROXY,
    isLoggingRequests: env.LOG_REQUESTS,
    webDistDir: webDistDirOf(env),
    devInbox: email.devInbox,
    httpMetrics: metrics?.httpMiddleware ?? null,
    unsubscribeLinks,
  });
  // Before the public listener: a taken metrics port stops the start with nothing listening yet.
  const metricsListener =
    metrics && env.METRICS_PORT !== undefined
      ? await startMetricsListener({
          registry: metrics.registry,
          host: env.METRICS_HOST,
          port: env.METRICS_PORT,
          token: env.METRICS_TOKEN ?? null,
          logger,
        })
      : null;

  const server: Server = await new Promise((resolve, reject) => {
    const listening = app.listen(env.PORT, env.HOST, (error?: Error) =>
      error ? reject(error) : resolve(listening),
    );
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  stripe?.onListening(url);

  // Every replica drains the email outbox: each row is claimed once (FOR UPDATE SKIP LOCKED), so more
  // processes only send sooner.
  const outbox = startEmailOutbox(emailWorker, env.EMAIL_OUTBOX_INTERVAL_MS, logger);
  // The leader alone runs the clock-driven passes, once per interval across replicas. Each is also safe
  // twice at once (the brief overlap of a failover): Stripe reconcile applies only newer Stripe
  // objects; the sweeper moves each run by one conditional UPDATE and expires grants under SKIP LOCKED;
  // seat sync sends absolute quantities under idempotency keys (the overage item pass makes one item per
  // subscription under one, recorded from what Stripe confirms); meter delivery claims batches with SKIP
  // LOCKED and the hourly meter reconciliation settles a period only if its books did not change; the
  // notification clock's notices each have a unique key. Meter delivery goes with its reconciliation
  // (one pass in notification-workers.ts): one process delivers overage, which keeps up.
  const leadership = await startLeadership({
    db: db.db,
    name: LEADERSHIP_LOCK,
    checkIntervalMs: options.leadershipCheckMs ?? env.LEADERSHIP_CHECK_SECONDS * 1000,
    logger,
    lead() {
      const stripeBilling = services.stripe;
      const reconciliation = stripeBilling
        ? startPeriodicPass(
            env.RECONCILE_INTERVAL_SECONDS * 1000,
            async () => void (await stripeBilling.reconcile()), // it logs and counts its own report
            logger,
            'Stripe reconciliation pass',
          )
        : null;
      const sweeper = startRunSweeper(services, env.RUN_START_TIMEOUT_SECONDS * 1000, logger);
      const seatSync = startSeatSyncWorker(services, env.SEAT_SYNC_INTERVAL_SECONDS * 1000, logger);
      const overageItems = startOverageItemWorker(services, env.OVERAGE_ITEM_INTERVAL_SECONDS * 1000, logger);
      const meterReporting = startMeterReporting(
        services,
        env.METER_REPORT_INTERVAL_SECONDS * 1000,
        logger,
        deps.now,
      );
      const notificationClock = startNotificationClock(
        services,
        env.NOTIFICATION_CLOCK_INTERVAL_SECONDS * 1000,
        logger,
      );
      return {
        // A pass under way finishes before Stripe and the database go.
        async stop() {
          await Promise.all([
            reconciliation?.stop(),
            sweeper.stop(),
            seatSync.stop(),
            overageItems.stop(),
            notificationClock.stop(),
            meterReporting.stop(),
          ]);
        },
      };
    },
  });
  const isOwnDb = !options.db;

  return {
    url,
    port,
    deps,
    services,
    db,
    emulator: stripe?.emulator ?? null,
    devInbox: email.devInbox,
    emailWorker,
    leadership,
    metrics:
      metrics && metricsListener
        ? { ...metrics, url: metricsListener.url, port: metricsListener.port }
        : null,
    /**
     * Graceful: readiness turns 503, the listener stops accepting, in-flight requests finish (idle
     * keep-alive connections are closed at once; busy ones are cut after SHUTDOWN_TIMEOUT_SECONDS),
     * then the emulator and the database pool close.
     */
    async close() {
      isShuttingDown = true;
      const backgroundStopped = Promise.all([outbox.stop(), leadership.stop()]);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const idleSweep = setInterval(() => server.closeIdleConnections(), 100);
      const deadline = setTimeout(() => server.closeAllConnections(), env.SHUTDOWN_TIMEOUT_SECONDS * 1000);
      await closed;
      // Scrapes answer until the public listener is drained: the last requests are still counted.
      await metricsListener?.close();
      clearInterval(idleSweep);
      clearTimeout(deadline);
      await backgroundStopped; // a pass under way finishes before Stripe and the database go
      // Work accepted before shutdown is written before the pool goes: the alerts the last runs owe,
      // and reset emails for requests already answered.
      await Promise.all([services.usageAlerts.settled(), services.passwordReset.settled()]);
      await email.close();
      await stripe?.emulator?.close();
      if (isOwnDb) await db.close();
    },
  };
}
