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

/** Validates a body of `api`. Throws an `Error` for an unknown api or malformed options. */
export function validate(api: "notify", input: Input, options?: Options): NotifyVerdict;
export function validate(api: "voice", input: Input, options?: Options): VoiceVerdict;
export function validate(api: Api, input: Input, options?: Options): Verdict;
export function validateNotify(input: Input, options?: Options): NotifyVerdict;
export function validateVoice(input: Input, options?: Options): VoiceVerdict;
/** The code table. */
export function codes(): CodeInfo[];

/** A validator whose options (and catalog) are read once. */
export class Validator {
  constructor(options?: Options);
  validate(api: "notify", input: Input): NotifyVerdict;
  validate(api: "voice", input: Input): VoiceVerdict;
  validate(api: Api, input: Input): Verdict;
  validateNotify(input: Input): NotifyVerdict;
  validateVoice(input: Input): VoiceVerdict;
  free(): void;
}
