import type { Logger } from '@tollgate/api';
import { createMailer, startDevInbox, type DevInbox, type Mailer } from '@tollgate/mail';
import type { Env } from './env';

export interface EmailSetup {
  /** null: EMAIL_DELIVERY=disabled (the outbox marks emails skipped; in-app notifications remain). */
  mailer: Mailer | null;
  /** The in-process SMTP server catching every email (development and tests without SMTP_URL). */
  devInbox: DevInbox | null;
  close(): Promise<void>;
}

const DEV_FROM = 'Tollgate <no-reply@tollgate.localhost>';

/**
 * SMTP_URL → a real SMTP server. Without it (outside production, where env.ts requires it) a real
 * SMTP server runs in this process and keeps what it receives for the dev inbox page: `npm start`
 * shows every email a user would get, and tests read them the way a mailbox would.
 */
export async function setUpEmail(env: Env, logger: Logger): Promise<EmailSetup> {
  if (env.EMAIL_DELIVERY === 'disabled') {
    logger.info('email delivery disabled (EMAIL_DELIVERY=disabled): in-app notifications only');
    return { mailer: null, devInbox: null, close: async () => {} };
  }
  const from = env.MAIL_FROM ?? DEV_FROM;
  if (env.SMTP_URL) {
    const mailer = createMailer({ smtpUrl: env.SMTP_URL, from });
    return { mailer, devInbox: null, close: async () => mailer.close() };
  }
  const devInbox = await startDevInbox({ port: 0 });
  const mailer = createMailer({ smtpUrl: devInbox.url, from });
  return {
    mailer,
    devInbox,
    async close() {
      mailer.close();
      await devInbox.close();
    },
  };
}
