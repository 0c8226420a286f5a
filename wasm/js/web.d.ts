// The browser build: the same API, after `await init()`.
export * from "../txstate.js";

/** Loads the WebAssembly module (from `txstate_wasm_bg.wasm` next to this file, or `input`). */
export default function init(input?: { module_or_path?: RequestInfo | URL | Response | BufferSource | WebAssembly.Module }): Promise<unknown>;
/** Loads the WebAssembly module synchronously from its bytes or a compiled module. */
export function initSync(input: { module: BufferSource | WebAssembly.Module }): unknown;
