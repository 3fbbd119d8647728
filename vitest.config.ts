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
    testTimeout: 30_000,
    hookTimeout: 60_000,
    globalSetup: ["./server/test/global-setup.ts"],
  },
});
