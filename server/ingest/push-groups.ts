// Pushgateway groups: the last push per grouping key stays visible as such (which series it holds,
// when it came), on top of every push being stored as samples. A group may carry a TTL after which
// its series count as stale; the time of each group's last push feeds "job stopped pushing" alerts.
import type { Prisma, PrismaClient } from "@prisma/client";
import { renderGroupingKey } from "./parse/grouping-path";

export type TPushGroupInfo = {
  key: string;
  job: string;
  labels: Record<string, string>;
  seriesCount: number;
  pushedAt: string;
  expiresAt: string | null;
  expired: boolean;
  mode: string;
};

export class PushGroups {
  constructor(private readonly prisma: PrismaClient) {}

  async record(push: {
    labels: Record<string, string>;
    seriesIds: Int32Array;
    metricNames: Set<string>;
    /** PUT replaces the whole group; POST replaces only the metrics it carries. */
    replaceAll: boolean;
    ttlMs: number | undefined;
    additive: boolean;
  }): Promise<void> {
    const key = renderGroupingKey(push.labels);
    const now = new Date();
    const pushed = [...new Set(push.seriesIds)];
    let seriesIds = pushed;
    if (!push.replaceAll) {
      const prev = await this.prisma.pushGroup.findUnique({ where: { key }, select: { seriesIds: true } });
      if (prev && prev.seriesIds.length > 0) {
        const kept = await this.prisma.series.findMany({
          where: { id: { in: prev.seriesIds }, name: { notIn: [...push.metricNames] } },
          select: { id: true },
        });
        seriesIds = [...new Set([...kept.map((k) => k.id), ...pushed])];
      }
    }
    const data = {
      job: push.labels.job ?? "",
      labels: push.labels as Prisma.InputJsonValue,
      seriesIds,
      pushedAt: now,
      ttlSeconds: push.ttlMs ? Math.round(push.ttlMs / 1000) : null,
      expiresAt: push.ttlMs ? new Date(now.getTime() + push.ttlMs) : null,
      mode: push.additive ? "additive" : "replace",
    };
    await this.prisma.pushGroup.upsert({ where: { key }, create: { key, ...data }, update: data });
  }

  async remove(labels: Record<string, string>): Promise<boolean> {
    const res = await this.prisma.pushGroup.deleteMany({ where: { key: renderGroupingKey(labels) } });
    return res.count > 0;
  }

  async list(now = Date.now()): Promise<TPushGroupInfo[]> {
    const rows = await this.prisma.pushGroup.findMany({ orderBy: { pushedAt: "desc" } });
    return rows.map((r) => ({
      key: r.key,
      job: r.job,
      labels: r.labels as Record<string, string>,
      seriesCount: r.seriesIds.length,
      pushedAt: r.pushedAt.toISOString(),
      expiresAt: r.expiresAt?.toISOString() ?? null,
      expired: r.expiresAt !== null && r.expiresAt.getTime() <= now,
      mode: r.mode,
    }));
  }
}
