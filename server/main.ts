// Entry point: validate the environment, start, and stop cleanly on SIGTERM/SIGINT.

import { RuleFileError } from "./alerts/rule-files";
import { startHotpath } from "./app";
import { parseConfig } from "./config/env";
import { StoreError } from "./store";

const parsed = parseConfig(process.env, { dev: process.argv.includes("--dev") });
if (!parsed.ok) {
  console.error(`hotpath: ${parsed.error.message}`);
  process.exit(2);
}
const config = parsed.config;

try {
  const hotpath = await startHotpath(config);
  console.log(`hotpath: serving on ${hotpath.url} (store: ${hotpath.store.kind}${config.ui ? "" : ", UI off"})`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`hotpath: ${signal} received, shutting down`);
    // A last resort so a stuck connection cannot keep the process past its supervisor's patience.
    setTimeout(() => {
      console.error(`hotpath: shutdown took longer than ${config.shutdownTimeoutMs} ms; exiting`);
      process.exit(1);
    }, config.shutdownTimeoutMs).unref();
    hotpath.close().then(
      () => process.exit(0),
      (err: Error) => {
        console.error(`hotpath: shutdown failed: ${err.message}`);
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
} catch (err) {
  if (err instanceof StoreError) {
    console.error(`hotpath: store: ${err.message}`);
  } else if (err instanceof RuleFileError) {
    console.error(`hotpath: ${err.message}`);
  } else if ((err as NodeJS.ErrnoException).code === "EADDRINUSE") {
    console.error(`hotpath: PORT=${config.port}: address ${config.host}:${config.port} is already in use`);
  } else {
    console.error(`hotpath: failed to start: ${(err as Error).stack ?? err}`);
  }
  process.exit(1);
}
