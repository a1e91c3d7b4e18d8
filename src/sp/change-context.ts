/**
 * Who asked for a change. Every mutating service method (connections, organizations, setup links, keys, tokens)
 * takes a `ChangeContext` as its last, optional argument, so that the audit log, lifecycle events and edit
 * history can say who did what without each caller passing it a different way.
 */
export interface Actor {
  /** How the actor proved who they are. */
  kind: 'admin-token' | 'admin-session' | 'cli' | 'setup-link' | 'scim-token' | 'system';
  /** A stable, human-readable name: the admin token's name, "cli", a setup link's id, "metadata-refresh". */
  name: string;
}

export interface ChangeContext {
  actor?: Actor;
}

/** The actor recorded when a caller passes none (library use, tests). */
export const UNKNOWN_ACTOR: Readonly<Actor> = Object.freeze({ kind: 'system', name: 'unknown' });
