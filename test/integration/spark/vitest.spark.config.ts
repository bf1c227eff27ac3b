import { defineConfig } from "vitest/config";

// The Spark part of the integration bed on its own, without the bed's global setup (a control
// plane this test does not need): `npx vitest run --config test/integration/spark/vitest.spark.config.ts`.
export default defineConfig({
  test: {
    include: ["test/integration/spark/**/*.test.ts"],
    // The SparkApplication runs need the bed's API server: run them with the integration config.
    exclude: ["test/integration/spark/application.test.ts", "test/integration/spark/event-log.test.ts"],
    pool: "forks",
    testTimeout: 600_000,
    hookTimeout: 3_600_000,
  },
});
