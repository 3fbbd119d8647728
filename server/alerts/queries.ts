// Alerting's store queries: rules, live instances, transition history, silences and channels. The
// only Prisma calls of server/alerts.
import type { Prisma, PrismaClient } from "@prisma/client";
import type { TChannel, TChannelSpec } from "./channels";
import type { TAlertRule, TStoredAlertRule } from "./rules";
import { ZAlertRuleSchema } from "./rules";
import type { TSilence } from "./silences";
import type { TAlertInstance, TAlertState } from "./state";

export type TRuleSource = "api" | "file" | "default";

export type TRuleRow = {
  id: string;
  source: TRuleSource;
  file: string | null;
  version: number;
  rule: TStoredAlertRule;
  updatedAt: Date;
};

/** The spec column holds the rule; file rules add the file they came from under `$file`. */
function toRow(r: {
  id: string;
  source: string;
  spec: Prisma.JsonValue;
  version: number;
  updatedAt: Date;
}): TRuleRow | undefined {
  const parsed = ZAlertRuleSchema.safeParse(r.spec);
  // A row written by an older version that no longer validates is skipped rather than crashing the start.
  if (!parsed.success) return undefined;
  const spec = r.spec as Record<string, unknown>;
  return {
    id: r.id,
    source: (["api", "file", "default"].includes(r.source) ? r.source : "api") as TRuleSource,
    file: typeof spec.$file === "string" ? spec.$file : null,
    version: r.version,
    rule: { ...parsed.data, id: r.id },
    updatedAt: r.updatedAt,
  };
}

function specOf(rule: TAlertRule, file?: string): Prisma.InputJsonValue {
  const { id: _id, ...rest } = rule;
  return (file ? { ...rest, $file: file } : rest) as Prisma.InputJsonValue;
}

export async function listRuleRows(prisma: PrismaClient): Promise<{ rows: TRuleRow[]; invalid: string[] }> {
  const rows = await prisma.alertRule.findMany({ orderBy: [{ source: "asc" }, { name: "asc" }] });
  const out: TRuleRow[] = [];
  const invalid: string[] = [];
  for (const r of rows) {
    const row = toRow(r);
    if (row) out.push(row);
    else invalid.push(r.id);
  }
  return { rows: out, invalid };
}

export async function getRuleRow(prisma: PrismaClient, id: string): Promise<TRuleRow | undefined> {
  const r = await prisma.alertRule.findUnique({ where: { id } });
  return r ? toRow(r) : undefined;
}

/** One line per rule: what changed since the last look (another node's edit) shows as a different text. */
export async function rulesSignature(prisma: PrismaClient): Promise<string> {
  const rows = await prisma.alertRule.findMany({ select: { id: true, version: true }, orderBy: { id: "asc" } });
  return rows.map((r) => `${r.id}@${r.version}`).join(",");
}

export async function createRuleRow(
  prisma: PrismaClient,
  id: string,
  rule: TAlertRule,
  source: TRuleSource = "api",
): Promise<TRuleRow> {
  const r = await prisma.alertRule.create({ data: { id, name: rule.name, source, spec: specOf(rule) } });
  return toRow(r) as TRuleRow;
}

export async function updateRuleRow(
  prisma: PrismaClient,
  id: string,
  rule: TAlertRule,
  version: number,
): Promise<{ ok: true; row: TRuleRow } | { ok: false; reason: "not_found" | "conflict"; current?: number }> {
  const res = await prisma.alertRule.updateMany({
    where: { id, version },
    data: { name: rule.name, spec: specOf(rule), version: { increment: 1 } },
  });
  if (res.count === 0) {
    const current = await prisma.alertRule.findUnique({ where: { id }, select: { version: true } });
    return current ? { ok: false, reason: "conflict", current: current.version } : { ok: false, reason: "not_found" };
  }
  return { ok: true, row: (await getRuleRow(prisma, id)) as TRuleRow };
}

export async function deleteRuleRow(prisma: PrismaClient, id: string): Promise<boolean> {
  const res = await prisma.alertRule.deleteMany({ where: { id } });
  await prisma.alertInstance.deleteMany({ where: { ruleId: id } });
  return res.count > 0;
}

/** Creates the default rules that are missing; existing ones (maybe edited) are left as they are. */
export async function seedDefaultRules(prisma: PrismaClient, rules: TStoredAlertRule[]): Promise<number> {
  const res = await prisma.alertRule.createMany({
    data: rules.map((r) => ({ id: r.id, name: r.name, source: "default", spec: specOf(r) })),
    skipDuplicates: true,
  });
  return res.count;
}

