/*
** Unit tests of the remote half's engine: base64, request bodies, response parsing, error
** texts, settings and backoff. No network, no SQLite (the SQL tests use a local server).
*/
#include "common/strbuf.h"
#include "embed/remote_base64.h"
#include "embed/remote_client.h"
#include "embed/remote_config.h"
#include "embed/remote_providers.h"
#include "unit.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

static char err[REMBED_ERR_SIZE];

static void test_base64(void) {
    float out[4];
    /* 1.0f = 00 00 80 3f, -2.5f = 00 00 20 c0 (little-endian) */
    CHECK_EQ_INT(rembed_base64_floats("AACAPwAAIMA=", 12, out, 4), 2);
    CHECK(out[0] == 1.0f && out[1] == -2.5f);
    CHECK_EQ_INT(rembed_base64_floats("AACAPwAAIMA", 11, out, 4), 2);   /* padding optional */
    CHECK_EQ_INT(rembed_base64_floats("AACAPwAAIMA=", 12, out, 1), -1); /* over cap */
    CHECK_EQ_INT(rembed_base64_floats("AACA", 4, out, 4), -1);          /* 3 bytes */
    CHECK_EQ_INT(rembed_base64_floats("AAC*PwAA", 8, out, 4), -1);      /* bad character */
    CHECK_EQ_INT(rembed_base64_floats("A", 1, out, 4), -1);
    CHECK_EQ_INT(rembed_base64_floats("", 0, out, 4), 0);
    CHECK(rembed_base64_max_floats(12) >= 2);
}

static void test_text_json_bytes(void) {
    /* exactly what strbuf_append_json_string writes: each byte value alone, then all of them */
    char text[256];
    strbuf sb;
    strbuf_init(&sb);
    for (int i = 0; i < 256; i++) {
        text[i] = (char)i;
        strbuf_reset(&sb);
        strbuf_append_json_string(&sb, text + i, 1);
        CHECK_EQ_INT((long long)rembed_text_json_bytes(text + i, 1), (long long)sb.len);
    }
    strbuf_reset(&sb);
    strbuf_append_json_string(&sb, text, 256);
    CHECK_EQ_INT((long long)rembed_text_json_bytes(text, 256), (long long)sb.len);
    CHECK_EQ_INT((long long)rembed_text_json_bytes("", 0), 2);
    strbuf_free(&sb);
}

static char *body_for(const char *format, const rembed_request *req, int n,
                      const char *const *texts, const size_t *lens) {
    return rembed_format_body(rembed_format_find(format), req, texts, lens, n, err, sizeof err);
}

