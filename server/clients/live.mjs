// A live txstate server for the Node test suites: the server binary on an ephemeral port with
// demo data on a fresh SQLite file. Resolves once the server has printed its address and the
// demo user's secret key.

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dirname, "../..");
export const BIN = process.env.TXSTATE_SERVER_BIN ?? join(ROOT, "target/debug/txstate-server");

/** Starts a server; `env` adds settings. Returns `{url, demoKey, stop}`. */
export async function startServer(adminToken, env = {}) {
  const dir = mkdtempSync(join(tmpdir(), "txstate-live-"));
  const child = spawn(BIN, [], {
    env: {
      ...process.env,
      TXSTATE_BIND: "127.0.0.1:0",
      TXSTATE_DATABASE_URL: `sqlite://${join(dir, "live.db")}`,
      TXSTATE_ADMIN_TOKEN: adminToken,
      TXSTATE_DEMO: "true",
      NO_COLOR: "1",
      RUST_LOG: "info",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  const { url, demoKey } = await new Promise((ok, fail) => {
    const read = (chunk) => {
      log += chunk.toString().replace(/\x1b\[[0-9;]*m/g, "");
      const at = log.match(/serving at (http:\/\/[0-9.:]+)\//);
      const key = log.match(/secret key ([0-9a-f]{64})/);
      if (at && key) ok({ url: at[1], demoKey: key[1] });
    };
    child.stdout.on("data", read);
    child.stderr.on("data", read);
    child.on("exit", (code) => fail(new Error(`server exited (${code}):\n${log}`)));
  });
  const stop = () => {
    child.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  };
  return { url, demoKey, stop, log: () => log };
}
