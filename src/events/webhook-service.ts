/**
 * Webhook endpoints and their deliveries: the one implementation behind the admin API, the admin page and
 * the CLI. HTTP-free. The signing secret (`whsec_…`, the Standard Webhooks format) is generated here and
 * returned once, by `create`; views never carry it.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { AdminError } from '../sp/admin-errors.ts';
import { parseInput } from '../sp/connection-input.ts';
import type {
  DeliveryAttempt,
  DeliveryStatus,
  OutboxMessage,
  WebhookEndpointRecord,
  WebhookStore,
} from '../store/events.ts';
import type { EventBus } from './bus.ts';
import { EVENT_TYPES, isValidFilter } from './catalogue.ts';

const eventFilter = z
  .array(
    z.string().refine(isValidFilter, {
      message: `must be an event type (${EVENT_TYPES.join(', ')}), a family like "certificate.*", or "*"`,
    }),
  )
  .max(EVENT_TYPES.length + 10);
const webhookUrl = z.url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL' }).max(2048);

export const createWebhookSchema = z.strictObject({
  url: webhookUrl,
  description: z.string().trim().max(200).optional(),
  /** Event types to deliver; absent or empty: every type. */
  eventTypes: eventFilter.optional(),
  enabled: z.boolean().optional(),
});
export type CreateWebhookInput = z.input<typeof createWebhookSchema>;

export const updateWebhookSchema = z.strictObject({
  url: webhookUrl.optional(),
  description: z.string().trim().max(200).nullable().optional(),
  eventTypes: eventFilter.optional(),
  enabled: z.boolean().optional(),
});
export type UpdateWebhookInput = z.input<typeof updateWebhookSchema>;

/** An endpoint as the admin surfaces show it: everything but the secret. */
export interface WebhookEndpointView {
  id: string;
  url: string;
  description?: string;
  eventTypes: string[];
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
}

/** A delivery (one event to one endpoint) and its attempts. */
export interface DeliveryView {
  id: string;
  eventId: string;
  eventType: string;
  endpointId: string;
  connectionId?: string;
  status: DeliveryStatus;
  attempts: number;
  createdAt: string;
  nextAttemptAt?: string;
  lastAttemptAt?: string;
  lastStatusCode?: number;
  lastError?: string;
  log?: Array<{ attempt: number; at: string; statusCode?: number; durationMs: number; error?: string }>;
}

export interface WebhookServiceOptions {
  store: WebhookStore;
  /** Told when endpoints change, so it stops using its cached list. */
  events?: EventBus;
  now?: () => Date;
}

/**
 * @example
 * ```ts
 * const webhooks = new WebhookService({ store: stores.webhooks, events: sp.events });
 * const { endpoint, secret } = await webhooks.create({ url: 'https://hooks.example.com/saml', eventTypes: ['certificate.*'] });
 * ```
 */
export class WebhookService {
  readonly #store: WebhookStore;
  readonly #events: EventBus | undefined;
  readonly #now: () => Date;

  constructor(options: WebhookServiceOptions) {
    this.#store = options.store;
    this.#events = options.events;
    this.#now = options.now ?? (() => new Date());
  }

  /** Registers an endpoint; the secret is in the answer and nowhere else. */
  async create(raw: CreateWebhookInput): Promise<{ endpoint: WebhookEndpointView; secret: string }> {
    const input = parseInput(createWebhookSchema, raw);
    const now = this.#now();
    const record: WebhookEndpointRecord = {
      id: `ep_${randomBytes(12).toString('base64url')}`,
      url: input.url,
      secret: `whsec_${randomBytes(24).toString('base64')}`,
      ...(input.description ? { description: input.description } : {}),
      eventTypes: [...new Set(input.eventTypes ?? [])],
      enabled: input.enabled ?? true,
      createdAt: now,
      updatedAt: now,
    };
    await this.#store.putEndpoint(record);
    this.#events?.endpointsChanged();
    return { endpoint: endpointView(record), secret: record.secret };
  }

