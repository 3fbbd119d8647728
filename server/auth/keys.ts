// API keys: random secrets shown once, stored as SHA-256, checked from a short-lived memory cache so
// a push costs no store round trip. Rights: ingest, read, admin (admin implies the others).
import { createHash, randomBytes } from "node:crypto";
import type { PrismaClient } from "@prisma/client";
import { z } from "zod";

export const RIGHTS = ["ingest", "read", "admin"] as const;
export type TRight = (typeof RIGHTS)[number];

export const ZCreateKeySchema = z.object({
  name: z.string().trim().min(1, "name is required").max(100, "name is at most 100 characters"),
  rights: z
    .array(z.enum(RIGHTS, { message: 'rights are "ingest", "read" or "admin"' }))
    .min(1, "give at least one right"),
});
export type TCreateKey = z.infer<typeof ZCreateKeySchema>;

export type TKeyInfo = {
  id: number;
  name: string;
  prefix: string;
  rights: TRight[];
  createdAt: string;
  lastSeenAt: string | null;
  revokedAt: string | null;
};

type TCached = { id: number; rights: TRight[]; revoked: boolean; at: number };

/** Where a PGlite server leaves its per-process admin secret for `npm run keys` on this machine. */
export const LOCAL_ADMIN_FILE = "local-admin.json";

const CACHE_MS = 10_000;
const LAST_SEEN_FLUSH_MS = 30_000;

export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

export class KeyStore {
  private readonly cache = new Map<string, TCached>();
  private readonly seen = new Set<number>();
  private readonly flushTimer: NodeJS.Timeout;
  private localAdminHash: string | undefined;

  constructor(private readonly prisma: PrismaClient) {
    // last_seen is informational: written in bulk, not on every request.
    this.flushTimer = setInterval(() => void this.flushLastSeen().catch(() => undefined), LAST_SEEN_FLUSH_MS);
    this.flushTimer.unref();
  }

  async create(input: TCreateKey): Promise<{ key: TKeyInfo; secret: string }> {
    const secret = `hp_${randomBytes(24).toString("base64url")}`;
    const row = await this.prisma.apiKey.create({
      data: {
        name: input.name,
        hash: hashSecret(secret),
        prefix: secret.slice(0, 10),
        rights: [...new Set(input.rights)],
      },
    });
    return { key: toInfo(row), secret };
  }

  /** HOTPATH_BOOTSTRAP_KEY: a key with that exact secret and every right, created once. */
  async ensureBootstrap(secret: string): Promise<void> {
    const hash = hashSecret(secret);
    await this.prisma.apiKey.upsert({
      where: { hash },
      create: { name: "bootstrap (HOTPATH_BOOTSTRAP_KEY)", hash, prefix: secret.slice(0, 10), rights: [...RIGHTS] },
      update: { revokedAt: null, rights: [...RIGHTS] },
    });
    this.cache.delete(hash);
  }

  async list(): Promise<TKeyInfo[]> {
    const rows = await this.prisma.apiKey.findMany({ orderBy: { id: "asc" } });
    return rows.map(toInfo);
  }

  async revoke(id: number): Promise<TKeyInfo | undefined> {
    const row = await this.prisma.apiKey.findUnique({ where: { id } });
    if (!row) return undefined;
    const updated = await this.prisma.apiKey.update({
      where: { id },
      data: { revokedAt: row.revokedAt ?? new Date() },
    });
    this.cache.delete(row.hash);
    return toInfo(updated);
  }

  /**
   * A per-process admin secret for the keys CLI on this machine (written to the data directory with
   * mode 0600): the CLI cannot open an embedded store that the running server holds.
   */
  setLocalAdminSecret(secret: string): void {
    this.localAdminHash = hashSecret(secret);
  }

  /** The key's rights, or undefined for an unknown or revoked secret. */
  async check(secret: string): Promise<{ id: number; rights: TRight[] } | undefined> {
    const hash = hashSecret(secret);
    if (hash === this.localAdminHash) return { id: 0, rights: [...RIGHTS] };
    const now = Date.now();
    let entry = this.cache.get(hash);
    if (!entry || now - entry.at > CACHE_MS) {
      const row = await this.prisma.apiKey.findUnique({ where: { hash } });
      entry = row
        ? { id: row.id, rights: row.rights as TRight[], revoked: row.revokedAt !== null, at: now }
        : { id: 0, rights: [], revoked: true, at: now };
      this.cache.set(hash, entry);
    }
    if (entry.revoked) return undefined;
    this.seen.add(entry.id);
    return { id: entry.id, rights: entry.rights };
  }

  async close(): Promise<void> {
    clearInterval(this.flushTimer);
    await this.flushLastSeen().catch(() => undefined);
  }

  private async flushLastSeen(): Promise<void> {
    if (this.seen.size === 0) return;
    const ids = [...this.seen];
    this.seen.clear();
    await this.prisma.apiKey.updateMany({ where: { id: { in: ids } }, data: { lastSeenAt: new Date() } });
  }
}

export function hasRight(rights: TRight[], needed: TRight): boolean {
  return rights.includes("admin") || rights.includes(needed);
}

function toInfo(row: {
  id: number;
  name: string;
  prefix: string;
  rights: string[];
  createdAt: Date;
  lastSeenAt: Date | null;
  revokedAt: Date | null;
}): TKeyInfo {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    rights: row.rights as TRight[],
    createdAt: row.createdAt.toISOString(),
    lastSeenAt: row.lastSeenAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
  };
}
