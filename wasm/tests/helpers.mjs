// Shared by the package tests: where the repository is, and the shared fixtures.
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { createRequire } from "node:module";

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

const TYPES = {
  ".js": "text/javascript",
  ".mjs": "text/javascript",
  ".wasm": "application/wasm",
  ".html": "text/html",
  ".json": "application/json",
  ".css": "text/css",
};

/** Serves the files under `dir` (`/` is `index.html`) on a free port of 127.0.0.1. */
export function serveDir(dir) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, "http://x");
    const file = path.join(dir, url.pathname === "/" ? "index.html" : decodeURIComponent(url.pathname));
    if (!file.startsWith(dir) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream" });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

/**
 * Opens `url` in headless Chromium (Debian's) and waits for the page to set `window.results`.
 * Returns the results, the page's text and every console error, warning or page error.
 */
export async function openPage(url) {
  const { chromium } = createRequire(path.join(ROOT, "package.json"))("playwright-core");
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    const page = await browser.newPage();
    const problems = [];
    page.on("console", (m) => { if (m.type() === "error" || m.type() === "warning") problems.push(m.text()); });
    page.on("pageerror", (e) => problems.push(String(e)));
    page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()}`));
    await page.goto(url);
    await page.waitForFunction(() => window.results !== undefined || window.failure !== undefined, null, { timeout: 20_000 });
    const failure = await page.evaluate(() => window.failure);
    if (failure) problems.push(failure);
    return { results: await page.evaluate(() => window.results), text: await page.textContent("body"), problems };
  } finally {
    await browser.close();
  }
}