static void test_bodies(void) {
    const char *texts[] = {"a", "b\0c"};
    size_t lens[] = {1, 3};
    rembed_request req = {"m", NULL, 0, false, NULL};
    char *b = body_for("openai", &req, 2, texts, lens);
    CHECK_EQ_STR(b, "{\"model\":\"m\",\"input\":[\"a\",\"b\\u0000c\"]}");
    free(b);
    req.base64 = true;
    req.dimensions = 8;
    b = body_for("cohere", &req, 1, texts, lens);
    CHECK_EQ_STR(b, "{\"model\":\"m\",\"input_type\":\"search_document\",\"output_dimension\":8,"
                    "\"texts\":[\"a\"],\"embedding_types\":[\"base64\"]}");
    free(b);
    cJSON *extra = cJSON_Parse("{\"truncate\":\"END\",\"model\":\"x\"}");
    req = (rembed_request){"m", "query", 0, false, extra};
    b = body_for("voyage", &req, 1, texts, lens);
    CHECK_EQ_STR(b, "{\"input_type\":\"query\",\"input\":[\"a\"],\"truncate\":\"END\","
                    "\"model\":\"x\"}");
    free(b);
    b = body_for("gemini", &req, 2, texts, lens);
    /* extra's "model" replaces the request's own */
    CHECK_EQ_STR(b, "{\"requests\":[{\"taskType\":\"query\",\"content\":{\"parts\":[{\"text\":"
                    "\"a\"}]},\"truncate\":\"END\",\"model\":\"x\"},{\"taskType\":\"query\","
                    "\"content\":{\"parts\":[{\"text\":\"b\\u0000c\"}]},\"truncate\":\"END\","
                    "\"model\":\"x\"}]}");
    free(b);
    cJSON_Delete(extra);
    req = (rembed_request){NULL, NULL, 0, false, NULL};
    b = body_for("llamafile", &req, 1, texts, lens);
    CHECK_EQ_STR(b, "{\"content\":\"a\"}");
    free(b);
    CHECK(body_for("openai", &req, 0, texts, lens) == NULL);
    char *url = rembed_format_url(rembed_format_find("gemini"), NULL, "text-embedding-004");
    CHECK_EQ_STR(url, "https://generativelanguage.googleapis.com/v1beta/models/"
                      "text-embedding-004:batchEmbedContents");
    free(url);
    CHECK(rembed_format_find("OpenAI") == NULL);
    /* Ollama's legacy endpoint: {"model", "prompt"}, one text per request */
    const rembed_format *ollama = rembed_format_find("ollama");
    const rembed_format *legacy = rembed_format_for_url(ollama, "http://h:11434/api/embeddings");
    CHECK(legacy != ollama && rembed_format_is_legacy(legacy) && legacy->max_batch == 1);
    CHECK(rembed_format_for_url(ollama, "http://h/api/embeddings?x=1#y") == legacy);
    CHECK(rembed_format_for_url(legacy, "http://h/api/embed") == ollama);
    CHECK(rembed_format_for_url(ollama, NULL) == ollama);
    CHECK(rembed_format_for_url(ollama, "http://h/api/embeddings/x") == ollama);
    CHECK(rembed_format_for_url(rembed_format_find("openai"), "http://h/api/embeddings") ==
          rembed_format_find("openai"));
    req = (rembed_request){"nomic-embed-text", NULL, 0, false, NULL};
    b = rembed_format_body(legacy, &req, texts, lens, 1, err, sizeof err);
    CHECK_EQ_STR(b, "{\"model\":\"nomic-embed-text\",\"prompt\":\"a\"}");
    free(b);
}

static int parse(const char *json, int n, rembed_vectors *v) {
    return rembed_format_parse(json, strlen(json), n, v, err, sizeof err);
}

static void test_parse(void) {
    rembed_vectors v;
    CHECK_EQ_INT(parse("{\"data\":[{\"index\":1,\"embedding\":[3,4]},{\"index\":0,\"embedding\":"
                       "\"AACAPwAAIMA=\"}],\"usage\":{\"total_tokens\":7}}",
                       2, &v),
                 0);
    CHECK_EQ_INT(v.dim, 2);
    CHECK(v.data[0] == 1.0f && v.data[1] == -2.5f && v.data[2] == 3.0f && v.data[3] == 4.0f);
    CHECK_EQ_INT(v.tokens, 7);
    free(v.data);
    CHECK_EQ_INT(parse("{\"embeddings\":{\"float\":[[0.5]]},\"meta\":{\"billed_units\":"
                       "{\"input_tokens\":3}}}",
                       1, &v),
                 0);
    CHECK(v.data[0] == 0.5f && v.tokens == 3);
    free(v.data);
    CHECK_EQ_INT(parse("{\"embeddings\":[{\"values\":[1,2]},{\"values\":[3,4]}]}", 2, &v), 0);
    CHECK(v.data[3] == 4.0f);
    free(v.data);
    CHECK_EQ_INT(parse("{\"embedding\":{\"values\":[9]}}", 1, &v), 0);
    CHECK(v.data[0] == 9.0f);
    free(v.data);
    CHECK_EQ_INT(parse("[{\"index\":0,\"embedding\":[[1,2]]}]", 1, &v), 0);
    CHECK(v.data[1] == 2.0f);
    free(v.data);
    CHECK_EQ_INT(parse("{\"embeddings\":[[1],[2]],\"prompt_eval_count\":5}", 2, &v), 0);
    CHECK_EQ_INT(v.tokens, 5);
    free(v.data);
    /* token counts past the range of long long saturate (converting them was undefined) */
    CHECK_EQ_INT(parse("{\"embeddings\":[[1]],\"usage\":{\"total_tokens\":1e19}}", 1, &v), 0);
    CHECK(v.tokens == LLONG_MAX);
    free(v.data);
    CHECK_EQ_INT(parse("{\"embeddings\":[[1]],\"usage\":{\"total_tokens\":1e999}}", 1, &v), 0);
    CHECK(v.tokens == LLONG_MAX);
    free(v.data);
    CHECK_EQ_INT(parse("{\"embeddings\":[[1]],\"usage\":{\"total_tokens\":-5}}", 1, &v), 0);
    CHECK(v.tokens == 0);
    free(v.data);
    CHECK_EQ_INT(parse("{\"embeddings\":[[1],[2,3]]}", 2, &v), -1);
    CHECK_EQ_STR(err, "embedding 1 has 2 dimensions, embedding 0 had 1");
    CHECK(v.data == NULL);
    CHECK_EQ_INT(parse("{\"data\":[{\"index\":1,\"embedding\":[1]}]}", 1, &v), -1);
    CHECK_EQ_STR(err, "embedding index 1 out of range (1 inputs)");
    CHECK_EQ_INT(parse("{\"data\":[{\"index\":-1,\"embedding\":[1]}]}", 1, &v), -1);
    CHECK_EQ_INT(parse("nope", 1, &v), -1);
    CHECK_EQ_STR(err, "response is not valid JSON");
    CHECK_EQ_INT(parse("{\"embedding\":[1]}", 2, &v), -1);
}

