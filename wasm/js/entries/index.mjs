// Node, ES modules: the CommonJS build it wraps, so `import` and `require` in one program share
// one module instance (no dual-package hazard). The module is loaded on import; `init()` is there
// so that code written for the browser runs unchanged.
import api from "./node/index.js";

export const {
  init,
  initSync,
  check,
  validate,
  validateNotify,
  validateVoice,
  validateBatch,
  codes,
  Validator,
  notifySchema,
  voiceSchema,
} = api;
export default init;
