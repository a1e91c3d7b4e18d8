/**
 * A webhook receiver as an integrator writes one: a plain HTTP server on 127.0.0.1 that verifies every
 * delivery with the Standard Webhooks library (`standardwebhooks`) and the endpoint's secret, answers 204
 * when it verifies and 400 when it does not. `stop()` closes the port (new connections are refused, as when
 * a receiver is down); `start()` listens on the same port again.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface ReceivedDelivery {
  webhookId: string;
  timestamp: string;
  /** The verified, parsed payload. */
  event: { id: string; type: string; version: number; timestamp: string; data: Record<string, unknown> };
  raw: string;
}

export interface WebhookReceiver {
  url: string;
  port: number;
  /** Verified deliveries, in arrival order. */
  received: ReceivedDelivery[];
  /** Deliveries that failed verification (must stay empty). */
  rejected: Array<{ headers: IncomingMessage['headers']; body: string; reason: string }>;
  /** The secret from the admin API (whsec_…); until set, every delivery is rejected. */
  secret: string | undefined;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Resolves when `predicate` holds over `received`; rejects after `timeoutMs`. */
  waitFor(predicate: (received: ReceivedDelivery[]) => boolean, timeoutMs?: number): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  let server: Server | undefined;
  let port = 0;
  const receiver: WebhookReceiver = {
    url: '',
    port: 0,
    received: [],
    rejected: [],
    secret: undefined,
    async stop() {
      const s = server;
      server = undefined;
      if (!s) return;
      s.closeAllConnections();
      await new Promise((resolve) => s.close(resolve));
    },
    async start() {
      const s = createServer(async (req, res) => {
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        const body = Buffer.concat(chunks).toString('utf8');
        try {
          if (!receiver.secret) throw new Error('no secret yet');
          const event = new Webhook(receiver.secret).verify(body, {
            'webhook-id': String(req.headers['webhook-id']),
            'webhook-timestamp': String(req.headers['webhook-timestamp']),
            'webhook-signature': String(req.headers['webhook-signature']),
          }) as ReceivedDelivery['event'];
          receiver.received.push({
            webhookId: String(req.headers['webhook-id']),
            timestamp: String(req.headers['webhook-timestamp']),
            event,
            raw: body,
          });
          res.writeHead(204).end();
        } catch (error) {
          receiver.rejected.push({ headers: req.headers, body, reason: String(error) });
          res.writeHead(400).end();
        }
      });
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(port, '127.0.0.1', () => resolve());
      });
      port = (s.address() as AddressInfo).port;
      receiver.port = port;
      receiver.url = `http://127.0.0.1:${port}/hooks`;
      server = s;
    },
    async waitFor(predicate, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(receiver.received)) {
        if (Date.now() > deadline) {
          throw new Error(
            `webhook receiver: condition not met in ${timeoutMs} ms; received ${JSON.stringify(receiver.received.map((r) => r.event.type))}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
  };
  await receiver.start();
  return receiver;
}
