// The package validates a payload inside headless Chromium (Debian's), loaded as a
// <script type="module"> with no bundler, from the installed package's files.
import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { ROOT } from "./helpers.mjs";

const { chromium } = createRequire(path.join(ROOT, "package.json"))("playwright-core");
const PKG = path.resolve("node_modules", "txstate-validator");
const TYPES = { ".js": "text/javascript", ".wasm": "application/wasm", ".html": "text/html", ".json": "application/json" };

const PAGE = `<!doctype html><meta charset="utf-8"><title>txstate-validator</title><link rel="icon" href="data:,">
<script type="module">
  import init, { validateNotify, validateVoice, codes } from "/pkg/web/txstate_wasm.js";
  await init();
  window.results = {
    notify: validateNotify('{"responseState":"531","refTransId":"R1"}'),
    voice: validateVoice({ "transaction-id": "VOC_1", "call-starttime": "2014-08-26 08:00:58.211",
      "call-endtime": "2014-08-26 08:00:59.200", "call-source": "2", "call-state": "5", "drop-code": "2005" }),
    codes: codes().length,
  };
</script>`;

function serve() {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, "http://x");
    if (url.pathname === "/") {
      res.writeHead(200, { "content-type": "text/html" }).end(PAGE);
      return;
    }
    const file = path.join(PKG, url.pathname.replace(/^\/pkg\//, ""));
    if (!url.pathname.startsWith("/pkg/") || !file.startsWith(PKG) || !fs.existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream" });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

test("validates in headless Chromium from a module script", async (t) => {
  const server = await serve();
  t.after(() => server.close());
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  t.after(() => browser.close());
  const page = await browser.newPage();
  const problems = [];
  page.on("console", (m) => { if (m.type() === "error" || m.type() === "warning") problems.push(m.text()); });
  page.on("pageerror", (e) => problems.push(String(e)));
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  await page.waitForFunction(() => window.results !== undefined, null, { timeout: 15_000 });
  const r = await page.evaluate(() => window.results);
  assert.equal(r.notify.code, 1101);
  assert.equal(r.notify.httpStatus, 500);
  assert.deepEqual(r.notify.errors.map((e) => e.field), ["deploymentId"]);
  assert.equal(r.voice.code, null);
  assert.equal(r.voice.ok, true);
  assert.equal(r.codes, 17);
  assert.deepEqual(problems, []);
});
