/**
 * What a connection remembers about its IdP metadata: where it came from, what it looked like, and how the
 * last refresh went. Stored on the connection (as JSON, like the rest of it) and shown on the admin page.
 */
import type { MetadataFacts } from './metadata/idp-metadata.ts';

export type { MetadataFacts };

/** A refresh (or import) that failed, in the words of the error it raised. */
export interface MetadataFailure {
  /** ISO time of the attempt. */
  at: string;
  code: string;
  message: string;
  hint: string;
}

/** The metadata in use and its refresh bookkeeping. Times are ISO strings. */
export interface MetadataStatus {
  /** `url`: refreshed from `metadataUrl`; `file`: uploaded, changes only when an admin replaces it. */
  source: 'file' | 'url';
  /** When the metadata in use was read: the upload, or the last successful fetch. */
  importedAt: string;
  /** When its content last changed (a refresh that finds the same bytes only moves `importedAt`). */
  changedAt: string;
  /** SHA-256 (hex) of the metadata text in use (of the whole document, for an aggregate). */
  sha256: string;
  /**
   * Set when the document was a large aggregate: `metadataXml` then keeps only the chosen entity (inside its
   * enclosing EntitiesDescriptors), not the whole feed, which every sign-in would otherwise read again.
   */
  aggregate?: { bytes: number; entityCount: number };
  validUntil?: string;
  cacheDuration?: string;
  facts: MetadataFacts;
  /** Parser remarks that do not depend on the clock (skipped bindings, ignored attributes). */
  notes: string[];
  /** The pinned certificate that verified the metadata signature, when the connection pins one. */
  signatureVerifiedBy?: string;
  /** URL connections: the last attempt, successful or not. */
  lastAttemptAt?: string;
  /** URL connections: when the scheduler fetches again. */
  nextRefreshAt?: string;
  /** The last failed refresh, kept until a later one succeeds. The last good copy stays in use meanwhile. */
  lastError?: MetadataFailure;
  /** Failed refreshes since the last success (drives the retry backoff). */
  consecutiveFailures: number;
}
