// End to end: the server binary (with the UI embedded) on an ephemeral port with demo data on a
// fresh SQLite file, driven in Debian's headless Chromium by playwright-core. Run by
// `cargo xtask test` (which builds the UI and the server first) with TXSTATE_SERVER_BIN set.
// Screenshots of every page go to target/ui-screenshots/.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";
import { startServer as startLive } from "../../server/clients/live.mjs";

const ROOT = resolve(import.meta.dirname, "../..");
const SHOTS = join(ROOT, "target/ui-screenshots");
const TOKEN = "e2e-admin-token-0123456789abcdef";
const DEPLOYMENT = "API_1605176965390000881";
const NOTIFY = "/campaignapi/resources/v3/notifytransactionstate";

let server, url, demoKey, browser;
// Files the tests write (batches to upload).
const dir = mkdtempSync(join(tmpdir(), "txstate-e2e-"));
const consoleErrors = [];

/** Starts the server and reads its address and the demo key from its log. */
async function startServer() {
  server = await startLive(TOKEN);
  url = server.url;
  demoKey = server.demoKey;
}

async function notify(body, key = demoKey) {
  const res = await fetch(url + NOTIFY, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

async function newPage(width = 1280) {
  const context = await browser.newContext({
    viewport: { width, height: 900 },
    acceptDownloads: true,
  });
  const page = await context.newPage();
  page.on("console", (m) => {
    if (m.type() === "error") consoleErrors.push(`${page.url()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => consoleErrors.push(`${page.url()}: ${e.message}`));
  page.on("dialog", (d) => {
    consoleErrors.push(`unexpected dialog: ${d.message()}`);
    d.dismiss();
  });
  return page;
}

async function logIn(page, hash = "#/compose") {
  await page.goto(`${url}/${hash}`);
  await page.fill("#tx-token", TOKEN);
  await page.press("#tx-token", "Enter");
  await page.waitForSelector("nav[aria-label=Pages]");
}

async function shot(page, name) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** Every form control has an accessible name and the page does not scroll sideways. */
async function checkUsable(page, width) {
  const unlabelled = await page.evaluate(() =>
    [...document.querySelectorAll("input, select, textarea, button")]
      .filter((el) => el.type !== "hidden")
      .filter((el) => {
        const named = el.labels?.length || el.getAttribute("aria-label") || el.closest("label");
        const text = el.tagName === "BUTTON" && el.textContent.trim();
        return !(named || text);
      })
      .map((el) => el.outerHTML.slice(0, 80)),
  );
  assert.deepEqual(unlabelled, [], "every control is labelled");
  // Beside: the label's box, grown by 24 px, touches its control's (not a label in one grid
  // cell and its input in another).
  const apart = await page.evaluate(() =>
    [...document.querySelectorAll("input, select, textarea")]
      .filter((el) => el.type !== "hidden" && el.offsetParent !== null && el.labels?.length)
      .filter((el) => {
        const c = el.getBoundingClientRect();
        return ![...el.labels].some((label) => {
          const l = label.getBoundingClientRect();
          return l.left - 24 < c.right && c.left < l.right + 24 && l.top - 24 < c.bottom && c.top < l.bottom + 24;
        });
      })
      .map((el) => el.id || el.outerHTML.slice(0, 80)),
  );
  assert.deepEqual(apart, [], "every control's label is beside it");
  const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(scroll <= width, `no sideways scrolling at ${width} px (scrollWidth ${scroll})`);
}

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  await startServer();
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});

after(async () => {
  await browser?.close();
  server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test("the login page asks for the admin token and refuses a wrong one", async () => {
  const page = await newPage();
  const started = Date.now();
  await page.goto(url + "/");
  await page.waitForSelector("#tx-token");
  const firstRender = await page.evaluate(() => performance.now());
  console.log(`# time to first render on loopback: ${firstRender.toFixed(0)} ms (wall ${Date.now() - started} ms)`);
  await shot(page, "login");
  await page.fill("#tx-token", "not-the-token-at-all");
  await page.press("#tx-token", "Enter");
  await page.waitForSelector("text=That admin token is not this server's.");
  // The browser reports the refused request in its console: expected here, and only here.
  const refused = consoleErrors.findIndex((e) => e.includes("status of 401"));
  assert.ok(refused >= 0, "the wrong token was refused by the server");
  consoleErrors.splice(refused, 1);
  await logIn(page);
  // Kept for the browser session: a reload stays logged in; logging out forgets it.
  await page.reload();
  await page.waitForSelector("nav[aria-label=Pages]");
  await page.click("text=Log out");
  await page.waitForSelector("#tx-token");
  await page.reload();
  await page.waitForSelector("#tx-token");
  await page.context().close();
});

test("compose: an invalid notify shows 1101 inline and the 500/1101 banner without sending; fixed, it is sent and answered 200/1100", async () => {
  const page = await newPage();
  const partnerCalls = [];
  page.on("request", (r) => {
    if (r.url().includes("/campaignapi/")) partnerCalls.push(r.url());
  });
  await logIn(page);
  await page.fill("#tx-raw", JSON.stringify({ responseState: "531", deploymentId: DEPLOYMENT }));
  await page.waitForSelector(".tx-field-error:has-text('1101 refTransId is mandatory')");
  assert.equal(await page.textContent("[data-testid=verdict-status]"), "500");
  assert.equal(await page.textContent("[data-testid=verdict-code]"), "1101");
  assert.deepEqual(partnerCalls, [], "validation happens in the page");
  // The form shows what the raw JSON holds, and writes back to it.
  assert.equal(await page.inputValue("#tx-f-deploymentId"), DEPLOYMENT);
  await page.fill("#tx-f-refTransId", "E2E_COMPOSE_1");
  await page.waitForFunction(() => document.querySelector("[data-testid=verdict-code]").textContent === "1100");
  assert.equal(await page.textContent("[data-testid=verdict-status]"), "200");
  assert.match(await page.inputValue("#tx-raw"), /"refTransId": "E2E_COMPOSE_1"/);
  // additionalInfo through the key-value editor: written as an encoded string.
  await page.click("text=Add a key");
  await page.fill("[aria-label='additionalInfo value 1']", "403");
  assert.match(await page.inputValue("#tx-raw"), /"additionalInfo": "\{\\"responseCode\\":\\"403\\"\}"/);
  await shot(page, "compose");
  await page.fill("#tx-key", demoKey);
  await page.click("#tx-send");
  await page.waitForSelector("[data-testid=answer-status]");
  assert.equal(await page.textContent("[data-testid=answer-status]"), "200");
  assert.match(await page.textContent("[data-testid=answer-body]"), /"code":\s*1100/);
  assert.equal(await page.textContent("[data-testid=agreement]"), "The server's verdict equals the local one.");
  assert.equal(partnerCalls.length, 1);
  await page.click("text=Copy as curl");
  assert.match(await page.textContent("[data-testid=curl]"), /\$TXSTATE_KEY/);
  await shot(page, "compose-sent");
  await checkUsable(page, 1280);
  await page.context().close();
});

test("the dashboard moves when another client posts a notification, with no reload", async () => {
  const page = await newPage();
  await logIn(page, "#/dashboard");
  const cell = `tr[data-deployment=${DEPLOYMENT}] [data-testid=failure]`;
  await page.waitForSelector(cell);
  await page.waitForSelector("text=● live");
  const before = Number(await page.textContent(cell));
  let navigations = 0;
  page.on("framenavigated", () => navigations++);
  const r = await notify({ responseState: "532", refTransId: `E2E_DASH_${Date.now()}`, deploymentId: DEPLOYMENT });
  assert.equal(r.status, 200);
  await page.waitForFunction(
    ([sel, n]) => Number(document.querySelector(sel)?.textContent) === n + 1,
    [cell, before],
  );
  assert.equal(navigations, 0, "no reload");
  await shot(page, "dashboard");
  await page.context().close();
});

test("the response summary shows NOT SPECIFIED and downloads the rows as CSV", async () => {
  await notify({ responseState: "531", refTransId: `E2E_NS_${Date.now()}`, deploymentId: DEPLOYMENT });
  const page = await newPage();
  await logIn(page, `#/report/${DEPLOYMENT}`);
  await page.waitForSelector("[data-testid=report] td:text-is('NOT SPECIFIED')");
  const rows = await page.locator("[data-testid=report] tbody tr").count();
  await shot(page, "report");
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#tx-report-csv")]);
  const csv = readFileSync(await download.path(), "utf8");
  assert.match(csv, /^responseState,responseCode,responseDescription,count,percent\r\n/);
  assert.match(csv, /NOT SPECIFIED/);
  assert.equal(csv.trim().split("\r\n").length, rows + 1, "the CSV holds the page's rows");
  assert.equal(download.suggestedFilename(), `report-${DEPLOYMENT}.csv`);
  await page.context().close();
});

test("the header offers the Postman collection as a download, pointed at this server", async () => {
  const page = await newPage();
  await logIn(page);
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.click("a:text-is('Postman collection')"),
  ]);
  assert.equal(download.suggestedFilename(), "txstate.postman_collection.json");
  const collection = JSON.parse(readFileSync(await download.path(), "utf8"));
  assert.equal(collection.info.schema, "https://schema.getpostman.com/json/collection/v2.1.0/collection.json");
  const baseUrl = collection.variable.find((v) => v.key === "baseUrl").value;
  assert.equal(baseUrl, url, "baseUrl is the server the UI talks to");
  assert.ok(collection.item.flatMap((f) => f.item).length > 20, "requests of both APIs");
  await page.context().close();
});

test("admin: create an API user, copy its secret once, and use the key", async () => {
  const page = await newPage();
  await logIn(page, "#/admin");
  await page.fill("#tx-user-name", "E2E partner");
  await page.click("text=Create API user");
  const secret = (await page.textContent("[data-testid=secret]")).trim();
  assert.match(secret, /^[0-9a-f]{64}$/);
  await shot(page, "admin");
  const r = await notify({ responseState: "531", refTransId: `E2E_USER_${Date.now()}`, deploymentId: DEPLOYMENT }, secret);
  assert.equal(r.status, 200);
  assert.equal(r.body.code, 1100);
  await page.click("text=Done");
  assert.equal(await page.locator("[data-testid=secret]").count(), 0, "shown once");
  await page.waitForSelector("[data-testid=api-users] th:has-text('E2E partner')");
  await checkUsable(page, 1280);
  await page.context().close();
});

test("the request log finds a request; its detail shows hostile text as text and opens in the composer", async () => {
  const hostile = `<img src=x onerror=alert(1)><script>alert(2)</script>`;
  const ref = `E2E_LOG_${Date.now()}`;
  const r = await notify({
    responseState: "532", refTransId: ref, deploymentId: DEPLOYMENT,
    additionalInfo: JSON.stringify({ responseCode: "403", responseDesc: hostile }),
  });
  assert.equal(r.status, 200);
  const page = await newPage();
  await logIn(page, "#/requests");
  await page.fill("#tx-log-q", ref);
  await page.press("#tx-log-q", "Enter");
  await page.waitForSelector("[data-testid=log-shown]:text-is('1–1 of 1')");
  await page.waitForSelector(`[data-testid=requests] a:text-is('${r.body["transaction-id"]}')`);
  assert.equal(await page.locator("[data-testid=requests] tbody tr").count(), 1);
  await shot(page, "requests");
  await page.click(`text=${r.body["transaction-id"]}`);
  await page.waitForSelector("[data-testid=request-body]");
  assert.ok((await page.textContent("[data-testid=request-body]")).includes(hostile.replaceAll('"', '\\"').slice(0, 20)));
  assert.equal(await page.locator("img[src=x]").count(), 0, "no injected element");
  assert.equal(await page.locator("main script").count(), 0, "no injected script");
  await shot(page, "request");
  await page.click("text=Open in composer");
  await page.waitForSelector("#tx-raw");
  assert.ok((await page.inputValue("#tx-raw")).includes(ref));
  await page.context().close();
});

test("batch: a 1,000-line NDJSON file is validated with progress and a summary by code", async () => {
  const lines = [];
  for (let i = 0; i < 1000; i++) {
    lines.push(JSON.stringify(i % 10 === 0
      ? { responseState: "530", refTransId: `B${i}`, deploymentId: DEPLOYMENT }
      : { responseState: "531", refTransId: `B${i}`, deploymentId: DEPLOYMENT }));
  }
  const file = join(dir, "batch.ndjson");
  writeFileSync(file, lines.join("\n"));
  const page = await newPage();
  await logIn(page, "#/batch");
  await page.setInputFiles("#tx-batch-file", file);
  await page.waitForSelector("[data-testid=batch-summary]");
  assert.equal(await page.textContent("[data-testid=batch-summary]"), "1000 rows: 900 would be accepted, 100 refused");
  assert.equal(await page.getAttribute("[data-testid=batch-progress]", "value"), "1000");
  assert.equal(await page.locator("[data-testid=batch-failing] tbody tr").count(), 100);
  await shot(page, "batch");
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#tx-batch-csv")]);
  const csv = readFileSync(await download.path(), "utf8").trim().split("\r\n");
  assert.equal(csv.length, 1001);
  assert.equal(csv.filter((l) => l.includes('"1108"')).length, 100);
  await page.context().close();
});

// One verdict everywhere: the shared fixtures written for the demo catalog (the catalog the
// server's demo data loads), and every voice fixture (voice rules use no catalog), get their
// expected code and HTTP status from the UI too.
test("the UI's verdicts equal the shared fixtures' (batch validate of every demo-catalog case)", async () => {
  const page = await newPage();
  await logIn(page, "#/batch");
  let compared = 0;
  for (const api of ["notify", "voice"]) {
    const folder = join(ROOT, "fixtures", api);
    const cases = readdirSync(folder)
      .filter((f) => f.endsWith(".json"))
      .map((f) => ({ file: f, ...JSON.parse(readFileSync(join(folder, f), "utf8")) }))
      // One body per NDJSON line: bodies with line breaks or blank ones cannot be lines.
      .filter((c) => (c.catalog === "demo" || api === "voice") && (c.profile ?? "webex") === "webex")
      .filter((c) => c.body.trim() !== "" && !/[\r\n\u2028\u2029]/.test(c.body) && !c.body.startsWith("\ufeff"));
    assert.ok(cases.length > 30, `${api}: enough cases (${cases.length})`);
    const file = join(dir, `fixtures-${api}.ndjson`);
    writeFileSync(file, cases.map((c) => c.body).join("\n"));
    await page.selectOption("#tx-batch-api", api);
    await page.setInputFiles("#tx-batch-file", file);
    await page.waitForSelector(`h2:has-text("fixtures-${api}.ndjson")`);
    await page.waitForSelector(`[data-testid=batch-summary]:text-matches("^${cases.length} rows")`);
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#tx-batch-csv")]);
    const rows = readFileSync(await download.path(), "utf8").trim().split("\r\n").slice(1);
    assert.equal(rows.length, cases.length);
    rows.forEach((row, i) => {
      const [line, , code, status] = row.split(",").map((c) => c.replace(/^"|"$/g, ""));
      const c = cases[i];
      assert.equal(Number(line), i + 1);
      const want = c.expect.code === null ? "processed" : String(c.expect.code);
      assert.deepEqual([code, Number(status)], [want, c.expect.httpStatus], `${api}/${c.file}: ${c.description}`);
      compared++;
    });
  }
  console.log(`# fixtures compared in the browser: ${compared}`);
  await page.context().close();
});

test("voice page shows calls by drop code, named", async () => {
  const page = await newPage();
  await logIn(page, "#/voice");
  await page.waitForSelector("[data-testid=voice-figures] caption:text-is('By drop code')");
  await shot(page, "voice");
  await page.context().close();
});

test("hostile partner text is shown as text on every page", async () => {
  const markup = `<img src=x onerror="alert('xss')"><script>alert('xss')</script><b>bold</b>`;
  const n = await notify({
    responseState: "532", refTransId: `${markup}-${Date.now()}`, deploymentId: DEPLOYMENT,
    additionalInfo: JSON.stringify({ responseCode: markup, responseDesc: markup }),
  });
  assert.equal(n.status, 200);
  const v = await fetch(url + "/campaignapi/resources/v3/voicecampaigntransactions", {
    method: "PATCH",
    headers: { authorization: `Bearer ${demoKey}`, "content-type": "application/json" },
    body: JSON.stringify({
      "transaction-id": `VOC_XSS_${Date.now()}`, "call-starttime": "2024-01-01 10:00:00.000",
      "call-endtime": "2024-01-01 10:00:05.000", "call-source": "1", "call-state": "5",
      "drop-code": "2005", "voice-tag": markup, message: markup, "drop-reason": markup,
    }),
  });
  assert.equal(v.status, 200);
  const voiceId = (await v.json())["transaction-id"];
  const page = await newPage();
  await logIn(page);
  const injected = () => page.evaluate(() =>
    document.querySelectorAll(".tx-app img, .tx-app script, .tx-app b").length);
  const pages = ["dashboard", `report/${DEPLOYMENT}`, "voice", "requests",
    `requests/${n.body["transaction-id"]}`, `requests/${voiceId}`, "admin", "batch", "compose"];
  for (const name of pages) {
    await page.goto(`${url}/#/${name}`);
    await page.waitForSelector("#tx-main h1");
    await page.waitForFunction(() => !document.querySelector("[role=status]")?.textContent.includes("Loading"));
    assert.equal(await injected(), 0, `no element from partner text on ${name}`);
  }
  // Where the text is shown, it is shown literally.
  await page.goto(`${url}/#/report/${DEPLOYMENT}`);
  await page.waitForSelector(`[data-testid=report] td:text-is(${JSON.stringify(markup)})`);
  await page.goto(`${url}/#/requests/${voiceId}`);
  await page.waitForSelector("[data-testid=request-body]");
  assert.ok((await page.textContent("[data-testid=request-body]")).includes("<script>alert('xss')</script>"));
  await page.click("text=Open in composer");
  await page.waitForSelector("#tx-f-voice-tag");
  assert.equal(await page.inputValue("#tx-f-voice-tag"), markup);
  assert.equal(await injected(), 0);
  await shot(page, "hostile-composer");
  await page.context().close();
});

test("support fixes a 1102 without leaving the browser: log → create the deployment → replay → dashboard", async () => {
  const missing = "API_1700000000000000777";
  const ref = `E2E_FIX_${Date.now()}`;
  const r = await notify({ responseState: "531", refTransId: ref, deploymentId: missing });
  assert.equal(r.body.code, 1102);
  const page = await newPage();
  await logIn(page, "#/requests");
  await page.selectOption("#tx-log-only", "unresolved");
  await page.fill("#tx-log-q", ref);
  await page.press("#tx-log-q", "Enter");
  await page.waitForSelector("[data-testid=log-shown]:text-is('1–1 of 1')");
  assert.ok((await page.textContent("[data-testid=requests] tbody tr")).includes(`${ref} · ${missing}`), "the ids column");
  await checkUsable(page, 1280);
  await page.click("[data-testid=requests] tbody a");
  await page.waitForSelector("[data-testid=fix]");
  const requestUrl = page.url();
  assert.equal((await page.textContent("[data-testid=fix]")).trim(), `Create deployment ${missing}`);
  await shot(page, "fix-1-request");
  await page.click("[data-testid=fix] a");
  await page.waitForFunction((id) => document.querySelector("#tx-dep-id")?.value === id, missing);
  await page.fill("#tx-dep-name", "Found in the log");
  await page.selectOption("#tx-dep-action", "act-card");
  await shot(page, "fix-2-create");
  await page.click("button[type=submit]:has-text('Create deployment')");
  await page.waitForSelector(`[data-testid=deployments] tr:has-text('${missing}') th:has-text('Found in the log')`);
  assert.equal(await page.inputValue("#tx-dep-id"), "", "the form is empty again after saving");
  await page.goto(requestUrl);
  await page.click("[data-testid=replay]");
  await page.waitForSelector("[data-testid=replay-outcome]");
  assert.match(await page.textContent("[data-testid=replay-outcome]"), /^Passed: HTTP 200 \/ 1100/);
  await page.waitForSelector("[data-testid=replays] li");
  await shot(page, "fix-3-replayed");
  await page.goto(`${url}/#/dashboard`);
  const row = page.locator(`tr[data-deployment=${missing}]`);
  await row.waitFor();
  assert.equal((await row.locator("td").first().textContent()).trim(), "1", "one success counted");
  // The log has nothing left to fix for it, and says so at 390 px too.
  const narrow = await newPage(390);
  await logIn(narrow, "#/requests");
  await narrow.selectOption("#tx-log-only", "unresolved");
  await narrow.fill("#tx-log-q", ref);
  await narrow.press("#tx-log-q", "Enter");
  await narrow.waitForSelector("[data-testid=log-shown]:text-is('0–0 of 0')");
  await narrow.selectOption("#tx-log-only", "");
  await narrow.press("#tx-log-q", "Enter");
  await narrow.waitForSelector("[data-testid=log-shown]:text-is('1–2 of 2')");
  for (const cell of await narrow.locator("[data-testid=requests] tbody tr td.tx-num:not(.tx-wide)").all()) {
    const box = await cell.boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= 390, `HTTP and code on screen at 390 px: ${JSON.stringify(box)}`);
  }
  await checkUsable(narrow, 390);
  await shot(narrow, "fix-4-log-narrow");
  await narrow.context().close();
  await page.context().close();
});

test("replay every refused request a filter matches, from the log", async () => {
  const missing = "API_1700000000000000778";
  const ref = `E2E_BULK_${Date.now()}`;
  for (let i = 0; i < 3; i++) {
    assert.equal((await notify({ responseState: "532", refTransId: `${ref}_${i}`, deploymentId: missing })).body.code, 1102);
  }
  const res = await fetch(`${url}/admin/api/deployments`, {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ id: missing, name: "Bulk", channel: "external-action", type: "onetime", actionId: "act-card" }),
  });
  assert.equal(res.status, 201);
  const page = await newPage();
  await logIn(page, "#/requests");
  await page.fill("#tx-log-q", ref);
  await page.selectOption("#tx-log-only", "unresolved");
  await page.press("#tx-log-q", "Enter");
  await page.waitForSelector("[data-testid=log-shown]:text-is('1–3 of 3')");
  await page.click("[data-testid=replay-all]");
  await page.waitForSelector("[data-testid=replay-summary]");
  assert.equal((await page.textContent("[data-testid=replay-summary]")).trim(), "Replayed 3: 3 now pass, 0 refused again (3 × 1100).");
  await page.waitForSelector("[data-testid=log-shown]:text-is('0–0 of 0')");
  await shot(page, "replay-all");
  await page.context().close();
});

