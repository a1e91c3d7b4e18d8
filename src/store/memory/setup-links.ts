/** Setup links in process memory: tests and `DATABASE_URL=memory:`. */
import {
  clipUserAgent,
  type SetupLinkRecord,
  type SetupLinkStore,
  type SetupLinkUse,
} from '../setup-links.ts';

/**
 * An in-process {@link SetupLinkStore}. Records are copied in and out.
 *
 * @example
 * ```ts
 * const links = new MemorySetupLinkStore();
 * ```
 */
export class MemorySetupLinkStore implements SetupLinkStore {
  readonly #links = new Map<string, SetupLinkRecord>();
  readonly #uses: SetupLinkUse[] = [];

  async create(link: SetupLinkRecord): Promise<void> {
    if (this.#links.has(link.id) || [...this.#links.values()].some((l) => l.tokenHash === link.tokenHash)) {
      throw new Error(`setup link ${link.id} or its token hash exists already`);
    }
    this.#links.set(link.id, structuredClone(link));
  }

  async get(id: string): Promise<SetupLinkRecord | undefined> {
    const link = this.#links.get(id);
    return link && structuredClone(link);
  }

  async findByTokenHash(tokenHash: string): Promise<SetupLinkRecord | undefined> {
    const link = [...this.#links.values()].find((l) => l.tokenHash === tokenHash);
    return link && structuredClone(link);
  }

  async listForOrganization(organizationId: string): Promise<SetupLinkRecord[]> {
    return [...this.#links.values()]
      .filter((l) => l.organizationId === organizationId)
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1))
      .map((l) => structuredClone(l));
  }

  async revoke(id: string, at: Date): Promise<boolean> {
    const link = this.#links.get(id);
    if (!link || link.revokedAt) return false;
    link.revokedAt = new Date(at);
    return true;
  }

  async bindConnection(id: string, connectionId: string): Promise<string | undefined> {
    const link = this.#links.get(id);
    if (!link) return undefined;
    link.connectionId ??= connectionId;
    return link.connectionId;
  }

  async markActivated(id: string, at: Date): Promise<void> {
    const link = this.#links.get(id);
    if (link) link.activatedAt ??= new Date(at);
  }

  async recordUse(use: SetupLinkUse): Promise<void> {
    const userAgent = clipUserAgent(use.userAgent);
    this.#uses.push({ ...use, at: new Date(use.at), ...(userAgent !== undefined ? { userAgent } : {}) });
  }

  async listUses(linkId: string, limit = 200): Promise<SetupLinkUse[]> {
    return this.#uses
      .filter((u) => u.linkId === linkId)
      .slice(-limit)
      .map((u) => structuredClone(u));
  }
}
