// A lock file holding the owner's pid. A lock whose pid is no longer alive is stale (the owner was
// killed) and is taken over; a live one refuses the second opener with a message that names it.
import { open, readFile, rm } from "node:fs/promises";
import { StoreError } from "./errors";

export type TDirLock = { release(): Promise<void> };

export async function acquireDirLock(file: string): Promise<TDirLock> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, "wx");
      await handle.writeFile(String(process.pid));
      await handle.close();
      let released = false;
      return {
        release: async () => {
          if (released) return;
          released = true;
          await rm(file, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const owner = Number.parseInt(await readFile(file, "utf8").catch(() => ""), 10);
      if (Number.isInteger(owner) && owner !== process.pid && isAlive(owner)) {
        throw new StoreError({
          code: "store_locked",
          message: `the data directory is in use by process ${owner} (${file}); stop it, or set HOTPATH_DATA_DIR to another directory`,
        });
      }
      await rm(file, { force: true });
    }
  }
  throw new StoreError({ code: "store_locked", message: `could not take the lock ${file}` });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
