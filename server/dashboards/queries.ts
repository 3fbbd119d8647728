// Dashboard storage. Provisioned dashboards are (re)created at start when missing.
import { randomBytes } from "node:crypto";
import type { Prisma, PrismaClient } from "@prisma/client";
import type { TDashboard, TDashboardInput } from "../../lib/contracts/dashboards";
import { ZDashboardSpecSchema } from "../../lib/contracts/dashboards";
import { OVERVIEW_DASHBOARD, OVERVIEW_UID } from "./provisioned";

type TRow = Prisma.DashboardGetPayload<object>;

function toDashboard(r: TRow): TDashboard {
  return {
    uid: r.uid,
    title: r.title,
    description: r.description,
    provisioned: r.provisioned,
    version: r.version,
    spec: ZDashboardSpecSchema.parse(r.spec),
    updatedAt: r.updatedAt.toISOString(),
  };
}

export async function provisionDashboards(prisma: PrismaClient): Promise<void> {
  const d = OVERVIEW_DASHBOARD;
  await prisma.dashboard.upsert({
    where: { uid: OVERVIEW_UID },
    create: {
      uid: OVERVIEW_UID,
      title: d.title,
      description: d.description,
      provisioned: true,
      spec: d.spec as Prisma.InputJsonValue,
    },
    update: {},
  });
}

export async function listDashboards(prisma: PrismaClient) {
  const rows = await prisma.dashboard.findMany({ orderBy: [{ provisioned: "desc" }, { title: "asc" }] });
  return rows.map((r) => {
    const { spec, ...rest } = toDashboard(r);
    return { ...rest, panels: spec.panels.length };
  });
}

export async function getDashboard(prisma: PrismaClient, uid: string): Promise<TDashboard | undefined> {
  const r = await prisma.dashboard.findUnique({ where: { uid } });
  return r ? toDashboard(r) : undefined;
}

export async function createDashboard(prisma: PrismaClient, input: TDashboardInput): Promise<TDashboard> {
  const r = await prisma.dashboard.create({
    data: {
      uid: randomBytes(6).toString("base64url"),
      title: input.title,
      description: input.description,
      spec: input.spec as Prisma.InputJsonValue,
    },
  });
  return toDashboard(r);
}

export async function updateDashboard(
  prisma: PrismaClient,
  uid: string,
  input: TDashboardInput & { version: number },
): Promise<{ ok: true; dashboard: TDashboard } | { ok: false; reason: "not_found" | "conflict"; current?: number }> {
  // Optimistic concurrency: only the version the editor started from may be replaced.
  const res = await prisma.dashboard.updateMany({
    where: { uid, version: input.version },
    data: {
      title: input.title,
      description: input.description,
      spec: input.spec as Prisma.InputJsonValue,
      version: { increment: 1 },
    },
  });
  if (res.count === 0) {
    const current = await prisma.dashboard.findUnique({ where: { uid }, select: { version: true } });
    return current ? { ok: false, reason: "conflict", current: current.version } : { ok: false, reason: "not_found" };
  }
  return { ok: true, dashboard: (await getDashboard(prisma, uid)) as TDashboard };
}

export async function deleteDashboard(prisma: PrismaClient, uid: string): Promise<boolean> {
  return (await prisma.dashboard.deleteMany({ where: { uid } })).count > 0;
}
