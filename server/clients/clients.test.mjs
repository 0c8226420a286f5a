// Clients we did not write, against a live server with demo data (issue: OpenAPI, Postman):
// - newman runs the Postman collection the server serves: every assertion passes;
// - schemathesis runs against /openapi.json: no response the document does not declare, no
//   server error. Run by `cargo xtask test` with TXSTATE_SERVER_BIN and TXSTATE_SCHEMATHESIS set.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import newman from "newman";
import { ROOT, startServer } from "./live.mjs";

const ADMIN = "clients-admin-token-0123456789abcdef";
const ST = process.env.TXSTATE_SCHEMATHESIS ?? join(ROOT, "target/tools/schemathesis/bin/st");
// The demo user's limit is spent within seconds by a fuzzer: lifted for these runs.
const UNTHROTTLED = { TXSTATE_RATE_REQUESTS: "1000000" };

function runNewman(collection, envVar) {
  return new Promise((ok, fail) =>
    newman.run({ collection, envVar, reporters: ["cli"] }, (err, summary) =>
      err ? fail(err) : ok(summary),
    ),
  );
}

for (const profile of ["webex", "http"]) {
  test(`newman: the served collection passes against a live server (${profile} profile)`, async () => {
    const server = await startServer(ADMIN, { ...UNTHROTTLED, TXSTATE_STATUS_PROFILE: profile });
    try {
      const res = await fetch(`${server.url}/postman.json`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-disposition") ?? "", /attachment/);
      const collection = await res.json();
      const vars = Object.fromEntries(collection.variable.map((v) => [v.key, v.value]));
      assert.equal(vars.baseUrl, server.url, "baseUrl is the server it came from");
      const summary = await runNewman(collection, [
        { key: "apiKey", value: server.demoKey },
        { key: "adminToken", value: ADMIN },
      ]);
      const { requests, assertions } = summary.run.stats;
      const failures = summary.run.failures.map((f) => `${f.source?.name}: ${f.error?.message}`);
      assert.deepEqual(failures, [], "no failed assertion");
      const items = collection.item.flatMap((folder) => folder.item);
      assert.equal(requests.total, items.length, "every request ran");
      assert.ok(assertions.total >= 2 * items.length - 8, `assertions ran: ${assertions.total}`);
      // Every in-body code of both APIs that a client can provoke is asserted.
      const asserted = new Set(
        items.flatMap((i) => i.event.flatMap((e) => e.script.exec))
          .map((line) => line.match(/code is (\d+)/)?.[1]).filter(Boolean),
      );
      for (const code of ["1100", "1101", "1102", "1103", "1104", "1105", "1108", "499",
        "1001", "1002", "1010", "405", "430", "498"]) {
        assert.ok(asserted.has(code), `the collection asserts code ${code}`);
      }
    } finally {
      server.stop();
    }
  });
}

/** Runs schemathesis; fails with its report unless every check passed. */
function schemathesis(server, args) {
  const out = spawnSync(ST, [
    "--config-file", join(ROOT, "server/clients/schemathesis.toml"),
    "run", `${server.url}/openapi.json`, "--url", server.url, "--no-color", ...args,
  ], {
    env: { ...process.env, TXSTATE_API_KEY: server.demoKey, TXSTATE_ADMIN_TOKEN: ADMIN },
    encoding: "utf8",
    // Its cache goes to the working directory: keep it out of the sources.
    cwd: join(ROOT, "target"),
    timeout: 10 * 60 * 1000,
  });
  const text = `${out.stdout}\n${out.stderr}`;
  console.log(text.split("\n").filter((l) => /(passed|failed|Tested|generated)/.test(l)).map((l) => `# ${l}`).join("\n"));
  assert.equal(out.error, undefined, String(out.error));
  assert.equal(out.status, 0, text);
}

test("schemathesis: the http profile answers only what /openapi.json declares, never a server error", async () => {
  const server = await startServer(ADMIN, { ...UNTHROTTLED, TXSTATE_STATUS_PROFILE: "http" });
  try {
    // The partner endpoints first: the admin run below may disable or delete the demo user.
    // positive_data_acceptance is off: valid JSON can still break the contract's rules no
    // schema expresses (the catalog behind 1102-1105, calendar dates), and that is a 4xx.
    schemathesis(server, [
      "--include-path-regex", "^/campaignapi/",
      "--exclude-checks", "positive_data_acceptance",
    ]);
    // The admin API and the public routes. ignored_auth is off: after 5 wrong tokens an
    // address waits (429) for every admin request, which would blind the rest of the run;
    // server/tests/admin.rs checks that every admin route refuses a missing token. The events
    // stream never ends by design.
    schemathesis(server, [
      "--exclude-path-regex", "^/campaignapi/|^/admin/api/events$",
      "--exclude-checks", "positive_data_acceptance,ignored_auth",
    ]);
  } finally {
    server.stop();
  }
});

test("schemathesis: the webex profile answers only what /openapi.json declares", async () => {
  const server = await startServer(ADMIN, UNTHROTTLED);
  try {
    // Under the platform's own tables validation codes travel with HTTP 500, documented per
    // code: not_a_server_error cannot tell those from a crash, which the http run above rules
    // out (the same code path, another status table).
    schemathesis(server, [
      "--include-path-regex", "^/campaignapi/",
      "--exclude-checks", "positive_data_acceptance,not_a_server_error",
    ]);
  } finally {
    server.stop();
  }
});
