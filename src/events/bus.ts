/**
 * The event bus: `emit` writes an event to the outbox (for webhooks) and tells in-process listeners.
 *
 * Emitting never fails its caller. A sign-in, a connection change or a refresh has already happened when its
 * event is emitted; a listener that throws, or an outbox that cannot be written, is logged and the caller
 * carries on. Listeners run after the outbox write and are not awaited by `emit`, so a slow listener cannot
 * slow a sign-in down either (`settled()` waits for them, for tests and shutdown).
 */
import { pooledRandomString } from '../core/crypto/random-pool.ts';
import type { WebhookEndpointRecord, WebhookStore } from '../store/events.ts';
import {
  EVENT_VERSION,
  type EventData,
  type EventOf,
  type EventType,
  filterMatches,
  orderingKeyOf,
  type SamlSpEvent,
} from './catalogue.ts';

/** Where the bus reports trouble (the server passes its JSON logger). */
export interface EventLogger {
  warn(event: string, fields?: Record<string, unknown>): void;
}

export type EventListener<T extends EventType> = (event: EventOf<T>) => void | Promise<void>;

export interface EventBusOptions {
  /** The outbox. Without it events reach in-process listeners only. */
  outbox?: WebhookStore;
  /** Default: the real clock. */
  now?: () => Date;
  logger?: EventLogger;
  /** How long the list of endpoints (and their filters) is reused between events. Default 5 s. */
  endpointCacheMs?: number;
}

const silent: EventLogger = { warn() {} };

/** A new event id: `evt_` and 128 random bits, base64url. */
export function newEventId(): string {
  return `evt_${pooledRandomString(16, 'base64url')}`;
}

/**
 * Typed lifecycle events, in process and to the outbox.
 *
 * @example
 * ```ts
 * sp.events.on('certificate.expiring_7d', (event) => {
 *   pager.notify(`IdP certificate of ${event.data.connectionId} expires ${event.data.notAfter}`);
 * });
 * ```
 */
export class EventBus {
  readonly #outbox: WebhookStore | undefined;
  readonly #now: () => Date;
  readonly #logger: EventLogger;
  readonly #cacheMs: number;
  readonly #listeners = new Map<EventType | '*', Set<EventListener<EventType>>>();
  readonly #inFlight = new Set<Promise<void>>();
  #endpoints: { at: number; list: Promise<WebhookEndpointRecord[]> } | undefined;

  constructor(options: EventBusOptions = {}) {
    this.#outbox = options.outbox;
    this.#now = options.now ?? (() => new Date());
    this.#logger = options.logger ?? silent;
    this.#cacheMs = options.endpointCacheMs ?? 5_000;
  }

  /** Whether events are written to an outbox (webhooks are possible). */
  get hasOutbox(): boolean {
    return this.#outbox !== undefined;
  }

  /**
   * Calls `listener` with every event of `type` (`'*'`: every event). Returns a function that removes it.
   * A listener's error or rejection is logged (`events.listener_failed`) and changes nothing else.
   */
  on<T extends EventType>(type: T, listener: EventListener<T>): () => void;
  on(type: '*', listener: EventListener<EventType>): () => void;
  on(type: EventType | '*', listener: EventListener<EventType>): () => void {
    const set = this.#listeners.get(type) ?? new Set();
    set.add(listener);
    this.#listeners.set(type, set);
    return () => {
      set.delete(listener);
    };
  }

  /**
   * Emits an event: written to the outbox for every enabled endpoint whose filter matches (awaited, so when
   * `emit` resolves the event survives a restart), then handed to listeners. Never rejects.
   */
  async emit<T extends EventType>(type: T, data: EventData[T], at: Date = this.#now()): Promise<EventOf<T>> {
    const event = {
      id: newEventId(),
      type,
      version: EVENT_VERSION,
      timestamp: at.toISOString(),
      data,
    } as EventOf<T>;
    if (this.#outbox) {
      try {
        const targets = (await this.#endpointList())
          .filter((e) => e.enabled && filterMatches(e.eventTypes, type))
          .map((e) => e.id);
        // No endpoint wants it: nothing to write (and no payload to serialise, on every sign-in).
        if (targets.length > 0)
          await this.#outbox.enqueue(
            { id: event.id, type, payload: JSON.stringify(event), createdAt: at },
            targets,
            orderingKeyOf(event as SamlSpEvent),
          );
      } catch (error) {
        this.#logger.warn('events.outbox_failed', { type, eventId: event.id, error: String(error) });
      }
    }
    this.#notify(event as SamlSpEvent);
    return event;
  }

  /** Forget the cached endpoint list (after an endpoint was added, changed or removed). */
  endpointsChanged(): void {
    this.#endpoints = undefined;
  }

  /** Resolves when every listener call started so far has finished. */
  async settled(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
  }

  #notify(event: SamlSpEvent): void {
    const listeners = [...(this.#listeners.get(event.type) ?? []), ...(this.#listeners.get('*') ?? [])];
    for (const listener of listeners) {
      const run = Promise.resolve()
        .then(() => listener(event))
        .catch((error: unknown) => {
          this.#logger.warn('events.listener_failed', {
            type: event.type,
            eventId: event.id,
            error: String(error),
          });
        })
        .finally(() => this.#inFlight.delete(run));
      this.#inFlight.add(run);
    }
  }

  #endpointList(): Promise<WebhookEndpointRecord[]> {
    const now = Date.now();
    if (this.#outbox === undefined) return Promise.resolve([]);
    if (this.#endpoints === undefined || now - this.#endpoints.at >= this.#cacheMs) {
      const list = this.#outbox.listEndpoints();
      this.#endpoints = { at: now, list };
      list.catch(() => {
        if (this.#endpoints?.list === list) this.#endpoints = undefined;
      });
    }
    return this.#endpoints.list;
  }
}