static void test_error_text(void) {
    char out[64];
    const char *body = "{\"error\":{\"message\":\"bad key sk-123 given\"}}";
    rembed_format_error_text(body, strlen(body), "sk-123", out, sizeof out, 40);
    CHECK_EQ_STR(out, "bad key *** given");
    body = "{\"message\":\"line1\\nline2\"}";
    rembed_format_error_text(body, strlen(body), NULL, out, sizeof out, 40);
    CHECK_EQ_STR(out, "line1 line2");
    body = "{\"detail\":\"abcdefghij\"}";
    rembed_format_error_text(body, strlen(body), "", out, sizeof out, 4);
    CHECK_EQ_STR(out, "abcd...");
    /* a two-byte character cut in half is dropped */
    body = "{\"error\":\"abc\xc3\xa9z\"}";
    rembed_format_error_text(body, strlen(body), NULL, out, sizeof out, 4);
    CHECK_EQ_STR(out, "abc...");
    /* bodies that are not a provider's error JSON are never quoted: any host may answer */
    rembed_format_error_text("line1\nline2", 11, NULL, out, sizeof out, 40);
    CHECK_EQ_STR(out, "");
    body = "{\"data\":\"internal\",\"error\":{\"code\":5}}";
    rembed_format_error_text(body, strlen(body), NULL, out, sizeof out, 40);
    CHECK_EQ_STR(out, "");
    rembed_format_error_text(NULL, 0, NULL, out, sizeof out, 4);
    CHECK_EQ_STR(out, "");
}

