// A partner's typed use of the package: `tsc --noEmit` must accept it, and must reject the
// lines marked @ts-expect-error (which proves the declarations are precise, not `any`).
import init, { check, validate, validateNotify, validateBatch, codes, notifySchema, Validator } from "txstate-validator";
import type { BatchResult, Catalog, Code, NotifyBody, NotifyCode, NotifyPayload, NotifyVerdict, StandardSchemaV1, Verdict, VoiceVerdict } from "txstate-validator";

const catalog: Catalog = {
  actions: [{ id: "a", responseType: "async", successResponses: [{ code: "200", description: "ok" }] }],
  deployments: [{ id: "API_1", channel: "external-action", type: "onetime", actionId: "a" }],
};

const n = validateNotify({ responseState: "531" }, { catalog, now: Date.now(), profile: "webex" });
const code: NotifyCode = n.code;
const payload: NotifyPayload | null = n.normalized;
const state: "531" | "532" | undefined = payload?.responseState;

const v: VoiceVerdict = validate("voice", "{}");
const voiceCode: 1001 | 1002 | null = v.code;

const any: Verdict = validate(Math.random() > 0.5 ? "notify" : "voice", new Uint8Array());
if (any.api === "voice") {
  const c: 1001 | 1002 | null = any.code;
  void c;
}

const table: Code[] = codes().map((c) => c.code);
const validator = new Validator({ catalog });
const again = validator.validateNotify("{}");
const fast: NotifyCode = validator.check("notify", "{}");
const voiceFast: 1001 | 1002 | null = check("voice", new Uint8Array());
const batch: BatchResult<NotifyVerdict> = validateBatch("notify", ["{}", { responseState: "531" }]);
const firstRefused: NotifyCode | undefined = batch.refused[0]?.verdict.code;
const codesOfBatch: Uint16Array = batch.codes;
const schema: StandardSchemaV1<unknown, NotifyBody> = validator.schema("notify");
const result = notifySchema["~standard"].validate({});
if (!(result instanceof Promise) && result.issues) {
  const where: ReadonlyArray<PropertyKey> | undefined = result.issues[0]?.path;
  void where;
}
const loaded: Promise<void> = init();
validator.free();

// @ts-expect-error: only "notify" and "voice" exist
validate("sms", "{}");
// @ts-expect-error: a notify verdict never has a voice code
const wrong: 1002 = n.code;
// @ts-expect-error: channels are a closed list
const badCatalog: Catalog = { deployments: [{ id: "x", channel: "fax", type: "onetime" }] };
// @ts-expect-error: profile is "webex" or "http"
validateNotify("{}", { profile: "strict" });

// @ts-expect-error: check answers a number, not a verdict
const notVerdict: NotifyVerdict = check("notify", "{}");

export { code, state, voiceCode, table, again, wrong, badCatalog, fast, voiceFast, firstRefused, codesOfBatch, schema, loaded, notVerdict };
