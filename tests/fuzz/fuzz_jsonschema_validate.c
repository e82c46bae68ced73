/*
** fuzz_jsonschema_validate: compile a schema, then validate a document against it, through
** ext/jsonschema's engine API (js_compile, js_check).
**
** Input: one byte of options (draft, format mode), then the schema text, a NUL, and the
** document text. The schema is also validated against itself, so inputs without a NUL still
** exercise validation. A lookup serves the schema's own text for "urn:fuzz", so remote $refs are
** reached too.
*/
#include "jsonschema/validator.h"

#include "fuzz/fuzz_util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *fuzz_schema_text;
static size_t fuzz_schema_len;

static const char *lookup(void *ctx, const char *uri, size_t *len) {
    (void)ctx;
    if (strcmp(uri, "urn:fuzz") != 0)
        return NULL;
    *len = fuzz_schema_len;
    return fuzz_schema_text;
}

static void check(js_schema *s, const char *doc, size_t n, int with_errors) {
    char problem[JS_ERR_SIZE];
    if (!with_errors) {
        js_result r = js_check(s, doc, n, NULL, problem, sizeof problem);
        if (r < JS_FAILED || r > JS_VALID)
            abort();
        if (r < 0 && !memchr(problem, 0, sizeof problem))
            abort();
        return;
    }
    js_errors errs;
    js_errors_init(&errs);
    errs.limit = 50;
    js_result r = js_check(s, doc, n, &errs, problem, sizeof problem);
    /* An invalid document has at least one error; a valid one none. */
    if ((r == JS_VALID && errs.n != 0) || (r == JS_INVALID && errs.n == 0))
        abort();
    for (size_t i = 0; i < errs.n; i++)
        if (!errs.items[i].message || !errs.items[i].instance_location ||
            !errs.items[i].keyword_location)
            abort();
    js_errors_free(&errs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const js_draft drafts[] = {JS_DRAFT_DEFAULT, JS_DRAFT4,    JS_DRAFT6,
                                      JS_DRAFT7,        JS_DRAFT2019, JS_DRAFT2020};
    if (size < 1)
        return 0;
    js_options opts = {.draft = drafts[data[0] % 6], .format = (js_format_mode)(data[0] / 6 % 3)};
    size_t nschema, ndoc;
    const uint8_t *doc;
    char *schema = fuzz_split(data + 1, size - 1, &nschema, &doc, &ndoc);
    fuzz_schema_text = schema;
    fuzz_schema_len = nschema;
    char err[JS_ERR_SIZE];
    js_schema *s = js_compile(schema, nschema, &opts, lookup, NULL, err, sizeof err);
    if (s) {
        check(s, (const char *)doc, ndoc, 0);
        check(s, (const char *)doc, ndoc, 1);
        check(s, schema, nschema, 1);
        js_schema_free(s);
    } else if (!memchr(err, 0, sizeof err) || err[0] == '\0') {
        abort(); /* a failure always says why, terminated */
    }
    free(schema);
    return 0;
}
