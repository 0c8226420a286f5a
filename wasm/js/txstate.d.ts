// txstate-validator: the shapes of the package, declared once. The contract behind every code
// and field is shared/spec/API.md of the txstate repository.

/** The two APIs. */
export type Api = "notify" | "voice";

/** Every in-body code of both APIs (a snapshot test in the Rust crate keeps this in step). */
export type Code =
  | 1100 | 1101 | 1102 | 1103 | 1104 | 1105 | 1108
  | 1001 | 1002 | 1010
  | 430 | 498 | 405 | 429 | 499 | 500 | 404;

/** Codes of the notify API's verdicts. */
export type NotifyCode = 1100 | 1101 | 1102 | 1103 | 1104 | 1105 | 1108 | 499;

/** Codes of the voice API's verdicts (a processed update has no code: `null`). */
export type VoiceCode = 1001 | 1002;

/** How codes map to HTTP statuses: the platform's (`webex`, validation → 500) or plain HTTP. */
export type StatusProfile = "webex" | "http";

/** One problem. The first one, in the API's check order, decides the verdict. */
export interface FieldError {
  /** The field as the contract spells it, `additionalInfo.responseCode`, or `body`. */
  field: string;
  code: Code;
  message: string;
}

/** A non-fatal finding: it never changes the code. */
export interface Warning {
  field: string;
  message: string;
}

/** A notification as the server stores it. */
export interface NotifyPayload {
  responseState: "531" | "532";
  refTransId: string;
  deploymentId: string;
  /** `yyyy-MM-dd HH:mm:ss` (RFC 3339 input converted to UTC). */
  responseTime: string | null;
  responseCode: string | null;
  responseDesc: string | null;
  /** additionalInfo as sent (a JSON object's text). */
  additionalInfo: string | null;
}

/** A voice update as the server stores it: times with milliseconds. */
export interface VoicePayload {
  "transaction-id": string;
  "call-starttime": string;
  "call-endtime": string;
  "call-source": "1" | "2" | "3";
  "trombone-starttime": string | null;
  "trombone-endtime": string | null;
  "dtmf-digits": string | null;
  "voice-tag": string | null;
  "call-state": "1" | "2" | "3" | "4" | "5" | "6";
  "drop-code": string;
  "drop-reason": string | null;
  message: string | null;
  "voice-recorded": "Yes" | "No" | null;
  "times-attempted": string | null;
  "a-party": string | null;
  "b-party": string | null;
}

/** A notify request body as a partner sends it (what a form holds before sending). */
export interface NotifyBody {
  responseState: "531" | "532";
  refTransId: string;
  deploymentId: string;
  /** `yyyy-MM-dd HH:mm:ss`. */
  responseTime?: string | null;
  /** A JSON object's text: `{"responseCode": "403", "responseDesc": "..."}`. */
  additionalInfo?: string | null;
}

/** The fields a voice body must carry. */
type VoiceMandatory = "transaction-id" | "call-starttime" | "call-endtime" | "call-source" | "call-state" | "drop-code";

/** A voice request body as a partner sends it: the mandatory fields, and any of the others. */
export type VoiceBody = Pick<VoicePayload, VoiceMandatory> & Partial<Omit<VoicePayload, VoiceMandatory>>;

interface VerdictBase {
  /** Whether the server would process the request. */
  ok: boolean;
  /** The HTTP status the server would answer with, under the chosen profile. */
  httpStatus: number;
  /** The in-body description. */
  description: string;
  /** Every problem found, in check order. */
  errors: FieldError[];
  warnings: Warning[];
}

/** The verdict on a notify body. */
export interface NotifyVerdict extends VerdictBase {
  api: "notify";
  code: NotifyCode;
  normalized: NotifyPayload | null;
}

/** The verdict on a voice body. */
export interface VoiceVerdict extends VerdictBase {
  api: "voice";
  code: VoiceCode | null;
  normalized: VoicePayload | null;
}

export type Verdict = NotifyVerdict | VoiceVerdict;

/** `{code, description}` of an action's success or failure list. */
export interface ResponseDef {
  code: string;
  description: string;
}

/** An External Action. */
export interface Action {
  id: string;
  name?: string;
  targetSystem?: string;
  actionType?: string;
  responseType?: "async" | "sync" | null;
  maxTps?: number | null;
  alertThresholdPercent?: number | null;
  description?: string;
  successResponses?: ResponseDef[];
  failureResponses?: ResponseDef[];
}

export type Channel = "external-action" | "voice" | "sms" | "email" | "whatsapp" | "push";
export type DeploymentType = "onetime" | "recurring" | "instant" | "event" | "api";
export type DeploymentStatus = "draft" | "pending" | "running" | "paused" | "stopped" | "completed";

/** A deployment. */
export interface Deployment {
  id: string;
  name?: string;
  channel: Channel;
  type: DeploymentType;
  status?: DeploymentStatus;
  actionId?: string | null;
}

/** Actions and deployments, exactly as the server's `GET /admin/api/catalog` returns them. */
export interface Catalog {
  actions?: Action[];
  deployments?: Deployment[];
}

