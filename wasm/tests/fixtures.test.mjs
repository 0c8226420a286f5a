// Every shared fixture through the installed package gives the verdict core gives.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { check, validate, validateNotify, validateVoice, validateBatch, codes, Validator } from "txstate-validator";
import { fixtures, optionsOf, catalogs } from "./helpers.mjs";

const all = fixtures();

test("there are at least 100 fixtures", () => assert.ok(all.length >= 100, `${all.length}`));

for (const [name, fx] of all) {
  test(name, () => {
    const v = validate(fx.api, fx.body, optionsOf(fx));
    assert.equal(v.api, fx.api);
    assert.equal(v.code, fx.expect.code);
    assert.equal(v.httpStatus, fx.expect.httpStatus);
    assert.deepEqual(v.errors.map((e) => e.field), fx.expect.errorFields);
    assert.deepEqual(v.warnings.map((w) => w.field).sort(), fx.expect.warnings);
    assert.equal(v.ok, v.errors.length === 0);
    assert.equal(v.normalized !== null, v.ok);
    // The fast path answers the same code without building the verdict.
    assert.equal(check(fx.api, fx.body, optionsOf(fx)), fx.expect.code);
  });
}

test("import and require give the same package", () => {
  const require = createRequire(import.meta.url);
  const cjs = require("txstate-validator");
  const body = '{"responseState":"531","refTransId":"R1","deploymentId":"API_1605176965390000881"}';
  assert.deepEqual(cjs.validateNotify(body), validateNotify(body));
  assert.equal(typeof cjs.Validator, "function");
});

test("an object, its JSON text and its bytes get the same verdict", () => {
  const payload = { "transaction-id": "VOC_1", "call-starttime": "2014-08-26 08:00:58.211" };
  const text = JSON.stringify(payload);
  const a = validateVoice(payload);
  assert.deepEqual(validateVoice(text), a);
  assert.deepEqual(validateVoice(new TextEncoder().encode(text)), a);
  assert.equal(a.code, 1002);
});

test("a Validator reads its catalog once and gives the functions' verdicts", () => {
  const v = new Validator({ catalog: catalogs.demo, now: 1605176995000 });
  for (const [, fx] of all.filter(([, fx]) => fx.catalog === "demo" && !fx.profile && fx.now == null)) {
    assert.deepEqual(v.validate(fx.api, fx.body), validate(fx.api, fx.body, { catalog: catalogs.demo, now: 1605176995000 }));
  }
  v.free();
});

test("misuse throws an Error that says what is wrong", () => {
  assert.throws(() => validate("sms", "{}"), { name: "Error", message: /unknown api "sms": expected "notify" or "voice"/ });
  assert.throws(() => validateNotify(42), { message: /input must be/ });
  assert.throws(() => validateNotify(undefined), { message: /input must be/ });
  assert.throws(() => validateNotify("{}", { catalogue: {} }), { message: 'options: unknown key "catalogue", expected one of "catalog", "now", "profile"' });
  assert.throws(() => validateNotify("{}", { profile: "strict" }), { message: 'options.profile: unknown value "strict", expected "webex" or "http"' });
  assert.throws(() => validateNotify("{}", "webex"), { message: /options must be an object/ });
  assert.throws(() => new Validator({ catalog: { deployments: [{ id: "x" }] } }), { message: 'options.catalog.deployments[0]: "channel" is required' });
  assert.throws(() => new Validator({ catalog: { deployments: [{ id: "x", channel: "fax", type: "onetime" }] } }), {
    message: /^options\.catalog\.deployments\[0\]\.channel: unknown value "fax", expected one of "external-action", /,
  });
  assert.throws(() => new Validator({ catalog: { actions: [{ id: "a", maxTps: "5" }] } }), { message: /^options\.catalog\.actions\[0\]\.maxTps: expected / });
  assert.throws(() => new Validator({ now: "today" }), { message: /^options\.now: expected a number/ });
  assert.throws(() => check("notify", 42), { message: /input must be/ });
  assert.throws(() => validateBatch("notify", 42), { message: /inputs must be an array of bodies or NDJSON text/ });
  const cyclic = {};
  cyclic.self = cyclic;
  assert.throws(() => validateNotify(cyclic), { message: /input cannot be turned into JSON/ });
});

