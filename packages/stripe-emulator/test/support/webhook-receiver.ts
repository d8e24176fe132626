import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';

const verifier = new Stripe('sk_test_verifier');

export interface WebhookReceiver {
  url: string;
  secret: string;
  /** Events that passed stripe.webhooks.constructEvent and were answered 2xx, in arrival order. */
  events: Stripe.Event[];
  /** Requests whose signature did not verify. */
  rejectedSignatures: number;
  /** Every arrival (verified), including the ones answered with an error status. */
  arrivals: { eventId: string; status: number }[];
  /** Decides the HTTP status per verified event (default 200). May be async to simulate a slow server. */
  respond: (event: Stripe.Event, attempt: number) => number | Promise<number>;
  ofType<T extends Stripe.Event['type']>(type: T): Extract<Stripe.Event, { type: T }>[];
  clear(): void;
  close(): Promise<void>;
}

/** A real HTTP server that verifies Stripe signatures exactly like a production webhook handler. */
export async function startWebhookReceiver(secret = 'whsec_test_receiver_secret'): Promise<WebhookReceiver> {
  const attempts = new Map<string, number>();
  const receiver: WebhookReceiver = {
    url: '',
    secret,
    events: [],
    rejectedSignatures: 0,
    arrivals: [],
    respond: () => 200,
    ofType<T extends Stripe.Event['type']>(type: T) {
      return receiver.events.filter(
        (event): event is Extract<Stripe.Event, { type: T }> => event.type === type,
      );
    },
    clear() {
      receiver.events.length = 0;
      receiver.arrivals.length = 0;
      receiver.rejectedSignatures = 0;
      attempts.clear();
    },
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let event: Stripe.Event;
        try {
          event = verifier.webhooks.constructEvent(
            body,
            req.headers['stripe-signature'] ?? '',
            receiver.secret,
          );
        } catch {
          receiver.rejectedSignatures += 1;
          res.writeHead(400).end('bad signature');
          return;
        }
        const attempt = (attempts.get(event.id) ?? 0) + 1;
        attempts.set(event.id, attempt);
        const status = await receiver.respond(event, attempt);
        receiver.arrivals.push({ eventId: event.id, status });
        if (status >= 200 && status < 300) receiver.events.push(event);
        if (!res.destroyed) res.writeHead(status).end();
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/stripe`;
  return receiver;
}
