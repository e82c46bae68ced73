// All of ajv's errors for each document, for tests/jsonschema/test_ajv.py (an independent
// implementation to compare error locations with). Input (stdin): {"schema": ..., "docs": [...]}
// with documents as JSON text; output: [{"valid": bool, "errors": [...]}, ...] where each error
// keeps ajv's instancePath, schemaPath, keyword and params.
const dir = process.argv[2];
const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
const is2020 = String(input.schema.$schema || "").includes("2020-12");
const Ajv = require(dir + (is2020 ? "/ajv/dist/2020" : "/ajv")).default;
const ajv = new Ajv({strict: false, allErrors: true});
const validate = ajv.compile(input.schema);
const out = input.docs.map((text) => {
    const valid = validate(JSON.parse(text));
    const errors = (validate.errors || []).map((e) => ({
        instancePath: e.instancePath, schemaPath: e.schemaPath, keyword: e.keyword,
        params: e.params,
    }));
    return {valid, errors};
});
process.stdout.write(JSON.stringify(out));