test("admin: edit a deployment, register 1,000 transaction ids, grant a user notify (430 becomes 200)", async () => {
  const unmapped = "API_1605176965390000886";
  const page = await newPage();
  await logIn(page, "#/admin");
  const ref = `E2E_EDIT_${Date.now()}`;
  assert.equal((await notify({ responseState: "531", refTransId: ref, deploymentId: unmapped })).body.code, 1102);
  await page.click(`[data-testid=deployments] tr:has-text('${unmapped}') >> text=Edit`);
  await page.waitForSelector(`h3:text-is('Edit deployment ${unmapped}')`);
  await page.selectOption("#tx-dep-status", "running");
  await page.selectOption("#tx-dep-action", "act-card");
  await page.click("button[type=submit]:has-text('Save deployment')");
  await page.waitForSelector(`[data-testid=deployments] tr:has-text('${unmapped}') td:text-is('running')`);
  assert.equal((await notify({ responseState: "531", refTransId: ref, deploymentId: unmapped })).body.code, 1100);

  await page.click(`[data-testid=deployments] tr:has-text('${DEPLOYMENT}') >> text=Register ids`);
  const ids = Array.from({ length: 1000 }, (_, i) => `E2E_REG_${i}`);
  await page.fill("#tx-reg-ids", ids.join("\n") + "\n" + ids.slice(0, 10).join(","));
  await page.waitForSelector("[data-testid=register-count]:text-is('1000 distinct ids')");
  await checkUsable(page, 1280);
  await page.click("button:text-is('Register')");
  await page.waitForSelector("text=Registered 1000 new transaction ids");
  await shot(page, "admin-registered");

  await page.fill("#tx-user-name", "Voice only partner");
  await page.uncheck("label:has-text('notify') input[type=checkbox]");
  await page.click("button[type=submit]:has-text('Create API user')");
  const secret = (await page.textContent("[data-testid=secret]")).trim();
  await page.click("text=Done");
  let r = await notify({ responseState: "531", refTransId: `${ref}_g`, deploymentId: DEPLOYMENT }, secret);
  assert.deepEqual([r.status, r.body.code], [401, 430]);
  await page.click("[data-testid=api-users] tr:has-text('Voice only partner') >> text=Edit");
  await page.waitForSelector("h3:has-text('Edit API user')");
  await page.check("label:has-text('notify') input[type=checkbox]");
  await page.click("button[type=submit]:has-text('Save API user')");
  await page.waitForSelector("text=Saved Voice only partner: grants notify, voice");
  r = await notify({ responseState: "531", refTransId: `${ref}_g`, deploymentId: DEPLOYMENT }, secret);
  assert.deepEqual([r.status, r.body.code], [200, 1100]);

  await page.goto(`${url}/#/dashboard`);
  const row = page.locator(`tr[data-deployment=${DEPLOYMENT}]`);
  await row.waitFor();
  const pending = Number((await row.locator("td").nth(2).textContent()).trim());
  assert.ok(pending >= 1000, `pending ${pending}`);
  await page.context().close();
});

test("every page is usable 390 px wide", async () => {
  const page = await newPage(390);
  await logIn(page);
  for (const name of ["compose", "dashboard", `report/${DEPLOYMENT}`, "voice", "requests", "admin", "batch"]) {
    await page.goto(`${url}/#/${name}`);
    await page.waitForSelector("#tx-main h1");
    await page.waitForFunction(() => !document.querySelector("[role=status]")?.textContent.includes("Loading"));
    await checkUsable(page, 390);
    await shot(page, `narrow-${name.split("/")[0]}`);
  }
  await page.context().close();
});

test("the example host page embeds the composer and the dashboard", async () => {
  const page = await newPage();
  await page.goto(`${url}/embed.html`);
  await page.fill("#host-token", TOKEN);
  await page.click("text=Embed the composer and the dashboard");
  await page.waitForSelector("#composer #tx-raw");
  await page.waitForSelector(`#dashboard tr[data-deployment=${DEPLOYMENT}]`);
  assert.equal(await page.locator("#composer nav[aria-label=Pages]").count(), 0, "one page, no navigation");
  await shot(page, "embed");
  await page.context().close();
});

test("no errors in the browser console on any page", () => {
  assert.deepEqual(consoleErrors, []);
});
