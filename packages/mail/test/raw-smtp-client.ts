import type { Socket } from 'node:net';
import { connect } from 'node:net';

/**
 * Speaks just enough SMTP by hand to stop at an exact point of a transaction, which nodemailer
 * can't do: send the whole message, then hang up before the server's final reply.
 */
export class RawSmtpClient {
  private buffer = '';
  private waiters: Array<() => void> = [];

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  static async connect(port: number): Promise<RawSmtpClient> {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const client = new RawSmtpClient(socket);
    await client.reply();
    return client;
  }

  /** Sends a command and returns the server's final reply line, e.g. "250 OK". */
  async command(line: string): Promise<string> {
    this.socket.write(`${line}\r\n`);
    return this.reply();
  }

  /** Sends a message body and the terminating dot without waiting for the reply. */
  sendBody(rawMessage: string): void {
    this.socket.write(`${rawMessage.replace(/\r?\n/g, '\r\n')}\r\n.\r\n`);
  }

  async reply(): Promise<string> {
    for (;;) {
      const complete = this.takeReply();
      if (complete) return complete;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  destroy(): void {
    this.socket.destroy();
  }

  // A reply is complete at a line whose fourth character is a space ("250 OK"), not "250-…".
  private takeReply(): string | null {
    const lines = this.buffer.split('\r\n');
    const finalIndex = lines.findIndex((line) => /^\d{3} /.test(line));
    if (finalIndex === -1) return null;
    this.buffer = lines.slice(finalIndex + 1).join('\r\n');
    return lines[finalIndex] ?? null;
  }
}

export function rawMessage(messageId: string): string {
  return [
    'From: no-reply@tollgate.test',
    'To: ada@acme.test',
    'Subject: Raw test',
    `Message-ID: ${messageId}`,
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Hello from a raw client',
  ].join('\n');
}

export async function startTransaction(client: RawSmtpClient): Promise<void> {
  await client.command('EHLO test.local');
  await client.command('MAIL FROM:<no-reply@tollgate.test>');
  await client.command('RCPT TO:<ada@acme.test>');
  const dataReply = await client.command('DATA');
  if (!dataReply.startsWith('354')) throw new Error(`DATA refused: ${dataReply}`);
}
