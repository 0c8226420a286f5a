// The package's public API over the raw wasm exports (`wasm/src/lib.rs`). One copy of this file
// is spliced into each entry (`entries/`: Node CommonJS, browser ES module) where the marker line
// stands, so it has no import or export of its own: it defines `txstateApi(glue, isReady)`.
// Every rule lives in Rust; this only chooses the raw call and shapes its answer.

/**
 * @param glue the wasm-bindgen exports (`RawValidator`, `apiNames`, `codes`)
 * @param isReady whether the WebAssembly module is loaded
 */
function txstateApi(glue, isReady) {
  let names; // the API names by index, read once from Rust
  let plainValidator; // the validator without options, made on first use

  function loaded() {
    if (!isReady()) {
      throw new Error(
        "txstate-validator: call init() first — `await init()` once before validating " +
          "(it loads the WebAssembly module; in Node the module is loaded on import).",
      );
    }
  }

  function apiIndex(api) {
    loaded();
    names ??= glue.apiNames();
    const i = names.indexOf(api);
    if (i < 0) throw new Error(`unknown api ${JSON.stringify(api)}: expected "notify" or "voice"`);
    return i;
  }

  function plain() {
    loaded();
    plainValidator ??= new Validator();
    return plainValidator;
  }

  /** Runs `fn` with the shared plain validator, or with one made from `options` and freed after. */
  function withOptions(options, fn) {
    if (options === undefined || options === null) return fn(plain());
    const v = new Validator(options);
    try {
      return fn(v);
    } finally {
      v.free();
    }
  }

  /** A Standard Schema v1 object (https://standardschema.dev) validating bodies of `api`. */
  function standardSchema(validatorOf, api) {
    return {
      "~standard": {
        version: 1,
        vendor: "txstate-validator",
        validate(value) {
          const validator = validatorOf(); // throws "call init() first": a programming error
          let verdict;
          try {
            verdict = validator.validate(api, value);
          } catch (e) {
            // A value that is no body at all (undefined, a number): an issue, not an exception,
            // as form libraries expect of a schema.
            return { issues: [{ message: e.message }] };
          }
          if (verdict.ok) return { value: typeof value === "string" ? JSON.parse(value) : value };
          return {
            issues: verdict.errors.map((e) => ({
              message: e.message,
              ...(e.field === "body" ? {} : { path: e.field.split(".") }),
              code: e.code,
            })),
          };
        },
      },
    };
  }

  class Validator {
    #raw;

    /** Reads `{catalog?, now?, profile?}` once. */
    constructor(options) {
      loaded();
      this.#raw = new glue.RawValidator(options);
    }

    /** The in-body code the server would answer with; `null` for a processed voice update. */
    check(api, input) {
      const i = apiIndex(api);
      const code = typeof input === "string" ? this.#raw.check(i, input) : this.#raw.checkValue(i, input);
      return code === 0 ? null : code;
    }

    /** The whole verdict. */
    validate(api, input) {
      return this.#raw.validate(apiIndex(api), input);
    }

    validateNotify(input) {
      return this.validate("notify", input);
    }

    validateVoice(input) {
      return this.validate("voice", input);
    }

    /**
     * Many bodies in one call: an array (each text, bytes or an object) or NDJSON text (one body
     * per line, blank lines skipped). `codes` has one code per body (`0`: a processed voice
     * update); `refused` the verdict of each refused body, with its index (and line).
     */
    validateBatch(api, inputs) {
      const i = apiIndex(api);
      const ndjson = typeof inputs === "string";
      if (!ndjson && !Array.isArray(inputs)) {
        throw new Error("inputs must be an array of bodies or NDJSON text (one body per line)");
      }
      const batch = ndjson ? this.#raw.batchLines(i, inputs) : this.#raw.batch(i, inputs);
      const codes = batch.codes;
      const refusedAt = batch.refused;
      const lines = ndjson ? batch.lines : undefined;
      batch.free();
      const text = ndjson && refusedAt.length > 0 ? inputs.split("\n") : undefined;
      const refused = Array.from(refusedAt, (index) =>
        ndjson
          ? { index, line: lines[index], verdict: this.#raw.validate(i, text[lines[index] - 1]) }
          : { index, verdict: this.#raw.validate(i, inputs[index]) },
      );
      return ndjson ? { codes, lines, refused } : { codes, refused };
    }

    /** A Standard Schema v1 object for `api` with this validator's options. */
    schema(api) {
      apiIndex(api);
      return standardSchema(() => this, api);
    }

    /** Frees the WebAssembly memory now (otherwise done when the validator is collected). */
    free() {
      this.#raw.free();
    }
  }

  return {
    Validator,
    check: (api, input, options) => withOptions(options, (v) => v.check(api, input)),
    validate: (api, input, options) => withOptions(options, (v) => v.validate(api, input)),
    validateNotify: (input, options) => withOptions(options, (v) => v.validate("notify", input)),
    validateVoice: (input, options) => withOptions(options, (v) => v.validate("voice", input)),
    validateBatch: (api, inputs, options) => withOptions(options, (v) => v.validateBatch(api, inputs)),
    codes: () => {
      loaded();
      return glue.codes();
    },
    notifySchema: standardSchema(plain, "notify"),
    voiceSchema: standardSchema(plain, "voice"),
  };
}
