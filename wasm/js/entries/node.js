// Node, CommonJS: wasm-bindgen's `nodejs` build, which loads the module synchronously on
// require. `init()` resolves at once, for code written for the browser.
"use strict";
const glue = require("./txstate_wasm.js");

/* @txstate-api */

const api = txstateApi(glue, () => true);
api.init = async () => undefined;
api.initSync = () => undefined;
api.default = api.init;
module.exports = api;
