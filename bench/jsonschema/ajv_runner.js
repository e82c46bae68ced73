// Times ajv (with ajv-formats) on the documents of one workload; used by the benchmarks only.
// Input (stdin): {"schema": ..., "docs": [...], "passes": N, "lookup": false}. Output: seconds
// per pass, JSON. With "lookup", every document goes through ajv.validate(schema, doc), which
// finds the compiled schema by the schema object (as a SQL function must find it by its text);
// otherwise through the function ajv.compile returned.
const path = process.argv[2];
const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
// The 2020-12 build of ajv for 2020-12 schemas, the default (draft 7) build otherwise.
const is2020 = String(input.schema.$schema || "").includes("2020-12");
const Ajv = require(path + (is2020 ? "/ajv/dist/2020" : "/ajv")).default;
const addFormats = require(path + "/ajv-formats");
const ajv = new Ajv({strict: false, allErrors: false});
addFormats(ajv);
const schema = input.schema;
const compiled = ajv.compile(schema);
const validate = input.lookup ? (doc) => ajv.validate(schema, doc) : compiled;
// Documents arrive as JSON text and are parsed inside the timed loop, as SQL functions do.
const texts = input.docs;
let valid = 0;
const times = [];
for (let p = 0; p < input.passes; p++) {
    const start = process.hrtime.bigint();
    valid = 0;
    for (const t of texts) {
        if (validate(JSON.parse(t))) valid++;
    }
    times.push(Number(process.hrtime.bigint() - start) / 1e9);
}
process.stdout.write(JSON.stringify({times, valid}));
