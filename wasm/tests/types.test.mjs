// The declarations type-check a partner's code (tsc --noEmit against the installed package),
// under every module resolution TypeScript has, and they describe what the Rust side really
// emits: every fixture's verdict, the code table and the demo catalog, written out as typed
// literals, must type-check (an undeclared field, a missing one or a wrong literal fails).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { validate, codes } from "txstate-validator";
import { ROOT, fixtures, optionsOf, catalogs } from "./helpers.mjs";

const tsc = path.join(ROOT, "node_modules", ".bin", "tsc");

function typeCheck(project) {
  const r = spawnSync(tsc, ["--noEmit", "-p", project], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stdout + r.stderr);
}

test("tsc (node16) accepts the typed example and its @ts-expect-error lines", () => typeCheck("tsconfig.json"));

test("tsc with moduleResolution bundler and node10 finds both entries", () => {
  typeCheck("tsconfig.bundler.json");
  typeCheck("tsconfig.node10.json");
});

test("the declarations describe what the Rust side emits", () => {
  const verdicts = fixtures().map(([, fx]) => validate(fx.api, fx.body, optionsOf(fx)));
  const lines = [
    'import type { Catalog, CodeInfo, NotifyVerdict, VoiceVerdict } from "txstate-validator";',
    `export const notify: NotifyVerdict[] = ${JSON.stringify(verdicts.filter((v) => v.api === "notify"), null, 1)};`,
    `export const voice: VoiceVerdict[] = ${JSON.stringify(verdicts.filter((v) => v.api === "voice"), null, 1)};`,
    `export const table: CodeInfo[] = ${JSON.stringify(codes(), null, 1)};`,
    `export const catalog: Catalog = ${JSON.stringify(catalogs.demo, null, 1)};`,
  ];
  fs.writeFileSync("shapes.generated.ts", `${lines.join("\n")}\n`);
  // Both outcomes and both APIs are in there, or the check proves little.
  assert.ok(verdicts.some((v) => v.ok && v.api === "notify") && verdicts.some((v) => !v.ok && v.api === "voice"));
  typeCheck("tsconfig.shapes.json");
});
