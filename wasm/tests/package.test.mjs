// The package as a partner meets it: CommonJS, the browser entry's "call init() first", the
// txstate-validate command, and the packaging linters (publint, Are The Types Wrong).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { validateBatch } from "txstate-validator";
import { ROOT, fixtures, catalogs } from "./helpers.mjs";

const PKG = path.resolve("node_modules", "txstate-validator");
const bin = (name) => path.join(ROOT, "node_modules", ".bin", name);

function run(cmd, args, options = {}) {
  return spawnSync(cmd, args, { encoding: "utf8", ...options });
}

test("require() in a CommonJS module", () => {
  fs.writeFileSync("cjs-check.cjs", `const t = require("txstate-validator");
t.init().then(() => console.log(JSON.stringify({
  check: t.check("notify", "{}"),
  voice: t.check("voice", "{}"),
  verdict: t.validateNotify("{}").errors.length,
  isDefault: t.default === t.init,
})));`);
  const r = run("node", ["cjs-check.cjs"]);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { check: 1101, voice: 1002, verdict: 3, isDefault: true });
});

test("the browser entry says to call init() first, then works", async () => {
  const web = await import("txstate-validator/web");
  const first = /^txstate-validator: call init\(\) first/;
  assert.throws(() => web.check("notify", "{}"), { message: first });
  assert.throws(() => web.validateNotify("{}"), { message: first });
  assert.throws(() => new web.Validator(), { message: first });
  assert.throws(() => web.codes(), { message: first });
  assert.throws(() => web.notifySchema["~standard"].validate({}), { message: first });
  await web.init({ module_or_path: fs.readFileSync(path.join(PKG, "web/txstate_wasm_bg.wasm")) });
  assert.equal(web.check("notify", "{}"), 1101);
  await web.init(); // a second call is harmless
  assert.equal(web.validateVoice("{}").code, 1002);
});

/** A file of one-line notify bodies from the fixtures, and what the package says of them. */
function ndjsonOfFixtures() {
  const bodies = fixtures()
    .filter(([, fx]) => fx.api === "notify" && !fx.profile && fx.now == null && !fx.body.includes("\n") && fx.body.trim() !== "")
    .map(([, fx]) => fx.body);
  const file = path.resolve("notify.ndjson");
  fs.writeFileSync(file, `${bodies.join("\n")}\n`);
  fs.writeFileSync("catalog.json", JSON.stringify(catalogs.demo));
  return { file, expected: validateBatch("notify", bodies, { catalog: catalogs.demo }) };
}

test("txstate-validate: summary by code, the refused lines, exit 1", () => {
  const { file, expected } = ndjsonOfFixtures();
  assert.ok(expected.refused.length > 10 && expected.refused.length < expected.codes.length);
  const r = run("node_modules/.bin/txstate-validate", [file, "--catalog", "catalog.json"]);
  assert.equal(r.status, 1, r.stderr);
  const accepted = expected.codes.length - expected.refused.length;
  assert.match(r.stdout, new RegExp(`^notify: ${expected.codes.length} bodies, ${accepted} accepted, ${expected.refused.length} refused\n`));
  for (const refused of expected.refused) {
    assert.match(r.stdout, new RegExp(`\n  line ${refused.index + 1}: ${refused.verdict.code} \\(HTTP ${refused.verdict.httpStatus}\\) `));
  }
  const json = JSON.parse(run("node_modules/.bin/txstate-validate", [file, "--catalog", "catalog.json", "--json"]).stdout);
  assert.equal(json.refused, expected.refused.length);
  assert.equal(json.byCode.reduce((n, c) => n + c.count, 0), expected.codes.length);
  assert.equal(json.byCode.find((c) => c.code === 1100).count, accepted);
});

test("txstate-validate: exit 0 when every line passes; 2 when it cannot run", () => {
  const voice = '{"transaction-id":"VOC_1","call-starttime":"2014-08-26 08:00:58.211","call-endtime":"2014-08-26 08:00:59.200","call-source":"2","call-state":"5","drop-code":"2005"}';
  fs.writeFileSync("voice.ndjson", `${voice}\n\n${voice}\r\n`);
  const ok = run("node_modules/.bin/txstate-validate", ["voice.ndjson"]);
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /^voice: 2 bodies, 2 accepted, 0 refused\n/);
  const stdin = run("node_modules/.bin/txstate-validate", ["-", "--api", "voice"], { input: voice });
  assert.equal(stdin.status, 0, stdin.stderr);
  const missing = run("node_modules/.bin/txstate-validate", ["nope.ndjson"]);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /cannot read the payloads nope\.ndjson/);
  fs.writeFileSync("bad-catalog.json", '{"deployments": [{"id": "x", "channel": "fax", "type": "onetime"}]}');
  const badCatalog = run("node_modules/.bin/txstate-validate", ["voice.ndjson", "--catalog", "bad-catalog.json"]);
  assert.equal(badCatalog.status, 2);
  assert.match(badCatalog.stderr, /options\.catalog\.deployments\[0\]\.channel: unknown value "fax"/);
  const badApi = run("node_modules/.bin/txstate-validate", ["voice.ndjson", "--api", "sms"]);
  assert.equal(badApi.status, 2);
  assert.match(badApi.stderr, /--api must be notify or voice/);
});

test("publint finds nothing to fix in the package", () => {
  const r = run(bin("publint"), ["run", PKG, "--strict"]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.doesNotMatch(r.stdout + r.stderr, /warning|suggestion|error/i);
});

// (`txstate-validator/txstate.wasm` is a file for esbuild's file loader, not a module: left out.)
test("Are The Types Wrong: every resolution mode finds the types (node10, node16 CJS and ESM, bundler)", () => {
  const r = run(bin("attw"), [process.env.TXSTATE_TARBALL, "--format", "table-flipped", "--exclude-entrypoints", "txstate.wasm"]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
});
