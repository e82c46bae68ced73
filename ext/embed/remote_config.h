/*
** ext/embed (remote): a client's settings: the options of rembed_client_options() or of a JSON
** object, checked, completed from the environment (API keys) and printed back with secrets
** redacted. Plain C with cJSON; no SQLite, no network.
*/
#ifndef STRATA_EMBED_REMOTE_CONFIG_H
#define STRATA_EMBED_REMOTE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "embed/remote_providers.h"

/* What SELECT shows instead of a secret; given back in an UPDATE it keeps the old secret. */
#define REMBED_REDACTED "(redacted)"

/* Limits of the time options. A call can hold a statement (and a host's worker thread) no
** longer than deadline_ms, whatever the other settings. */
#define REMBED_MAX_TIMEOUT_MS 300000L
#define REMBED_MAX_CONNECT_TIMEOUT_MS 60000L
#define REMBED_MAX_DEADLINE_MS 3600000L
#define REMBED_DEFAULT_DEADLINE_MS 120000L
#define REMBED_MAX_RETRIES 10

typedef struct rembed_config {
    const rembed_format *format;
    char *model;
    char *url; /* NULL: the format's default endpoint */
    char *key; /* explicit key, or the environment's (key_from_env) */
    bool key_from_env;
    char *input_type; /* default task of the client, NULL for none */
    int dimensions;   /* 0: the model's default */
    bool base64;
    long timeout_ms;         /* one request */
    long connect_timeout_ms; /* connecting, within a request */
    long deadline_ms;        /* one rembed/rembed_each call: every request, retry and wait */
    int max_retries;
    long retry_base_ms;
    int batch_size; /* 0: the format's limit */
    cJSON *headers; /* object of string values, or NULL */
    cJSON *extra;   /* object merged into request bodies, or NULL */
} rembed_config;

void rembed_config_init(rembed_config *c);
/* Frees the strings (wiping the key) and JSON of c. */
void rembed_config_free(rembed_config *c);

/* Sets option name to value (text: numbers, JSON objects and booleans as their text). Unknown
** names and bad values fail with err filled. */
int rembed_config_set(rembed_config *c, const char *name, const char *value, char *err,
                      size_t errlen);

/* Sets every member of the JSON object text json. Secrets given as REMBED_REDACTED are taken
** from old (may be NULL). */
int rembed_config_set_json(rembed_config *c, const char *json, const rembed_config *old, char *err,
                           size_t errlen);

/* Checks that the options make a usable client and fills the key from the environment: only
** when no key was given and the URL is the format's default, so a custom URL never receives
** the environment's key. A format that needs a key and has none fails, naming its variable. */
int rembed_config_finish(rembed_config *c, char *err, size_t errlen);

/* The options as a JSON object with the key and header values redacted; malloc'd, NULL when out
** of memory. */
char *rembed_config_json(const rembed_config *c);

/* The effective per-request input limit. */
int rembed_config_batch_size(const rembed_config *c);

#endif