export interface Options {
  /** Without it the deployment rules (1102-1105) are skipped and a warning says so. */
  catalog?: Catalog;
  /** Your clock, epoch milliseconds (e.g. `Date.now()`), for the "responseTime in the future" warning. */
  now?: number;
  /** Default `webex`. */
  profile?: StatusProfile;
}

/** The request body: its JSON text, its bytes, or an object (validated as `JSON.stringify` of it). */
export type Input = string | Uint8Array | object;

/** One row of the code table. */
export interface CodeInfo {
  code: Code;
  webexStatus: number;
  httpStatus: number;
  description: string;
  apis: Api[];
  /** Whether validation gives it (others come from authentication, throttling or stored state). */
  validation: boolean;
}

/**
 * The Standard Schema v1 interface (https://standardschema.dev), as its authors ask libraries to
 * declare it: form and validation libraries that accept zod or valibot schemas accept ours.
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly "~standard": {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => StandardResult<Output> | Promise<StandardResult<Output>>;
    readonly types?: { readonly input: Input; readonly output: Output } | undefined;
  };
}
export type StandardResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: ReadonlyArray<StandardIssue> };
export interface StandardIssue {
  readonly message: string;
  /** The field (`["deploymentId"]`, `["additionalInfo", "responseCode"]`); absent for the body as a whole. */
  readonly path?: ReadonlyArray<PropertyKey>;
  /** The contract's code for this problem (absent when the value is no body at all: `undefined`, a number). */
  readonly code?: Code;
}

/** Many bodies checked in one call. */
export interface BatchResult<V extends Verdict = Verdict> {
  /** One code per body, in order; `0` for a processed voice update (`check()` says `null`). */
  codes: Uint16Array;
  /** NDJSON input only: the 1-based line of each body (blank lines are skipped). */
  lines?: Uint32Array;
  /** The refused bodies: their index in `codes`, their line (NDJSON) and their whole verdict. */
  refused: Array<{ index: number; line?: number; verdict: V }>;
}

/**
 * Loads the WebAssembly module. Browsers, workers and bundlers: `await init()` once before
 * anything else (it fetches `txstate_wasm_bg.wasm` from beside the module, or takes
 * `{ module_or_path }`). Node: already loaded; resolves at once.
 */
export default function init(input?: {
  module_or_path?: RequestInfo | URL | Response | BufferSource | WebAssembly.Module;
}): Promise<void>;
/** Loads the WebAssembly module synchronously from its bytes or a compiled module. */
export function initSync(input: { module: BufferSource | WebAssembly.Module }): void;

/**
 * The in-body code the server would answer with — the fast path: nothing but the number is built.
 * `null` for a processed voice update. Throws for an unknown api or malformed options.
 */
export function check(api: "notify", input: Input, options?: Options): NotifyCode;
export function check(api: "voice", input: Input, options?: Options): VoiceCode | null;
export function check(api: Api, input: Input, options?: Options): Code | null;
/** Validates a body of `api`: the whole verdict. Throws for an unknown api or malformed options. */
export function validate(api: "notify", input: Input, options?: Options): NotifyVerdict;
export function validate(api: "voice", input: Input, options?: Options): VoiceVerdict;
export function validate(api: Api, input: Input, options?: Options): Verdict;
export function validateNotify(input: Input, options?: Options): NotifyVerdict;
export function validateVoice(input: Input, options?: Options): VoiceVerdict;
/** Many bodies in one call: an array of bodies, or NDJSON text (one body per line). */
export function validateBatch(api: "notify", inputs: Input[] | string, options?: Options): BatchResult<NotifyVerdict>;
export function validateBatch(api: "voice", inputs: Input[] | string, options?: Options): BatchResult<VoiceVerdict>;
export function validateBatch(api: Api, inputs: Input[] | string, options?: Options): BatchResult;
/** The code table. */
export function codes(): CodeInfo[];

/** Standard Schema v1 objects for the two bodies (no catalog: the deployment rules are skipped). */
export const notifySchema: StandardSchemaV1<unknown, NotifyBody>;
export const voiceSchema: StandardSchemaV1<unknown, VoiceBody>;

/** A validator whose options (and catalog) are read once: the way to validate many bodies. */
export class Validator {
  /** Throws an `Error` naming the option's path for a malformed option. */
  constructor(options?: Options);
  check(api: "notify", input: Input): NotifyCode;
  check(api: "voice", input: Input): VoiceCode | null;
  check(api: Api, input: Input): Code | null;
  validate(api: "notify", input: Input): NotifyVerdict;
  validate(api: "voice", input: Input): VoiceVerdict;
  validate(api: Api, input: Input): Verdict;
  validateNotify(input: Input): NotifyVerdict;
  validateVoice(input: Input): VoiceVerdict;
  validateBatch(api: "notify", inputs: Input[] | string): BatchResult<NotifyVerdict>;
  validateBatch(api: "voice", inputs: Input[] | string): BatchResult<VoiceVerdict>;
  validateBatch(api: Api, inputs: Input[] | string): BatchResult;
  /** A Standard Schema v1 object for `api` with this validator's options (its catalog). */
  schema(api: "notify"): StandardSchemaV1<unknown, NotifyBody>;
  schema(api: "voice"): StandardSchemaV1<unknown, VoiceBody>;
  /** Frees the WebAssembly memory now (otherwise done when the validator is collected). */
  free(): void;
}
