import { defineConfig } from "vitest/config";

// Throwaway config for working on this folder alone: no globalSetup (the integration config's
// bed belongs to the lead); controller.test.ts starts its own bed.
export default defineConfig({
  test: {
    root: new URL("../../..", import.meta.url).pathname,
    include: ["test/integration/metacontroller/**/*.test.ts"],
    fileParallelism: false,
    pool: "forks",
    testTimeout: 300_000,
    hookTimeout: 3_600_000,
  },
});
