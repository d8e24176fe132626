import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { enqueueEmails, type Database, type NewOutboxEmail } from '@tollgate/db';
import type { Email } from '@tollgate/mail';

export const APP_URL = 'https://app.tollgate.test';
export const FROM = 'Tollgate <no-reply@tollgate.test>';
export const T0 = new Date('2026-12-03T12:00:00.000Z');

/** A clock the test moves by hand: the worker's `now` and every claim's lease read it. */
export function manualClock(start: Date = T0) {
  let current = start.getTime();
  return {
    now: () => new Date(current),
    advance(ms: number) {
      current += ms;
    },
  };
}

export function paymentRecovered(accountName = 'Acme'): Email {
  return { kind: 'payment_recovered', accountName, planName: 'Pro' };
}

export function verifyEmail(token = 'x'): Email {
  return { kind: 'verify_email', verifyUrl: `${APP_URL}/verify-email#token=${token}`, expiresInHours: 24 };
}

/**
 * An outbox row as the notifier writes it: the Email's facts as JSON, no account or user. Due at T0 (the
 * manual clock's start), not at the database's now, so tests on the manual clock see it due.
 */
export function outboxRow(key: string, email: Email, toAddress = `${key}@example.test`): NewOutboxEmail {
  return {
    dedupeKey: key,
    accountId: null,
    userId: null,
    toAddress,
    kind: email.kind,
    data: JSON.parse(JSON.stringify(email)) as Record<string, unknown>,
    nextAttemptAt: T0,
  };
}

/** Enqueues `count` payment_recovered rows (`<prefix>-1` …), due at T0. */
export async function enqueueMany(db: Database, count: number, prefix = 'row') {
  const rows = Array.from({ length: count }, (_, index) =>
    outboxRow(`${prefix}-${index + 1}`, paymentRecovered(`Acme ${index + 1}`)),
  );
  // Chunks keep the statement's parameter count small.
  for (let start = 0; start < rows.length; start += 100) {
    await enqueueEmails(db, rows.slice(start, start + 100));
  }
}

export function messageIdOf(outboxId: number, host = new URL(APP_URL).hostname): string {
  return `<outbox-${outboxId}@${host}>`;
}

/** How many times each value occurs, and the ones that occur more than once. */
export function tally(values: (string | null)[]): { counts: Map<string | null, number>; repeated: string[] } {
  const counts = new Map<string | null, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  const repeated = [...counts].filter(([, n]) => n > 1).map(([value]) => String(value));
  return { counts, repeated };
}

/** A port that was just free and has nothing listening on it (connections are refused). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface RejectingSmtpServer {
  url: string;
  /** RCPT TO commands seen: one per delivery attempt. */
  readonly recipientAttempts: number;
  close(): Promise<void>;
}

/**
 * A minimal SMTP server that answers every RCPT TO with `reply` (e.g. `550 5.1.1 Mailbox unavailable`).
 * The dev inbox accepts everything; this is the receiving side that says no, spoken over a real socket.
 */
export async function startRejectingSmtpServer(reply: string): Promise<RejectingSmtpServer> {
  let recipientAttempts = 0;
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.write('220 reject.test ESMTP\r\n');
    let buffered = '';
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      for (let end = buffered.indexOf('\r\n'); end >= 0; end = buffered.indexOf('\r\n')) {
        const verb = buffered.slice(0, end).slice(0, 4).toUpperCase();
        buffered = buffered.slice(end + 2);
        if (verb === 'EHLO' || verb === 'HELO') socket.write('250 reject.test\r\n');
        else if (verb === 'MAIL' || verb === 'RSET' || verb === 'NOOP') socket.write('250 OK\r\n');
        else if (verb === 'RCPT') {
          recipientAttempts += 1;
          socket.write(`${reply}\r\n`);
        } else if (verb === 'QUIT') socket.end('221 Bye\r\n');
        else socket.write('502 Command not implemented\r\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    get recipientAttempts() {
      return recipientAttempts;
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

export interface SmtpTap {
  url: string;
  close(): Promise<void>;
}

/**
 * A TCP relay in front of an SMTP server that calls `onEndOfData` the moment a client has sent a whole
 * message (the `<CRLF>.<CRLF>` that ends DATA; dot-stuffing keeps it out of bodies), after forwarding
 * it and before the server can have answered: the instant a message is in flight. `cut()` drops that
 * connection on both sides at once, as the kernel does when the client process is gone (a SIGKILLed
 * process on a loaded machine can take longer than that to be torn down). A client that hangs up is
 * hung up on upstream too, so the server sees it go.
 */
export async function startSmtpTap(
  targetPort: number,
  onEndOfData: (cut: () => void) => void,
): Promise<SmtpTap> {
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  };
  const server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    track(client);
    track(upstream);
    const cut = () => {
      client.destroy();
      upstream.destroy();
    };
    let tail = '';
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      tail = (tail + chunk.toString('latin1')).slice(-5);
      if (tail === '\r\n.\r\n') onEndOfData(cut);
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
