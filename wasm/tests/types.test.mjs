// The declarations type-check a partner's code (tsc --noEmit against the installed package).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { ROOT } from "./helpers.mjs";

test("tsc --noEmit accepts the typed example and its @ts-expect-error lines", () => {
  const tsc = path.join(ROOT, "node_modules", ".bin", "tsc");
  const r = spawnSync(tsc, ["--noEmit", "-p", "tsconfig.json"], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});
