// The package in headless Chromium (Debian's): loaded as a <script type="module"> with no
// bundler, served by Vite's dev server, and built into a page by Vite, webpack and esbuild (the README's recipe) importing it
// by name, as a partner's app would. Each page shows a verdict with no console error.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { ROOT, serveDir, openPage } from "./helpers.mjs";

const CONSUMER = path.resolve(".");
const tools = createRequire(path.join(ROOT, "package.json"));

// What every page runs: check (fast path), a whole verdict, the batch API and the code table.
const APP = `
export function run(api) {
  const notify = '{"responseState":"531","refTransId":"R1"}';
  const voice = { "transaction-id": "VOC_1", "call-starttime": "2014-08-26 08:00:58.211",
    "call-endtime": "2014-08-26 08:00:59.200", "call-source": "2", "call-state": "5", "drop-code": "2005" };
  const results = {
    check: api.check("notify", notify),
    notify: api.validateNotify(notify),
    voice: api.validateVoice(voice),
    batch: Array.from(api.validateBatch("notify", notify + "\\n{}\\n").codes),
    codes: api.codes().length,
  };
  document.body.textContent = "verdict: " + results.check;
  window.results = results;
}
export function fail(e) { window.failure = String(e && e.stack || e); }
`;

function assertPage({ results, text, problems }) {
  assert.deepEqual(problems, []);
  assert.equal(text, "verdict: 1101");
  assert.equal(results.check, 1101);
  assert.equal(results.notify.code, 1101);
  assert.equal(results.notify.httpStatus, 500);
  assert.deepEqual(results.notify.errors.map((e) => e.field), ["deploymentId"]);
  assert.equal(results.voice.code, null);
  assert.equal(results.voice.ok, true);
  assert.deepEqual(results.batch, [1101, 1101]);
  assert.equal(results.codes, 17);
}

/** A fresh app folder under the consumer project (so "txstate-validator" resolves to the tarball). */
function app(name, main, html) {
  const dir = path.join(CONSUMER, "apps", name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "app.js"), APP);
  fs.writeFileSync(path.join(dir, "main.js"), main);
  fs.writeFileSync(path.join(dir, "index.html"), `<!doctype html><meta charset="utf-8"><title>${name}</title><link rel="icon" href="data:,">${html}`);
  return dir;
}

async function served(t, dir) {
  const server = await serveDir(dir);
  t.after(() => server.close());
  return `http://127.0.0.1:${server.address().port}/`;
}

const BY_NAME = `import init, * as api from "txstate-validator";
import { run, fail } from "./app.js";
init().then(() => run(api), fail);
`;

test("a <script type=module> with no bundler, from the installed package's files", async (t) => {
  const dir = app("plain", "", `<script type="module">
  import init, * as api from "./node_modules/txstate-validator/web/index.js";
  import { run, fail } from "./apps/plain/app.js";
  init().then(() => run(api), fail);
</script>`);
  fs.copyFileSync(path.join(dir, "index.html"), path.join(CONSUMER, "plain.html"));
  assertPage(await openPage(`${await served(t, CONSUMER)}plain.html`));
});

test("Vite: a production build of a page importing the package by name", async (t) => {
  const dir = app("vite", BY_NAME, `<script type="module" src="./main.js"></script>`);
  const { build } = await import(pathToFileURL(tools.resolve("vite")).href);
  await build({ root: dir, logLevel: "warn", build: { outDir: "dist", emptyOutDir: true } });
  assertPage(await openPage(await served(t, path.join(dir, "dist"))));
});

test("Vite: the dev server, with no configuration", async (t) => {
  const dir = app("vite-dev", BY_NAME, `<script type="module" src="./main.js"></script>`);
  const { createServer } = await import(pathToFileURL(tools.resolve("vite")).href);
  const server = await createServer({ root: dir, logLevel: "warn", server: { port: 0, host: "127.0.0.1" } });
  await server.listen();
  t.after(() => server.close());
  assertPage(await openPage(server.resolvedUrls.local[0]));
});

test("webpack 5: a production build of a page importing the package by name", async (t) => {
  const dir = app("webpack", BY_NAME, `<script src="./main.js"></script>`);
  const webpack = tools("webpack");
  const stats = await new Promise((resolve, reject) =>
    webpack({
      mode: "production",
      context: dir,
      entry: "./main.js",
      output: { path: path.join(dir, "dist"), filename: "main.js", clean: true },
      performance: { hints: false },
    }, (err, s) => (err ? reject(err) : resolve(s))),
  );
  assert.ok(!stats.hasErrors() && !stats.hasWarnings(), stats.toString("errors-warnings"));
  fs.copyFileSync(path.join(dir, "index.html"), path.join(dir, "dist/index.html"));
  assertPage(await openPage(await served(t, path.join(dir, "dist"))));
});

test("esbuild: the README's recipe (the module's URL from the file loader)", async (t) => {
  const dir = app("esbuild", `import init, * as api from "txstate-validator";
import wasm from "txstate-validator/txstate.wasm";
import { run, fail } from "./app.js";
init({ module_or_path: wasm }).then(() => run(api), fail);
`, `<script type="module" src="./main.js"></script>`);
  const esbuild = tools("esbuild");
  const result = await esbuild.build({
    entryPoints: [path.join(dir, "main.js")],
    bundle: true,
    format: "esm",
    platform: "browser",
    outdir: path.join(dir, "dist"),
    loader: { ".wasm": "file" },
    logLevel: "silent",
  });
  assert.deepEqual(result.warnings, []);
  fs.copyFileSync(path.join(dir, "index.html"), path.join(dir, "dist/index.html"));
  assertPage(await openPage(await served(t, path.join(dir, "dist"))));
});
