// Validations per second in Node on a mixed corpus of raw JSON strings (every shared fixture
// body up to 4 KiB): the txstate-validator package against ajv with the same contract as a
// compiled JSON Schema plus the mapping of ajv's errors to our codes — what a partner would
// write without us. Not a test: run by `cargo xtask bench`, which builds the package first.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Ajv2020 from "ajv/dist/2020.js";
import { Validator } from "../pkg/index.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const corpus = [];
for (const api of ["notify", "voice"]) {
  for (const f of fs.readdirSync(path.join(root, "fixtures", api)).sort()) {
    const fx = JSON.parse(fs.readFileSync(path.join(root, "fixtures", api, f), "utf8"));
    if (Buffer.byteLength(fx.body) <= 4096) corpus.push([fx.api, fx.body]);
  }
}
const catalog = JSON.parse(fs.readFileSync(path.join(root, "fixtures/catalogs/demo.json"), "utf8"));

const ajv = new Ajv2020({ allErrors: true, strict: false });
const schemas = {
  notify: ajv.compile(JSON.parse(fs.readFileSync(path.join(root, "schemas/notify.schema.json"), "utf8"))),
  voice: ajv.compile(JSON.parse(fs.readFileSync(path.join(root, "schemas/voice.schema.json"), "utf8"))),
};

/** ajv's errors mapped to the contract's codes, first in check order deciding. */
function ajvVerdict(api, body) {
  const unreadable = api === "notify" ? 499 : 1001;
  let value;
  try {
    value = JSON.parse(body);
  } catch (e) {
    return { code: unreadable, httpStatus: api === "notify" ? 499 : 500, errors: [{ field: "body", code: unreadable, message: e.message }] };
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return { code: unreadable, httpStatus: api === "notify" ? 499 : 500, errors: [{ field: "body", code: unreadable, message: "not an object" }] };
  }
  const validate = schemas[api];
  if (validate(value)) return { code: api === "notify" ? 1100 : null, httpStatus: 200, errors: [] };
  const rank = api === "notify" ? { 1101: 1, 1108: 2, 499: 3 } : { 1002: 1, 1001: 2 };
  const errors = validate.errors.filter((e) => e.keyword !== "if").map((e) => {
    const field = e.keyword === "required" ? e.params.missingProperty : e.instancePath.slice(1).split("/")[0];
    let code;
    if (api === "notify") {
      if (e.keyword === "required" || (field !== "responseState" && e.keyword === "minLength")) code = 1101;
      else if (field === "responseState") code = 1108;
      else if (field === "refTransId" || field === "deploymentId") code = e.keyword === "type" ? 1101 : 499;
      else code = 499;
    } else {
      code = e.keyword === "required" ? 1002 : 1001;
    }
    return { field, code, message: e.message };
  });
  errors.sort((a, b) => rank[a.code] - rank[b.code]);
  return { code: errors[0].code, httpStatus: errors[0].code === 499 ? 499 : 500, errors };
}

/**
 * Throughput of `pass` (which validates the corpus once): whole passes for `ms` milliseconds.
 * The sum of what the passes return keeps their results alive.
 */
function run(pass, ms) {
  let n = 0;
  let sink = 0;
  const start = process.hrtime.bigint();
  const budget = BigInt(ms) * 1_000_000n;
  let elapsed = 0n;
  while (elapsed < budget) {
    sink += pass();
    n += corpus.length;
    elapsed = process.hrtime.bigint() - start;
  }
  if (sink === 0) throw new Error("a pass refused nothing: the corpus or the function is wrong");
  return (n * 1e9) / Number(elapsed);
}

/**
 * Every candidate, interleaved: 7 rounds of 400 ms each, so that a noisy neighbour slows all of
 * them alike; each is reported by its best and its median round.
 */
function measureAll(candidates) {
  for (const [, pass] of candidates) for (let i = 0; i < 200; i++) pass();
  const rounds = candidates.map(() => []);
  for (let r = 0; r < 7; r++) candidates.forEach(([, pass], i) => rounds[i].push(run(pass, 400)));
  const results = {};
  candidates.forEach(([name], i) => {
    const sorted = rounds[i].sort((a, b) => b - a);
    const [best, median] = [sorted[0], sorted[3]];
    results[name] = { best, median };
    const fmt = (x) => Math.round(x).toLocaleString("en-US").padStart(10);
    console.log(`${name.padEnd(42)} best ${fmt(best)}/s (${(1e9 / best).toFixed(0).padStart(5)} ns)   median ${fmt(median)}/s`);
  });
  return results;
}

console.log(`corpus: ${corpus.length} bodies (shared fixtures up to 4 KiB), node ${process.version}`);
const plain = new Validator();
const withCatalog = new Validator({ catalog, now: Date.now() });
/** One pass of `fn(api, body)` over the corpus; the sum keeps the results alive. */
const each = (fn) => () => {
  let sum = 0;
  for (const [api, body] of corpus) sum += fn(api, body);
  return sum;
};
const byApi = ["notify", "voice"].map((api) => [api, corpus.filter(([a]) => a === api).map(([, b]) => b)]);

const r = measureAll([
  ["ajv (JSON.parse + schema + code mapping)", each((api, body) => ajvVerdict(api, body).code ?? 0)],
  ["check", each((api, body) => plain.check(api, body) ?? 0)],
  ["check + catalog", each((api, body) => withCatalog.check(api, body) ?? 0)],
  ["validate (whole verdict)", each((api, body) => plain.validate(api, body).errors.length)],
  ["validate + catalog", each((api, body) => withCatalog.validate(api, body).errors.length)],
  ["validateBatch (one call per API)", () => {
    let sum = 0;
    for (const [api, bodies] of byApi) sum += plain.validateBatch(api, bodies).refused.length;
    return sum;
  }],
]);
const ratio = (name) => {
  const ours = r[name];
  const theirs = r["ajv (JSON.parse + schema + code mapping)"];
  return `${(ours.best / theirs.best).toFixed(2)} best, ${(ours.median / theirs.median).toFixed(2)} median`;
};
console.log(`ratio check / ajv:          ${ratio("check")}  (goal >= 2)`);
console.log(`ratio validate / ajv:       ${ratio("validate (whole verdict)")}  (goal >= 1)`);
console.log(`ratio validateBatch / ajv:  ${ratio("validateBatch (one call per API)")}`);
