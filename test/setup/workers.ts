// Setup for the "workers" project: workerd dispatches `unhandledrejection` on the global scope.
import { failOnUnhandledRejections } from "./unhandled-rejections.ts";

failOnUnhandledRejections((record) => {
  const listener = (event: PromiseRejectionEvent): void => record(event.reason);
  globalThis.addEventListener("unhandledrejection", listener);
  return () => globalThis.removeEventListener("unhandledrejection", listener);
});