/** Makes the file rules in the store exactly `rules`: new ones created, changed ones replaced, gone ones deleted. */
export async function syncFileRules(
  prisma: PrismaClient,
  rules: { id: string; rule: TAlertRule; file: string }[],
): Promise<void> {
  const existing = await prisma.alertRule.findMany({ where: { source: "file" }, select: { id: true, spec: true } });
  const keep = new Set(rules.map((r) => r.id));
  const gone = existing.filter((e) => !keep.has(e.id)).map((e) => e.id);
  if (gone.length > 0) {
    await prisma.alertRule.deleteMany({ where: { id: { in: gone } } });
    await prisma.alertInstance.deleteMany({ where: { ruleId: { in: gone } } });
  }
  const before = new Map(existing.map((e) => [e.id, JSON.stringify(e.spec)]));
  for (const r of rules) {
    const spec = specOf(r.rule, r.file);
    const old = before.get(r.id);
    if (old === undefined)
      await prisma.alertRule.upsert({
        where: { id: r.id },
        create: { id: r.id, name: r.rule.name, source: "file", spec },
        update: { name: r.rule.name, source: "file", spec, version: { increment: 1 } },
      });
    else if (old !== JSON.stringify(spec))
      await prisma.alertRule.update({
        where: { id: r.id },
        data: { name: r.rule.name, spec, version: { increment: 1 } },
      });
  }
}

// ---------------------------------------------------------------------------------------------
// Instances and history

export async function loadInstances(prisma: PrismaClient): Promise<TAlertInstance[]> {
  const rows = await prisma.alertInstance.findMany();
  return rows.map((r) => r.instance as unknown as TAlertInstance);
}

export async function saveInstances(prisma: PrismaClient, upserts: TAlertInstance[], deletes: string[]): Promise<void> {
  if (deletes.length > 0) await prisma.alertInstance.deleteMany({ where: { key: { in: deletes } } });
  for (const inst of upserts) {
    const data = {
      ruleId: inst.ruleId,
      labels: inst.labels as Prisma.InputJsonValue,
      state: inst.state,
      instance: inst as unknown as Prisma.InputJsonValue,
    };
    await prisma.alertInstance.upsert({ where: { key: inst.key }, create: { key: inst.key, ...data }, update: data });
  }
}

export type TEventRow = {
  ruleId: string;
  key: string;
  labels: Record<string, string>;
  from: TAlertState;
  to: TAlertState;
  value: number | null;
  at: number;
};

export async function insertEvents(prisma: PrismaClient, events: TEventRow[]): Promise<void> {
  if (events.length === 0) return;
  await prisma.alertEvent.createMany({
    data: events.map((e) => ({
      ruleId: e.ruleId,
      key: e.key,
      labels: e.labels as Prisma.InputJsonValue,
      from: e.from,
      to: e.to,
      // NaN and ±Inf have no place in a float column's JSON round trip: kept as null.
      value: e.value !== null && Number.isFinite(e.value) ? e.value : null,
      at: new Date(e.at),
    })),
  });
}

export async function listEvents(
  prisma: PrismaClient,
  q: { ruleId?: string; limit: number; sinceMs?: number },
): Promise<(TEventRow & { id: string })[]> {
  const rows = await prisma.alertEvent.findMany({
    where: {
      ...(q.ruleId ? { ruleId: q.ruleId } : {}),
      ...(q.sinceMs !== undefined ? { at: { gte: new Date(q.sinceMs) } } : {}),
    },
    orderBy: [{ at: "desc" }, { id: "desc" }],
    take: q.limit,
  });
  return rows.map((r) => ({
    id: r.id.toString(),
    ruleId: r.ruleId,
    key: r.key,
    labels: r.labels as Record<string, string>,
    from: r.from as TAlertState,
    to: r.to as TAlertState,
    value: r.value,
    at: r.at.getTime(),
  }));
}

/** Drops history older than `beforeMs` (kept as long as raw samples by default). */
export async function pruneEvents(prisma: PrismaClient, beforeMs: number): Promise<number> {
  const res = await prisma.alertEvent.deleteMany({ where: { at: { lt: new Date(beforeMs) } } });
  return res.count;
}

// ---------------------------------------------------------------------------------------------
// Silences

