// Every shared fixture through the installed package gives the verdict core gives.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { validate, validateNotify, validateVoice, codes, Validator } from "txstate-validator";
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
  assert.throws(() => validateNotify("{}", { catalogue: {} }), { message: /options: unknown field `catalogue`/ });
  assert.throws(() => validateNotify("{}", { profile: "strict" }), { message: /options: unknown variant `strict`/ });
  assert.throws(() => validateNotify("{}", "webex"), { message: /options must be an object/ });
  assert.throws(() => new Validator({ catalog: { deployments: [{ id: "x" }] } }), { message: /options: missing field `channel`/ });
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
