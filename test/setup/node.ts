// Setup for the "node" project.
import { failOnUnhandledRejections } from "./unhandled-rejections.ts";

interface NodeProcess {
  on(event: "unhandledRejection", listener: (reason: unknown) => void): unknown;
  off(event: "unhandledRejection", listener: (reason: unknown) => void): unknown;
}

// The tsconfig has no Node types (src must not use them), so reach `process` through a minimal shape.
const { process } = globalThis as unknown as { process: NodeProcess };

failOnUnhandledRejections((record) => {
  process.on("unhandledRejection", record);
  return () => process.off("unhandledRejection", record);
});
