import { createTransport } from 'nodemailer';

export interface MailerOptions {
  /** smtp://user:pass@host:port or smtps://… (implicit TLS). */
  smtpUrl: string;
  /** Envelope and header sender, e.g. `Tollgate <no-reply@tollgate.dev>`. */
  from: string;
}

export interface OutgoingMessage {
  to: string;
  subject: string;
  html: string;
  text: string;
  /**
   * Set by the caller and stable across retries (e.g. `<outbox-123@tollgate>`), so a message that
   * was delivered but not acknowledged can be recognised as a duplicate downstream.
   */
  messageId: string;
  headers?: Record<string, string>;
}

export interface SendResult {
  accepted: string[];
  rejected: string[];
  response: string;
}

export interface Mailer {
  send(message: OutgoingMessage): Promise<SendResult>;
  /** Connects and authenticates without sending; throws if the server is unusable. */
  verify(): Promise<void>;
  close(): void;
}

// Bounded so a stuck server fails a send (and the outbox retries) instead of holding a worker
// for nodemailer's defaults of minutes.
const CONNECTION_TIMEOUT_MS = 15_000;
const GREETING_TIMEOUT_MS = 15_000;
const SOCKET_TIMEOUT_MS = 20_000;

export function createMailer(options: MailerOptions): Mailer {
  const transport = createTransport({
    url: options.smtpUrl,
    // One connection per send keeps failure handling simple; volume is low.
    pool: false,
    connectionTimeout: CONNECTION_TIMEOUT_MS,
    greetingTimeout: GREETING_TIMEOUT_MS,
    socketTimeout: SOCKET_TIMEOUT_MS,
  });

  return {
    async send(message) {
      const info = await transport.sendMail({
        from: options.from,
        to: message.to,
        subject: message.subject,
        html: message.html,
        text: message.text,
        messageId: message.messageId,
        headers: message.headers,
      });
      return {
        accepted: info.accepted.map(addressOf),
        rejected: info.rejected.map(addressOf),
        response: info.response,
      };
    },
    async verify() {
      await transport.verify();
    },
    close() {
      transport.close();
    },
  };
}

function addressOf(address: string | { address: string }): string {
  return typeof address === 'string' ? address : address.address;
}
