// Placeholder so server/app.ts can register the drill-down routes; replaced by the real module.
import type { PrismaClient } from "@prisma/client";
import type { FastifyInstance } from "fastify";
import type { KeyStore } from "../auth/keys";

export function registerDrilldownRoutes(_api: FastifyInstance, _deps: { prisma: PrismaClient; keys: KeyStore }): void {}
