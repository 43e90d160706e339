// Shared set-up for drupe's browser checks: Debian's chromium, headless, with the flags this
// machine's closed network needs, and a fresh profile per run.
import { chromium } from "playwright-core";
import { mkdtempSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export async function browser() {
  const profile = mkdtempSync(join(tmpdir(), "drupe-chromium-"));
  return chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

export function screenshotPath(name) {
  const dir = process.env.DRUPE_SCREENSHOTS || "target/screenshots";
  mkdirSync(dir, { recursive: true });
  return join(dir, name);
}

// Prints the result for the Rust test that runs this script, and exits.
export function report(result) {
  process.stdout.write(JSON.stringify(result) + "\n");
}
