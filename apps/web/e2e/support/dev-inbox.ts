/**
 * The server's dev inbox (development and test only): every email its in-process SMTP server caught,
 * newest first, at `/dev/inbox/messages.json`. The email flows read their links from it, as a user
 * would from their mailbox.
 */
export interface InboxMessage {
  id: string;
  messageId: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
  receivedAt: string;
}

export interface WaitForEmailOptions {
  to: string;
  /** Part of the subject, e.g. "Verify" or "Reset". */
  subject: string;
  /** Only messages received after this (a second reset email must not be mistaken for the first). */
  after?: Date;
  timeoutMs?: number;
}

async function messages(baseUrl: string): Promise<InboxMessage[]> {
  const response = await fetch(`${baseUrl}/dev/inbox/messages.json`);
  if (!response.ok) throw new Error(`The dev inbox answered ${response.status}`);
  return ((await response.json()) as { messages: InboxMessage[] }).messages;
}

/** Polls until a message to that address with that subject arrives (the outbox sends after commit). */
export async function waitForEmail(baseUrl: string, options: WaitForEmailOptions): Promise<InboxMessage> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  const to = options.to.toLowerCase();
  let seen = 0;
  while (Date.now() < deadline) {
    const all = await messages(baseUrl);
    seen = all.length;
    const found = all.find(
      (message) =>
        message.to.some((address) => address.toLowerCase().includes(to)) &&
        message.subject.includes(options.subject) &&
        (!options.after || new Date(message.receivedAt) >= options.after),
    );
    if (found) return found;
    await new Promise((resolvePoll) => setTimeout(resolvePoll, 250));
  }
  throw new Error(`No "${options.subject}" email to ${options.to} arrived (${seen} messages in the inbox)`);
}

/** The app link in an email's text: `<origin>/<path>#token=…`. */
export function linkIn(message: InboxMessage, path: '/verify-email' | '/reset-password'): string {
  const pattern = new RegExp(`https?://[^\\s<>"']+${path}#token=[^\\s<>"']+`);
  const link = pattern.exec(message.text)?.[0] ?? pattern.exec(message.html)?.[0];
  if (!link) throw new Error(`No ${path} link in "${message.subject}":\n${message.text}`);
  return link.replace(/&amp;/g, '&');
}
