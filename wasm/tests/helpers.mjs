// Shared by the package tests: where the repository is, and the shared fixtures.
import fs from "node:fs";
import path from "node:path";

export const ROOT = process.env.TXSTATE_ROOT;
if (!ROOT) throw new Error("TXSTATE_ROOT is not set: run these tests with `cargo xtask test`");

const fixturesDir = path.join(ROOT, "fixtures");

/** The catalogs of fixtures/catalogs, by name. */
export const catalogs = Object.fromEntries(
  fs.readdirSync(path.join(fixturesDir, "catalogs"))
    .filter((f) => f.endsWith(".json"))
    .map((f) => [f.replace(/\.json$/, ""), JSON.parse(fs.readFileSync(path.join(fixturesDir, "catalogs", f), "utf8"))]),
);

/** Every shared fixture: [name, fixture]. */
export function fixtures() {
  const out = [];
  for (const api of ["notify", "voice"]) {
    for (const f of fs.readdirSync(path.join(fixturesDir, api)).filter((f) => f.endsWith(".json")).sort()) {
      out.push([`${api}/${f}`, JSON.parse(fs.readFileSync(path.join(fixturesDir, api, f), "utf8"))]);
    }
  }
  return out;
}

/** The options a fixture asks for. */
export function optionsOf(fx) {
  const o = {};
  if (fx.catalog) o.catalog = catalogs[fx.catalog];
  if (fx.now != null) o.now = fx.now;
  if (fx.profile) o.profile = fx.profile;
  return o;
}
