// `npm run keys -- <command>`: manage API keys from a shell.
//   create --name <name> [--rights ingest,read,admin]   prints the secret once
//   list
//   revoke <id>
// With the embedded store and a running server, it goes through the server's API with the local
// admin secret the server left in the data directory; otherwise it opens the store itself.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { KeyStore, LOCAL_ADMIN_FILE, RIGHTS, type TKeyInfo, ZCreateKeySchema } from "../server/auth/keys";
import { parseConfig } from "../server/config/env";
import { openStore, StoreError } from "../server/store";

const USAGE = "usage: npm run keys -- create --name <name> [--rights ingest,read,admin] | list | revoke <id>";

function die(message: string, code = 2): never {
  console.error(`hotpath keys: ${message}`);
  process.exit(code);
}

const parsed = parseConfig(process.env);
if (!parsed.ok) die(parsed.error.message);
const config = parsed.config;
const [command, ...args] = process.argv.slice(2);

function flag(name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

type TOps = {
  create(name: string, rights: string[]): Promise<{ key: TKeyInfo; secret: string }>;
  list(): Promise<TKeyInfo[]>;
  revoke(id: number): Promise<TKeyInfo | undefined>;
  close(): Promise<void>;
};

async function viaServer(): Promise<TOps | undefined> {
  if (config.store.kind !== "pglite") return undefined;
  const file = await readFile(path.join(config.store.dataDir, LOCAL_ADMIN_FILE), "utf8").catch(() => undefined);
  if (!file) return undefined;
  const { secret } = JSON.parse(file) as { secret: string };
  const base = `http://${config.host}:${config.port}`;
  const call = async (method: string, p: string, body?: unknown) => {
    const res = await fetch(`${base}${p}`, {
      method,
      headers: { authorization: `Bearer ${secret}`, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    }).catch((e: Error) =>
      die(
        `the server holding ${config.store.kind === "pglite" ? config.store.dataDir : ""} does not answer at ${base} (${e.message}); is PORT right?`,
        1,
      ),
    );
    const json = (await res.json()) as Record<string, unknown>;
    if (res.status === 404) return undefined;
    if (!res.ok) die((json.error as { message: string }).message, 1);
    return json;
  };
  return {
    create: async (name, rights) =>
      (await call("POST", "/api/keys", { name, rights })) as { key: TKeyInfo; secret: string },
    list: async () => ((await call("GET", "/api/keys")) as { keys: TKeyInfo[] }).keys,
    revoke: async (id) => ((await call("DELETE", `/api/keys/${id}`)) as { key: TKeyInfo } | undefined)?.key,
    close: async () => undefined,
  };
}

async function direct(): Promise<TOps> {
  const store = await openStore(config.store).catch((e: Error) =>
    die(e instanceof StoreError ? e.message : e.message, 1),
  );
  const keys = new KeyStore(store.prisma);
  return {
    create: (name, rights) => keys.create(ZCreateKeySchema.parse({ name, rights })),
    list: () => keys.list(),
    revoke: (id) => keys.revoke(id),
    close: async () => {
      await keys.close();
      await store.close();
    },
  };
}

if (!command || !["create", "list", "revoke"].includes(command)) die(USAGE);
const ops = (await viaServer()) ?? (await direct());
try {
  if (command === "create") {
    const name = flag("name");
    if (!name) die(`create needs --name. ${USAGE}`);
    const rights = (flag("rights") ?? "ingest").split(",").map((r) => r.trim());
    const bad = rights.filter((r) => !(RIGHTS as readonly string[]).includes(r));
    if (bad.length > 0) die(`unknown right(s) ${bad.join(", ")}: use ${RIGHTS.join(", ")}`);
    const { key, secret } = await ops.create(name, rights);
    console.log(`created key ${key.id} "${key.name}" with rights ${key.rights.join(", ")}`);
    console.log(`secret (shown once; Hotpath keeps only its hash):\n${secret}`);
  } else if (command === "list") {
    for (const k of await ops.list()) {
      const state = k.revokedAt ? `revoked ${k.revokedAt}` : "active";
      console.log(
        `${k.id}\t${k.name}\t${k.prefix}…\t${k.rights.join(",")}\t${state}\tlast seen ${k.lastSeenAt ?? "never"}`,
      );
    }
  } else {
    const id = Number(args[0]);
    if (!Number.isInteger(id) || id <= 0) die(`revoke needs a key id. ${USAGE}`);
    const key = await ops.revoke(id);
    if (!key) die(`no key with id ${id}`, 1);
    console.log(`revoked key ${key.id} "${key.name}"`);
  }
} finally {
  await ops.close();
}
