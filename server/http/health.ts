// GET /api/health: liveness of the store and Redis, version and uptime. 200 when the store answers,
// 503 when it does not (Redis is optional: its loss degrades, it does not fail).
import type { Redis } from "ioredis";
import { pingRedis } from "../redis";
import type { TStore, TStoreKind } from "../store";

export type THealth = {
  status: "ok" | "degraded" | "down";
  version: string;
  uptimeSeconds: number;
  store: TStoreKind;
  checks: {
    store: { ok: boolean; latencyMs?: number; error?: string };
    redis: { configured: boolean; ok?: boolean; latencyMs?: number; error?: string };
  };
};

export async function getHealth(deps: {
  store: TStore;
  redis: Redis | undefined;
  version: string;
  startedAt: number;
}): Promise<THealth> {
  const [store, redis] = await Promise.all([
    deps.store.ping().then(
      (latencyMs) => ({ ok: true, latencyMs: round(latencyMs) }),
      (err: Error) => ({ ok: false, error: err.message }),
    ),
    deps.redis
      ? pingRedis(deps.redis).then(
          (latencyMs) => ({ configured: true, ok: true, latencyMs: round(latencyMs) }),
          (err: Error) => ({ configured: true, ok: false, error: err.message }),
        )
      : Promise.resolve({ configured: false }),
  ]);
  const status = !store.ok ? "down" : redis.configured && !("ok" in redis && redis.ok) ? "degraded" : "ok";
  return {
    status,
    version: deps.version,
    uptimeSeconds: round((Date.now() - deps.startedAt) / 1000),
    store: deps.store.kind,
    checks: { store, redis },
  };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