  async list(): Promise<WebhookEndpointView[]> {
    return (await this.#store.listEndpoints()).map(endpointView);
  }

  async get(id: string): Promise<WebhookEndpointView> {
    return endpointView(await this.#record(id));
  }

  /** Changes an endpoint (PATCH semantics; `description: null` clears it). The secret stays. */
  async update(id: string, raw: UpdateWebhookInput): Promise<WebhookEndpointView> {
    const input = parseInput(updateWebhookSchema, raw);
    const current = await this.#record(id);
    const next: WebhookEndpointRecord = {
      ...current,
      ...(input.url !== undefined ? { url: input.url } : {}),
      ...(input.eventTypes !== undefined ? { eventTypes: [...new Set(input.eventTypes)] } : {}),
      ...(input.enabled !== undefined ? { enabled: input.enabled } : {}),
      updatedAt: this.#now(),
    };
    if (input.description === null) delete next.description;
    else if (input.description !== undefined) next.description = input.description;
    await this.#store.putEndpoint(next);
    this.#events?.endpointsChanged();
    return endpointView(next);
  }

  /** Removes an endpoint and its pending and past deliveries. */
  async remove(id: string): Promise<void> {
    if (!(await this.#store.deleteEndpoint(id))) throw notFound(id);
    this.#events?.endpointsChanged();
  }

  /** Recent deliveries, newest first. */
  async deliveries(
    filter: { endpointId?: string; status?: DeliveryStatus; limit?: number } = {},
  ): Promise<DeliveryView[]> {
    return (await this.#store.listMessages(filter)).map((m) => deliveryView(m));
  }

  /** One delivery with its attempt log. */
  async delivery(messageId: string): Promise<DeliveryView> {
    const message = await this.#store.getMessage(messageId);
    if (!message) throw messageNotFound(messageId);
    return deliveryView(message, await this.#store.listAttempts(messageId));
  }

  /** Sends a delivery again (delivered or given up): pending, due now. The worker picks it up on its next tick. */
  async redeliver(messageId: string): Promise<DeliveryView> {
    if (!(await this.#store.redeliver(messageId, this.#now()))) throw messageNotFound(messageId);
    return this.delivery(messageId);
  }

  /** Pending deliveries (the outbox depth). */
  depth(): Promise<number> {
    return this.#store.depth();
  }

  async #record(id: string): Promise<WebhookEndpointRecord> {
    const record = await this.#store.getEndpoint(id);
    if (!record) throw notFound(id);
    return record;
  }
}

function endpointView(record: WebhookEndpointRecord): WebhookEndpointView {
  return {
    id: record.id,
    url: record.url,
    ...(record.description !== undefined ? { description: record.description } : {}),
    eventTypes: record.eventTypes,
    enabled: record.enabled,
    createdAt: record.createdAt.toISOString(),
    updatedAt: record.updatedAt.toISOString(),
  };
}

function deliveryView(message: OutboxMessage, attempts?: DeliveryAttempt[]): DeliveryView {
  return {
    id: message.id,
    eventId: message.eventId,
    eventType: message.eventType,
    endpointId: message.endpointId,
    ...(message.orderingKey !== undefined ? { connectionId: message.orderingKey } : {}),
    status: message.status,
    attempts: message.attempts,
    createdAt: message.createdAt.toISOString(),
    ...(message.status === 'pending' ? { nextAttemptAt: message.nextAttemptAt.toISOString() } : {}),
    ...(message.lastAttemptAt ? { lastAttemptAt: message.lastAttemptAt.toISOString() } : {}),
    ...(message.lastStatusCode !== undefined ? { lastStatusCode: message.lastStatusCode } : {}),
    ...(message.lastError !== undefined ? { lastError: message.lastError } : {}),
    ...(attempts
      ? {
          log: attempts.map((a) => ({
            attempt: a.attempt,
            at: a.at.toISOString(),
            ...(a.statusCode !== undefined ? { statusCode: a.statusCode } : {}),
            durationMs: a.durationMs,
            ...(a.error !== undefined ? { error: a.error } : {}),
          })),
        }
      : {}),
  };
}

function notFound(id: string): AdminError {
  return new AdminError('WEBHOOK_NOT_FOUND', `There is no webhook endpoint "${id}".`, {
    hint: 'List the endpoints (GET /admin/api/webhooks or `saml-sp webhooks list`) to see their ids.',
    status: 404,
  });
}

function messageNotFound(id: string): AdminError {
  return new AdminError('WEBHOOK_MESSAGE_NOT_FOUND', `There is no webhook delivery "${id}".`, {
    hint: 'List the deliveries (GET /admin/api/webhooks/deliveries or `saml-sp webhooks deliveries`) to see their ids.',
    status: 404,
  });
}
