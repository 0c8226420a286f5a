// 10,000 seeded generated payloads (valid, near-valid, garbage) get byte-identical verdict
// JSON from the package and from native core (`cargo xtask verdicts`); `check` and the batch API
// give the same codes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { Validator } from "txstate-validator";
import { catalogs } from "./helpers.mjs";

const COUNT = 10_000;
const SEED = 20261123;

/** mulberry32: a small seeded PRNG, so a failure can be replayed. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rand = prng(SEED);
const int = (n) => Math.floor(rand() * n);
const pick = (xs) => xs[int(xs.length)];
const chance = (p) => rand() < p;
// No lone surrogates: JS strings could hold them, UTF-8 bodies cannot.
const CHARS = ["a", "Z", "0", "9", " ", "_", "-", '"', "\\", "/", "\n", "\t", "\u0000", "\u001f", "é", "✓", "😀", "<", ">", "{", "}", "[", "]", ":", ","];
const text = (max) => Array.from({ length: int(max + 1) }, () => pick(CHARS)).join("");

function pad(n, w) {
  return String(n).padStart(w, "0");
}
function time(ms) {
  const d = new Date(ms);
  const s = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)} ${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}`;
  return { plain: s, millis: `${s}.${pad(d.getUTCMilliseconds(), 3)}`, iso: d.toISOString() };
}

const DEPLOYMENTS = catalogs.demo.deployments.map((d) => d.id).concat(["API_0000000000000000000"]);
const CODES = ["200", "201", "403", "500", "999", 403, "", null];

function notifyPayload() {
  const p = {
    responseState: pick(["531", "532"]),
    refTransId: `CC02_${1605176995001 + int(1e6)}${pad(int(1e6), 6)}`,
    deploymentId: pick(DEPLOYMENTS),
  };
  if (chance(0.5)) p.responseTime = pick([time(1.5e12 + int(3e11)).plain, time(1.5e12 + int(3e11)).iso]);
  if (chance(0.6)) {
    const info = {};
    if (chance(0.8)) info.responseCode = pick(CODES);
    if (chance(0.6)) info.responseDesc = text(20);
    p.additionalInfo = chance(0.85) ? JSON.stringify(info) : info;
  }
  return p;
}

function voicePayload() {
  const start = 1.4e12 + int(3e11);
  const source = pick(["1", "2", "3"]);
  const p = {
    "transaction-id": `VOC_${start}${pad(int(1e6), 6)}`,
    "call-starttime": time(start).millis,
    "call-endtime": time(start + int(600_000)).millis,
    "call-source": source,
    "call-state": pick(["1", "2", "3", "4", "5", "6"]),
    "drop-code": pick(["2005", "1001", "1002", "1003", "2000", "2002", "2020"]),
  };
  if (source === "3" || chance(0.1)) {
    p["trombone-starttime"] = time(start).millis;
    p["trombone-endtime"] = time(start + int(60_000)).millis;
  }
  for (const [k, v] of [["dtmf-digits", "12*#AD"], ["voice-tag", text(10)], ["message", text(20)], ["voice-recorded", pick(["Yes", "No", "yes"])], ["times-attempted", String(int(5))], ["a-party", "+4930123456"]]) {
    if (chance(0.3)) p[k] = v;
  }
  return p;
}

const BAD_VALUES = [null, "", "   ", 0, 531, 5.5, true, [], {}, "x".repeat(200), "2014-02-30 08:00:58.211", "9", "-1", "\u0000", 1e21, -0];

/** One field changed: removed, retyped, renamed by a near miss, or an extra field added. */
function mutate(p) {
  const keys = Object.keys(p);
  const k = pick(keys);
  const q = { ...p };
  switch (int(4)) {
    case 0: delete q[k]; break;
    case 1: q[k] = pick(BAD_VALUES); break;
    case 2: { const v = q[k]; delete q[k]; q[pick([k.toUpperCase(), k.replace(/-/g, "_"), k.slice(0, -1), k + "s"])] = v; break; }
    default: q[pick(["extra", "deployment", "refTransID", "call_state"])] = pick(BAD_VALUES);
  }
  return q;
}

