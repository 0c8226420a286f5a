#!/usr/bin/env node
// txstate-validate: checks an NDJSON file of request bodies (one per line) the way the txstate
// server would, for a partner's CI. Prints a summary by code and every refused line; exits 1 when
// any line is refused, 2 when the command itself cannot run (bad arguments, unreadable file or
// catalog).
import fs from "node:fs";
import { parseArgs } from "node:util";
import { Validator, codes } from "../index.mjs";

const USAGE = `usage: txstate-validate <payloads.ndjson | -> [--api notify|voice] [--catalog catalog.json]
                        [--profile webex|http] [--now <epoch ms>] [--json]

  Validates one request body per line (blank lines are skipped) exactly as the txstate server
  would. --api: which API the bodies are for (default: voice when the first body has a
  "transaction-id", else notify). --catalog: the server's GET /admin/api/catalog, for the
  deployment rules (1102-1105). --json: the summary as JSON. Exit status: 0 all accepted,
  1 some refused, 2 the command could not run.`;

function fail(message) {
  process.stderr.write(`txstate-validate: ${message}\n`);
  process.exit(2);
}

let args;
try {
  args = parseArgs({
    allowPositionals: true,
    options: {
      api: { type: "string" },
      catalog: { type: "string" },
      profile: { type: "string" },
      now: { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
} catch (e) {
  fail(`${e.message}\n${USAGE}`);
}
if (args.values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
if (args.positionals.length !== 1) fail(`give one file (or - for standard input)\n${USAGE}`);

function read(file, what) {
  try {
    return fs.readFileSync(file === "-" ? 0 : file, "utf8");
  } catch (e) {
    fail(`cannot read the ${what} ${file}: ${e.message}`);
  }
}

const text = read(args.positionals[0], "payloads");
const options = {};
if (args.values.catalog !== undefined) {
  try {
    options.catalog = JSON.parse(read(args.values.catalog, "catalog"));
  } catch (e) {
    fail(`the catalog ${args.values.catalog} is not JSON: ${e.message}`);
  }
}
if (args.values.profile !== undefined) options.profile = args.values.profile;
if (args.values.now !== undefined) {
  options.now = Number(args.values.now);
  if (!Number.isFinite(options.now)) fail(`--now must be epoch milliseconds, got ${args.values.now}`);
}

let api = args.values.api;
if (api === undefined) {
  const first = text.split("\n").find((l) => l.trim() !== "");
  let body;
  try {
    body = JSON.parse(first ?? "{}");
  } catch {
    body = {};
  }
  api = body !== null && typeof body === "object" && "transaction-id" in body ? "voice" : "notify";
} else if (api !== "notify" && api !== "voice") {
  fail(`--api must be notify or voice, got ${api}`);
}

let result;
try {
  result = new Validator(options).validateBatch(api, text);
} catch (e) {
  fail(e.message);
}

const table = new Map(codes().map((c) => [c.code, c]));
const counts = new Map();
for (const code of result.codes) counts.set(code, (counts.get(code) ?? 0) + 1);
const byCode = [...counts.entries()]
  .sort((a, b) => b[1] - a[1] || a[0] - b[0])
  .map(([code, count]) => ({
    code: code === 0 ? null : code,
    count,
    description: code === 0 ? "Processed (voice updates answer without a code)" : table.get(code)?.description,
  }));
const refused = result.refused.map((r) => ({
  line: r.line,
  code: r.verdict.code,
  httpStatus: r.verdict.httpStatus,
  errors: r.verdict.errors,
}));

if (args.values.json) {
  process.stdout.write(
    `${JSON.stringify({ api, bodies: result.codes.length, accepted: result.codes.length - refused.length, refused: refused.length, byCode, refusedLines: refused }, null, 2)}\n`,
  );
} else {
  const out = [];
  out.push(`${api}: ${result.codes.length} bodies, ${result.codes.length - refused.length} accepted, ${refused.length} refused`);
  for (const c of byCode) out.push(`  ${String(c.count).padStart(8)}  ${String(c.code ?? "-").padEnd(4)}  ${c.description ?? ""}`);
  if (refused.length > 0) out.push("", "refused:");
  for (const r of refused) {
    const e = r.errors[0];
    out.push(`  line ${r.line}: ${r.code} (HTTP ${r.httpStatus}) ${e ? `${e.field}: ${e.message}` : ""}`);
  }
  process.stdout.write(`${out.join("\n")}\n`);
}
process.exit(refused.length > 0 ? 1 : 0);
