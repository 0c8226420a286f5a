// Browsers, workers and bundlers: wasm-bindgen's `web` build. `await init()` once first; it
// fetches `txstate_wasm_bg.wasm` from beside this file (bundlers copy it: `new URL(...,
// import.meta.url)`), or takes `{ module_or_path }`: a URL, a Response, the bytes or a
// compiled WebAssembly.Module.
import loadModule, { initSync as loadModuleSync } from "./txstate_wasm.js";
import * as glue from "./txstate_wasm.js";

/* @txstate-api */

let ready = false;
let loading;

/** Loads the WebAssembly module; later calls return the same promise. */
export function init(input) {
  loading ??= loadModule(input).then(() => {
    ready = true;
  });
  return loading;
}

/** Loads the WebAssembly module synchronously from its bytes or a compiled module. */
export function initSync(input) {
  if (!ready) {
    loadModuleSync(input);
    ready = true;
  }
}

export const {
  check,
  validate,
  validateNotify,
  validateVoice,
  validateBatch,
  codes,
  Validator,
  notifySchema,
  voiceSchema,
} = txstateApi(glue, () => ready);
export default init;
