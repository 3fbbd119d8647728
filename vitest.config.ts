import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: [
      "server/**/*.test.ts",
      "lib/**/*.test.ts",
      "agent/**/*.test.ts",
      "demo/**/*.test.ts",
      "components/**/*.test.ts",
    ],
    // Two files at a time on two cores: the integration files spend most of their time waiting on
    // servers and wall-clock windows (the analyzer's and the agent outage's a minute or more each), so
    // the default of one worker here (cores - 1) left CI at ~10 min of mostly idle vitest. Three cut
    // it to ~5.5 min but loaded the machine enough to blur the demo's timing comparisons.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    globalSetup: ["./server/test/global-setup.ts"],
  },
});