function garbage(valid) {
  switch (int(5)) {
    case 0: return text(40);
    case 1: return valid.slice(0, int(valid.length));
    case 2: return `[${valid}]`;
    case 3: return valid.replace(/"/, "'");
    default: return valid + pick(["", " ", "x", "}", ",{}"]);
  }
}

function cases() {
  const out = [];
  for (let i = 0; i < COUNT; i++) {
    const api = chance(0.5) ? "notify" : "voice";
    const valid = api === "notify" ? notifyPayload() : voicePayload();
    const kind = rand();
    let body;
    if (kind < 0.3) body = JSON.stringify(valid);
    else if (kind < 0.8) body = JSON.stringify(mutate(valid));
    else body = garbage(JSON.stringify(valid));
    out.push({
      api,
      body,
      now: chance(0.5) ? 1.7e12 : null,
      catalog: chance(0.7) ? "demo" : null,
      profile: chance(0.1) ? "http" : null,
    });
  }
  return out;
}

test(`${COUNT} generated payloads: wasm verdict JSON is byte-identical to native core's, check and batch agree`, () => {
  const all = cases();
  const input = all.map((c) => JSON.stringify(c)).join("\n") + "\n";
  const native = spawnSync(process.env.TXSTATE_XTASK, ["verdicts"], { input, maxBuffer: 1 << 30, encoding: "utf8" });
  assert.equal(native.status, 0, native.stderr);
  const lines = native.stdout.split("\n").slice(0, -1);
  assert.equal(lines.length, all.length);
  const validators = new Map();
  const validatorFor = (c) => {
    const key = `${c.catalog}|${c.now}|${c.profile}`;
    if (!validators.has(key)) {
      const o = {};
      if (c.catalog) o.catalog = catalogs[c.catalog];
      if (c.now != null) o.now = c.now;
      if (c.profile) o.profile = c.profile;
      validators.set(key, new Validator(o));
    }
    return validators.get(key);
  };
  let mismatches = 0;
  const kinds = { ok: 0, failed: 0 };
  // The same cases grouped by validator and API, for the batch API.
  const groups = new Map();
  all.forEach((c, i) => {
    const v = validatorFor(c);
    const key = `${c.catalog}|${c.now}|${c.profile}|${c.api}`;
    if (!groups.has(key)) groups.set(key, { v, api: c.api, at: [] });
    groups.get(key).at.push(i);
    // The fast path: the code of native core's verdict, nothing else.
    const code = v.check(c.api, c.body);
    const expected = JSON.parse(lines[i]).code;
    if (code !== expected && mismatches++ < 5) assert.equal(code, expected, `check, case ${i}: ${JSON.stringify(c)}`);
    const verdict = v.validate(c.api, c.body);
    kinds[verdict.ok ? "ok" : "failed"]++;
    const ours = JSON.stringify(verdict);
    if (ours !== lines[i] && mismatches++ < 5) {
      assert.equal(ours, lines[i], `case ${i}: ${JSON.stringify(c)}`);
    }
  });
  for (const { v, api, at } of groups.values()) {
    const batch = v.validateBatch(api, at.map((i) => all[i].body));
    const native = at.map((i) => JSON.parse(lines[i]));
    const codes = [...batch.codes].map((c) => (c === 0 ? null : c));
    if (JSON.stringify(codes) !== JSON.stringify(native.map((n) => n.code)) && mismatches++ < 5) {
      assert.deepEqual(codes, native.map((n) => n.code), `batch codes of ${api}`);
    }
    const refused = batch.refused.map((r) => JSON.stringify(r.verdict));
    const nativeRefused = at.flatMap((i, k) => (native[k].ok ? [] : [lines[i]]));
    if (JSON.stringify(refused) !== JSON.stringify(nativeRefused) && mismatches++ < 5) {
      assert.deepEqual(refused, nativeRefused, `batch verdicts of ${api}`);
    }
  }
  assert.equal(mismatches, 0);
  // The generator must exercise both outcomes, or the comparison proves little.
  assert.ok(kinds.ok > 1000 && kinds.failed > 1000, JSON.stringify(kinds));
});