static void test_config(void) {
    rembed_config c;
    rembed_config_init(&c);
    CHECK_EQ_INT(rembed_config_set_json(&c,
                                        "{\"format\":\"openai\",\"model\":\"m\",\"timeout_ms\":5,"
                                        "\"headers\":{\"X-A\":\"v\"},\"extra\":{\"user\":\"u\"}}",
                                        NULL, err, sizeof err),
                 0);
    setenv("OPENAI_API_KEY", "env-key", 1);
    CHECK_EQ_INT(rembed_config_finish(&c, err, sizeof err), 0);
    CHECK_EQ_STR(c.key, "env-key");
    CHECK(c.key_from_env);
    char *json = rembed_config_json(&c);
    CHECK_EQ_STR(json, "{\"format\":\"openai\",\"model\":\"m\",\"url\":\"https://api.openai.com/"
                       "v1/embeddings\",\"key_from\":\"OPENAI_API_KEY\",\"encoding\":\"float\","
                       "\"timeout_ms\":5,\"connect_timeout_ms\":10000,\"deadline_ms\":120000,"
                       "\"max_retries\":3,"
                       "\"retry_base_ms\":500,\"batch_size\":2048,\"headers\":{\"X-A\":"
                       "\"(redacted)\"},\"extra\":{\"user\":\"u\"}}");
    /* the redacted JSON given back keeps the old header value and re-reads the environment */
    rembed_config d;
    rembed_config_init(&d);
    CHECK_EQ_INT(rembed_config_set_json(&d, json, &c, err, sizeof err), 0);
    CHECK_EQ_INT(rembed_config_finish(&d, err, sizeof err), 0);
    CHECK_EQ_STR(cJSON_GetObjectItem(d.headers, "X-A")->valuestring, "v");
    CHECK_EQ_STR(d.key, "env-key");
    free(json);
    /* a custom URL never gets the environment's key */
    CHECK_EQ_INT(rembed_config_set(&d, "url", "http://127.0.0.1:1/x", err, sizeof err), 0);
    CHECK_EQ_INT(rembed_config_finish(&d, err, sizeof err), 0);
    CHECK(d.key == NULL && !d.key_from_env);
    /* a client built from it owns the settings */
    rembed_client *cl = rembed_client_new("n", &d, err, sizeof err);
    CHECK(cl != NULL && d.format == NULL);
    CHECK_EQ_STR(cl->url, "http://127.0.0.1:1/x");
    CHECK_EQ_INT(cl->n_headers, 1);
    rembed_client_free(cl);
    rembed_config_free(&c);
    unsetenv("OPENAI_API_KEY");
    rembed_config_init(&c);
    CHECK_EQ_INT(rembed_config_set(&c, "format", "openai", err, sizeof err), 0);
    CHECK_EQ_INT(rembed_config_set(&c, "model", "m", err, sizeof err), 0);
    CHECK_EQ_INT(rembed_config_finish(&c, err, sizeof err), -1);
    CHECK_EQ_STR(err, "format openai needs an API key: set the environment variable "
                      "OPENAI_API_KEY or pass option 'key'");
    CHECK_EQ_INT(rembed_config_set(&c, "key", "a\nb", err, sizeof err), -1);
    CHECK_EQ_INT(rembed_config_set(&c, "dimensions", "0", err, sizeof err), -1);
    CHECK_EQ_INT(rembed_config_set(&c, "dimensions", "12x", err, sizeof err), -1);
    CHECK_EQ_INT(rembed_config_set(&c, "url", "file:///etc/passwd", err, sizeof err), -1);
    CHECK_EQ_INT(rembed_config_set(&c, "url", "http:///nohost", err, sizeof err), -1);
    CHECK_EQ_INT(rembed_config_set_json(&c, "[1]", NULL, err, sizeof err), -1);
    rembed_config_free(&c);
}

static void test_backoff(void) {
    unsigned rng = 12345;
    CHECK_EQ_INT(rembed_backoff_ms(500, 0, 2.0, &rng), 2000);
    CHECK_EQ_INT(rembed_backoff_ms(500, 0, 1e9, &rng), REMBED_MAX_WAIT_MS);
    CHECK_EQ_INT(rembed_backoff_ms(0, 5, -1, &rng), 0);
    for (int attempt = 0; attempt < 6; attempt++) {
        for (int k = 0; k < 50; k++) {
            long w = rembed_backoff_ms(100, attempt, -1, &rng);
            long full = 100L << attempt;
            CHECK(w >= full / 2 && w <= full);
        }
    }
    CHECK_EQ_INT(rembed_backoff_ms(60000, 30, -1, &rng) <= REMBED_MAX_WAIT_MS, 1);
}

int main(void) {
    RUN(test_base64);
    RUN(test_text_json_bytes);
    RUN(test_bodies);
    RUN(test_parse);
    RUN(test_error_text);
    RUN(test_config);
    RUN(test_backoff);
    return unit_report("unit_remote");
}
