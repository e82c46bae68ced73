/*
** ext/embed (remote): the wire formats of embedding HTTP APIs.
**
** Each provider is a row of a table: default endpoint, API-key variable, per-request input limit
** and the names its request body uses for the model, inputs, task, dimensions and encoding. One
** builder writes every request body; one parser reads every response family (data[i].embedding,
** embeddings[i], embeddings.float[i], embeddings[i].values, embedding, llama.cpp's list), float
** arrays or base64. Plain C with cJSON; no SQLite, no network.
*/
#ifndef STRATA_EMBED_REMOTE_PROVIDERS_H
#define STRATA_EMBED_REMOTE_PROVIDERS_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

/* Limits on what a response may hold. */
#define REMBED_MAX_DIM 65536
#define REMBED_MAX_BATCH 4096

enum rembed_layout {
    REMBED_LAYOUT_LIST,   /* {"model", <inputs>: [texts], ...} */
    REMBED_LAYOUT_GEMINI, /* {"requests": [{"model", "content": {"parts": [{"text"}]}, ...}]} */
    REMBED_LAYOUT_SINGLE, /* {"content": text} (llamafile, llama.cpp /embedding) */
};

enum rembed_auth {
    REMBED_AUTH_BEARER, /* Authorization: Bearer <key> */
    REMBED_AUTH_GOOG,   /* x-goog-api-key: <key> */
};

typedef struct rembed_format {
    const char *name;
    const char *url;     /* default endpoint; "{model}" stands for the model */
    const char *key_env; /* environment variable of the key; NULL when none is needed */
    int max_batch;       /* inputs per request the provider accepts */
    bool needs_model;    /* the request must name a model */
    enum rembed_layout layout;
    enum rembed_auth auth;
    const char *inputs_field;   /* "input" or "texts" */
    const char *task_field;     /* field of input_type, or NULL when the API has none */
    const char *default_task;   /* sent when no input_type is given, or NULL */
    const char *dims_field;     /* field of dimensions, or NULL */
    const char *encoding_field; /* field asking for base64, or NULL when base64 is unsupported */
    bool encoding_list;         /* Cohere: "embedding_types": ["base64"] */
} rembed_format;

/* The format named name (case-sensitive), or NULL. */
const rembed_format *rembed_format_find(const char *name);
/* Comma-separated list of every format name, for error messages. */
const char *rembed_format_names(void);
/* The wire format f speaks at url: Ollama's legacy endpoint (a URL whose path ends in
** /api/embeddings, as sqlite-rembed calls) takes {"model", "prompt"}, one text per request;
** every other format, and Ollama elsewhere, is f itself. */
const rembed_format *rembed_format_for_url(const rembed_format *f, const char *url);
/* True for the legacy Ollama format rembed_format_for_url may return. */
bool rembed_format_is_legacy(const rembed_format *f);

/* What a request asks for beyond the texts. */
typedef struct rembed_request {
    const char *model;      /* may be NULL when the format does not need one */
    const char *input_type; /* NULL: the format's default_task, if any */
    int dimensions;         /* 0: not sent */
    bool base64;
    const cJSON *extra; /* object whose members are merged into the body (each Gemini
                           request), or NULL */
} rembed_request;

/* Writes the JSON body asking for the embeddings of texts[0..n) (lengths lens; texts may hold
** NUL bytes). Returns a malloc'd NUL-terminated string, or NULL with err filled. */
char *rembed_format_body(const rembed_format *f, const rembed_request *req,
                         const char *const *texts, const size_t *lens, int n, char *err,
                         size_t errlen);

/* Bytes text[0..n) takes in a request body as a JSON string literal, quotes included. */
size_t rembed_text_json_bytes(const char *text, size_t n);

/* The URL to call: url (or the default) with "{model}" replaced. malloc'd; NULL when out of
** memory. */
char *rembed_format_url(const rembed_format *f, const char *url, const char *model);

typedef struct rembed_vectors {
    float *data; /* count * dim floats, malloc'd */
    int count;
    int dim;
    long long tokens; /* tokens the provider says it used, 0 when it does not say */
} rembed_vectors;

/* Parses a response that must hold exactly n embeddings of equal dimension, in request order
** (sorted by "index" when the provider sends one). Returns 0, or -1 with err filled. */
int rembed_format_parse(const char *body, size_t len, int n, rembed_vectors *out, char *err,
                        size_t errlen);

/* The provider's error message in an error response body (error.message, error, message,
** detail or msg of a JSON object; nothing for any other body), made printable and cut to at
** most max bytes, with every
** occurrence of secret (when not NULL or empty) replaced by "***". Writes into out (size
** outlen). */
void rembed_format_error_text(const char *body, size_t len, const char *secret, char *out,
                              size_t outlen, size_t max);

#endif
