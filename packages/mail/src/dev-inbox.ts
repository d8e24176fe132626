import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { simpleParser } from 'mailparser';
import type { SMTPServerDataStream, SMTPServerSession } from 'smtp-server';
import { SMTPServer } from 'smtp-server';

export interface DevInboxOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  /** Hold each message this long before answering 250, to test clients that die mid-send. */
  acceptDelayMs?: number;
  /** Older messages are dropped beyond this many. */
  maxMessages?: number;
}

export interface InboxMessage {
  /** Inbox-local sequence number, used in dev page links. */
  id: string;
  /** The Message-ID header as sent, with angle brackets, or null if the message had none. */
  messageId: string | null;
  /** The From header's address, e.g. `no-reply@tollgate.dev` (the envelope sender if absent). */
  from: string;
  /** Envelope recipients (RCPT TO), which is who the message was actually delivered to. */
  to: string[];
  subject: string;
  /** Empty when the message has no HTML part. */
  html: string;
  /** Empty when the message has no text part. */
  text: string;
  /** The Date header, or null if absent. */
  date: Date | null;
  /** Every header as sent (names lower-cased, folded lines joined; the last of a repeated name). */
  headers: Record<string, string>;
  receivedAt: Date;
}

export interface WaitForOptions {
  timeoutMs?: number;
}

export interface DevInbox {
  url: string;
  port: number;
  /** Oldest first, as received. */
  messages(): InboxMessage[];
  clear(): void;
  waitFor(predicate: (message: InboxMessage) => boolean, options?: WaitForOptions): Promise<InboxMessage>;
  close(): Promise<void>;
}

const DEFAULT_MAX_MESSAGES = 500;
const DEFAULT_WAIT_MS = 5_000;

/**
 * An SMTP server in this process that keeps what it receives in memory: what dev mode sends to
 * and what tests assert against, with no container or external catcher to run.
 */
export async function startDevInbox(options: DevInboxOptions = {}): Promise<DevInbox> {
  const host = options.host ?? '127.0.0.1';
  const acceptDelayMs = options.acceptDelayMs ?? 0;
  const maxMessages = options.maxMessages ?? DEFAULT_MAX_MESSAGES;
  let stored: InboxMessage[] = [];
  let nextId = 1;
  const arrivals = new EventEmitter();
  arrivals.setMaxListeners(0);

  // Sessions with a message being accepted, flagged when their client hangs up. An SMTP session
  // has at most one DATA in flight, and entries go when it is decided, so this never grows.
  const inFlight = new Map<string, { isClientGone: boolean }>();

  async function receive(stream: SMTPServerDataStream, session: SMTPServerSession): Promise<void> {
    const state = { isClientGone: false };
    inFlight.set(session.id, state);
    try {
      await accept(stream, session, state);
    } finally {
      inFlight.delete(session.id);
    }
  }

  async function accept(
    stream: SMTPServerDataStream,
    session: SMTPServerSession,
    state: { isClientGone: boolean },
  ): Promise<void> {
    const parsed = await simpleParser(stream);
    if (acceptDelayMs > 0) {
      await sleep(acceptDelayMs);
      // onClose runs from a setImmediate after the socket closes; yield once so a close that
      // happened during the delay is already recorded.
      await new Promise((resolve) => setImmediate(resolve));
    }
    // Store only what the client will be told was accepted: if it hung up first, it never saw a
    // 250 and will retry, and storing it here would fake a duplicate delivery.
    if (state.isClientGone) return;
    const message: InboxMessage = {
      id: String(nextId++),
      messageId: parsed.messageId ?? null,
      from: parsed.from?.value[0]?.address ?? envelopeSender(session),
      to: session.envelope.rcptTo.map((recipient) => recipient.address),
      subject: parsed.subject ?? '',
      html: typeof parsed.html === 'string' ? parsed.html : '',
      text: parsed.text ?? '',
      date: parsed.date ?? null,
      headers: rawHeaders(parsed.headerLines),
      receivedAt: new Date(),
    };
    stored.push(message);
    if (stored.length > maxMessages) stored = stored.slice(-maxMessages);
    arrivals.emit('message', message);
  }

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    // The client's reverse-resolved name is never shown, and on a machine with a slow resolver the
    // lookup holds every greeting up to 1.5 s (every email a test reads pays it).
    disableReverseLookup: true,
    logger: false,
    // Tests close the inbox with clients possibly still connected; don't wait 30 s for them.
    closeTimeout: 1_000,
    onData(stream, session, callback) {
      receive(stream, session).then(
        () => callback(),
        (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
      );
    },
    onClose(session) {
      const state = inFlight.get(session.id);
      if (state) state.isClientGone = true;
    },
  });
  // A client that vanishes mid-transaction surfaces as a server error; that is expected here.
  server.on('error', () => undefined);

  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.server.address() as AddressInfo;

  return {
    url: `smtp://${host}:${port}`,
    port,
    messages: () => [...stored],
    clear() {
      stored = [];
    },
    waitFor(predicate, waitOptions = {}) {
      const existing = stored.find(predicate);
      if (existing) return Promise.resolve(existing);
      const timeoutMs = waitOptions.timeoutMs ?? DEFAULT_WAIT_MS;
      return new Promise((resolve, reject) => {
        const onMessage = (message: InboxMessage) => {
          if (!predicate(message)) return;
          clearTimeout(timer);
          arrivals.off('message', onMessage);
          resolve(message);
        };
        const timer = setTimeout(() => {
          arrivals.off('message', onMessage);
          reject(new Error(`No matching message arrived in the dev inbox within ${timeoutMs} ms`));
        }, timeoutMs);
        arrivals.on('message', onMessage);
      });
    },
    close() {
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

function envelopeSender(session: SMTPServerSession): string {
  const mailFrom = session.envelope.mailFrom;
  return mailFrom ? mailFrom.address : '';
}

/** `Name: value` lines (as mailparser keeps them) → { name: value }, continuation lines unfolded. */
function rawHeaders(lines: readonly { key: string; line: string }[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const { key, line } of lines) {
    const value = line.slice(line.indexOf(':') + 1).replace(/\r?\n[ \t]+/g, ' ');
    headers[key] = value.trim();
  }
  return headers;
}
