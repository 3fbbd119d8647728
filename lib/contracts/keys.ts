// API keys and Pushgateway groups as the Agents page receives them (server/auth/routes.ts,
// server/auth/keys.ts TKeyInfo, server/ingest/push-groups.ts TPushGroupInfo).
import { z } from "zod";

export const KEY_RIGHTS = ["ingest", "read", "admin"] as const;
export const ZKeyRightSchema = z.enum(KEY_RIGHTS);
export type TKeyRight = z.infer<typeof ZKeyRightSchema>;

export const ZKeyInfoSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  prefix: z.string(),
  rights: z.array(ZKeyRightSchema),
  createdAt: z.string(),
  lastSeenAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});
export type TKeyInfo = z.infer<typeof ZKeyInfoSchema>;

export const ZKeyListSchema = z.object({ keys: z.array(ZKeyInfoSchema) });
export type TKeyList = z.infer<typeof ZKeyListSchema>;

/** POST /api/keys: the secret is in this response only; the store keeps its hash. */
export const ZCreatedKeySchema = z.object({ key: ZKeyInfoSchema, secret: z.string() });
export type TCreatedKey = z.infer<typeof ZCreatedKeySchema>;

/** DELETE /api/keys/:id answers with the key as revoked. */
export const ZRevokedKeySchema = z.object({ key: ZKeyInfoSchema });
export type TRevokedKey = z.infer<typeof ZRevokedKeySchema>;

export const ZCreateKeyInputSchema = z.object({ name: z.string(), rights: z.array(ZKeyRightSchema) });
export type TCreateKeyInput = z.infer<typeof ZCreateKeyInputSchema>;

export const ZPushGroupSchema = z.object({
  key: z.string(),
  job: z.string(),
  /** The whole grouping key, job included. */
  labels: z.record(z.string(), z.string()),
  seriesCount: z.number().int(),
  pushedAt: z.string(),
  expiresAt: z.string().nullable(),
  expired: z.boolean(),
  mode: z.enum(["replace", "additive"]),
});
export type TPushGroup = z.infer<typeof ZPushGroupSchema>;

export const ZPushGroupListSchema = z.object({ groups: z.array(ZPushGroupSchema) });
export type TPushGroupList = z.infer<typeof ZPushGroupListSchema>;
