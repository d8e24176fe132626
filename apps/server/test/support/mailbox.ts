import type { InboxMessage } from '@tollgate/mail';
import { expect } from 'vitest';
import type { RunningServer } from '../../src/server';

/**
 * What reached a mailbox: the server's outbox is drained first (as its worker does every few
 * seconds; pending usage-alert checks first), then the in-process SMTP server's catch is read, as a mail client would.
 */
export async function mailTo(server: RunningServer, address: string): Promise<InboxMessage[]> {
  await server.services.usageAlerts.settled(); // alerts are checked just after the runs' answers
  await server.emailWorker.drain();
  if (!server.devInbox) throw new Error('the server runs without its dev inbox (SMTP_URL is set)');
  return server.devInbox.messages().filter((message) => message.to.includes(address));
}

/** The subjects a mailbox received, in order. */
export async function subjectsTo(server: RunningServer, address: string): Promise<string[]> {
  return (await mailTo(server, address)).map((message) => message.subject);
}

/** The one message whose subject matches (fails when there are none or several). */
export async function onlyMessage(
  server: RunningServer,
  address: string,
  subject: RegExp,
): Promise<InboxMessage> {
  const matching = (await mailTo(server, address)).filter((message) => subject.test(message.subject));
  expect(matching.map((message) => message.subject)).toHaveLength(1);
  const [message] = matching;
  if (!message) throw new Error('unreachable');
  return message;
}

/** Every link in a message's text part. */
export function linksIn(message: InboxMessage): string[] {
  return [...message.text.matchAll(/https?:\/\/[^\s)>\]]+/g)].map((match) => match[0]);
}
