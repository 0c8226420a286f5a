// ES module entry for Node: the same functions as the CommonJS build it wraps.
import wasm from "./node/txstate_wasm.js";

export const { validate, validateNotify, validateVoice, codes, Validator } = wasm;
export default wasm;
