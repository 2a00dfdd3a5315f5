// How the tests start Debian's chromium (installed by .ci/run when missing): the flags keep it off
// the network, which this machine does not have beyond the package registries.
export const CHROMIUM = "/usr/bin/chromium";

export const CHROMIUM_FLAGS: string[] = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-quic",
];