test("codes() is the code table", () => {
  const table = codes();
  assert.equal(table.length, 17);
  // The server's answer to a wrong path under /campaignapi/: no API's code.
  assert.deepEqual(table.find((c) => c.code === 404)?.apis, []);
  const c1101 = table.find((c) => c.code === 1101);
  assert.deepEqual(c1101, {
    code: 1101, webexStatus: 500, httpStatus: 400,
    description: "Mandatory params cannot be null or empty", apis: ["notify"], validation: true,
  });
});

test("the verdict's shape is exactly the documented one", () => {
  const v = validateNotify('{"responseState":"531","refTransId":"R","deploymentId":"D"}');
  assert.deepEqual(Object.keys(v), ["api", "ok", "code", "httpStatus", "description", "errors", "warnings", "normalized"]);
  assert.deepEqual(Object.keys(v.normalized), ["responseState", "refTransId", "deploymentId", "responseTime", "responseCode", "responseDesc", "additionalInfo"]);
});

test("check() and the batch API give the verdicts' codes", () => {
  const options = { catalog: catalogs.demo };
  const bodies = all.filter(([, fx]) => fx.api === "notify" && !fx.profile && fx.now == null).map(([, fx]) => fx.body);
  const verdicts = bodies.map((b) => validate("notify", b, options));
  const batch = validateBatch("notify", bodies, options);
  assert.deepEqual([...batch.codes], verdicts.map((v) => v.code));
  assert.deepEqual(batch.refused.map((r) => r.index), verdicts.flatMap((v, i) => (v.ok ? [] : [i])));
  assert.deepEqual(batch.refused.map((r) => r.verdict), verdicts.filter((v) => !v.ok));
  assert.equal(batch.lines, undefined);
  // NDJSON: one body per line, blank lines skipped, a CRLF's \r is whitespace.
  // (A blank body is no line of NDJSON.)
  const oneLine = bodies.filter((b) => !b.includes("\n") && b.trim() !== "");
  const ndjson = `\n${oneLine.join("\r\n\n")}\n`;
  const lines = validateBatch("notify", ndjson, options);
  assert.deepEqual([...lines.lines], oneLine.map((_, i) => 2 + 2 * i));
  const fileLines = ndjson.split("\n");
  assert.deepEqual([...lines.codes], [...lines.lines].map((l) => validate("notify", fileLines[l - 1], options).code));
  for (const r of lines.refused) {
    assert.equal(r.line, lines.lines[r.index]);
    assert.deepEqual(r.verdict, validate("notify", fileLines[r.line - 1], options));
  }
  // A processed voice update has no code: 0 in the typed array, null from check().
  const voice = '{"transaction-id":"VOC_1","call-starttime":"2014-08-26 08:00:58.211","call-endtime":"2014-08-26 08:00:59.200","call-source":"2","call-state":"5","drop-code":"2005"}';
  assert.equal(check("voice", voice), null);
  assert.deepEqual([...validateBatch("voice", [voice, "{}"]).codes], [0, 1002]);
});

test("Standard Schema v1: valid bodies pass through, refused ones carry issues with paths", () => {
  const { notifySchema, voiceSchema } = createRequire(import.meta.url)("txstate-validator");
  const std = notifySchema["~standard"];
  assert.equal(std.version, 1);
  assert.equal(std.vendor, "txstate-validator");
  const body = { responseState: "531", refTransId: "R1", deploymentId: "API_1605176965390000881" };
  assert.deepEqual(std.validate(body), { value: body });
  assert.deepEqual(std.validate(JSON.stringify(body)), { value: body });
  const refused = std.validate({ responseState: "533", refTransId: "R1" });
  assert.deepEqual(refused.issues.map((i) => i.path.join(".")).sort(), ["deploymentId", "responseState"]);
  assert.ok(refused.issues.every((i) => typeof i.message === "string" && i.message.length > 0));
  assert.deepEqual(voiceSchema["~standard"].validate("nope").issues.map((i) => i.path), [undefined]);
  // No body at all: an issue saying so, not an exception.
  const none = notifySchema["~standard"].validate(undefined);
  assert.equal(none.issues.length, 1);
  assert.match(none.issues[0].message, /input must be the request body/);
  // A validator's schema applies its catalog (1102: no such deployment).
  const withCatalog = new Validator({ catalog: catalogs.demo }).schema("notify")["~standard"];
  assert.equal(withCatalog.validate({ ...body, deploymentId: "API_0000000000000000000" }).issues[0].code, 1102);
});