function toSilence(r: Prisma.SilenceGetPayload<object>): TSilence {
  return {
    id: r.id,
    matchers: r.matchers as TSilence["matchers"],
    startsAt: r.startsAt.getTime(),
    endsAt: r.endsAt.getTime(),
    createdBy: r.createdBy,
    comment: r.comment,
  };
}

/** Silences that have not ended before `sinceMs` (expired ones stay listed for a while). */
export async function listSilences(prisma: PrismaClient, sinceMs: number): Promise<TSilence[]> {
  const rows = await prisma.silence.findMany({
    where: { endsAt: { gte: new Date(sinceMs) } },
    orderBy: { startsAt: "desc" },
  });
  return rows.map(toSilence);
}

export async function getSilence(prisma: PrismaClient, id: string): Promise<TSilence | undefined> {
  const r = await prisma.silence.findUnique({ where: { id } });
  return r ? toSilence(r) : undefined;
}

export async function createSilence(prisma: PrismaClient, s: TSilence): Promise<TSilence> {
  const r = await prisma.silence.create({
    data: {
      id: s.id,
      matchers: s.matchers as Prisma.InputJsonValue,
      startsAt: new Date(s.startsAt),
      endsAt: new Date(s.endsAt),
      createdBy: s.createdBy,
      comment: s.comment,
    },
  });
  return toSilence(r);
}

/** Ends a silence now (Alertmanager's "expire"); a silence that has not started ends at its start. */
export async function expireSilence(prisma: PrismaClient, id: string, nowMs: number): Promise<TSilence | undefined> {
  const s = await getSilence(prisma, id);
  if (!s) return undefined;
  if (s.endsAt <= nowMs) return s;
  const endsAt = Math.max(s.startsAt, nowMs);
  const r = await prisma.silence.update({ where: { id }, data: { endsAt: new Date(endsAt) } });
  return toSilence(r);
}

// ---------------------------------------------------------------------------------------------
// Channels

function toChannel(r: { id: string; name: string; spec: Prisma.JsonValue }): TChannel {
  return { ...(r.spec as unknown as TChannelSpec), id: r.id, name: r.name };
}

export async function listChannels(prisma: PrismaClient): Promise<TChannel[]> {
  const rows = await prisma.alertChannel.findMany({ orderBy: { name: "asc" } });
  return rows.map(toChannel);
}

export async function getChannel(prisma: PrismaClient, id: string): Promise<TChannel | undefined> {
  const r = await prisma.alertChannel.findUnique({ where: { id } });
  return r ? toChannel(r) : undefined;
}

export async function createChannel(prisma: PrismaClient, id: string, spec: TChannelSpec): Promise<TChannel> {
  const r = await prisma.alertChannel.create({
    data: { id, name: spec.name, spec: spec as unknown as Prisma.InputJsonValue },
  });
  return toChannel(r);
}

export async function updateChannel(
  prisma: PrismaClient,
  id: string,
  spec: TChannelSpec,
): Promise<TChannel | undefined> {
  const res = await prisma.alertChannel.updateMany({
    where: { id },
    data: { name: spec.name, spec: spec as unknown as Prisma.InputJsonValue },
  });
  return res.count === 0 ? undefined : getChannel(prisma, id);
}

export async function deleteChannel(prisma: PrismaClient, id: string): Promise<boolean> {
  const res = await prisma.alertChannel.deleteMany({ where: { id } });
  return res.count > 0;
}

// ---------------------------------------------------------------------------------------------
// Job activity at start

/** Jobs seen within `sinceMs`, with the latest time the store knows they pushed. */
export async function recentJobs(prisma: PrismaClient, sinceMs: number): Promise<{ job: string; lastMs: number }[]> {
  const since = new Date(sinceMs);
  const series = await prisma.$queryRaw<{ job: string; last: Date }[]>`
    SELECT labels->>'job' AS job, max(last_seen) AS last FROM series
    WHERE last_seen >= ${since} AND labels->>'job' IS NOT NULL GROUP BY 1`;
  const groups = await prisma.pushGroup.groupBy({
    by: ["job"],
    where: { pushedAt: { gte: since } },
    _max: { pushedAt: true },
  });
  const out = new Map<string, number>();
  for (const s of series) if (s.job) out.set(s.job, new Date(s.last).getTime());
  for (const g of groups) {
    const t = g._max.pushedAt?.getTime();
    if (g.job && t !== undefined) out.set(g.job, Math.max(out.get(g.job) ?? 0, t));
  }
  return [...out].map(([job, lastMs]) => ({ job, lastMs }));
}
