// Redis is optional: level-2 cache, pub/sub and the Socket.IO adapter when REDIS_URL is set. Hotpath
// starts without it being reachable and reports it in /api/health; ioredis reconnects by itself.
import { Redis } from "ioredis";

export type TRedisState = "connected" | "unavailable" | "off";

export function connectRedis(url: string, name: string): Redis {
  const redis = new Redis(url, {
    connectionName: `hotpath-${name}`,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  // Without a listener ioredis prints every failed reconnect as an unhandled error event.
  redis.on("error", () => undefined);
  return redis;
}

export function redisState(redis: Redis | undefined): TRedisState {
  if (!redis) return "off";
  return redis.status === "ready" ? "connected" : "unavailable";
}

export async function pingRedis(redis: Redis, timeoutMs = 1000): Promise<number> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      redis.ping(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
  return performance.now() - started;
}
