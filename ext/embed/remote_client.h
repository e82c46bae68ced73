/*
** ext/embed (remote): a named client: settings, one keep-alive connection and usage counters.
** Embeds a list of texts in as few requests as the provider's limit allows, retrying 429 and 5xx
** responses with exponential backoff and jitter (or the server's Retry-After), never other 4xx.
** Plain C; no SQLite.
*/
#ifndef STRATA_EMBED_REMOTE_CLIENT_H
#define STRATA_EMBED_REMOTE_CLIENT_H

#include <stddef.h>

#include "embed/remote_config.h"
#include "embed/remote_http.h"
#include "embed/remote_providers.h"

/* Longest wait between two attempts, whatever Retry-After says. */
#define REMBED_MAX_WAIT_MS 60000L
/* Longest provider message quoted in an error (only an error JSON's message is quoted). */
#define REMBED_ERROR_QUOTE 300
/* Largest request body (as JSON), like lembed's limit on texts: a longer text is refused, and
** rembed_each packs fewer texts into a request when theirs would pass it. */
#define REMBED_MAX_REQUEST_BYTES ((size_t)32 << 20)
/* Size of the error buffers callers pass. */
#define REMBED_ERR_SIZE 768

typedef struct rembed_usage {
    long long requests; /* HTTP requests sent, retries included */
    long long inputs;   /* texts embedded successfully */
    long long tokens;   /* tokens the provider reported */
    long long retries;  /* attempts repeated after 429, 5xx or a dropped connection */
    long long errors;   /* calls that failed */
} rembed_usage;

typedef struct rembed_client {
    char *name;
    rembed_config cfg;
    rembed_http http;
    rembed_usage usage;
    char *url;           /* resolved endpoint */
    char **header_lines; /* authentication and user headers, "Name: value" */
    int n_headers;
    unsigned rng; /* jitter state */
} rembed_client;

/* A client named name that takes over cfg (finished with rembed_config_finish; cfg is left
** empty). NULL with err filled on failure (cfg is then freed). */
rembed_client *rembed_client_new(const char *name, rembed_config *cfg, char *err, size_t errlen);
void rembed_client_free(rembed_client *c);

/* rembed_client_embed's result when cancel stopped it. */
#define REMBED_CANCELLED (-2)

/* Embeds texts[0..n) (lengths lens) into out (rembed_vectors; free out->data), in input order,
** splitting into requests of at most the client's batch size. input_type overrides the client's
** (NULL keeps it). The whole call, retries and waits included, ends within the client's
** deadline_ms; cancel (may be NULL) is asked while it waits. Returns 0, -1 with err
** "client 'name': ..." (never the key), or REMBED_CANCELLED with err "client 'name':
** interrupted". */
int rembed_client_embed(rembed_client *c, const char *const *texts, const size_t *lens, int n,
                        const char *input_type, const rembed_cancel *cancel, rembed_vectors *out,
                        char *err, size_t errlen);

/* Refuses a text of bytes bytes that no request can hold: fills err and counts a failed call.
** For callers that can tell before they copy the text (rembed of a huge BLOB). Returns -1. */
int rembed_client_text_too_large(rembed_client *c, size_t bytes, char *err, size_t errlen);

/* The wait in ms before retry number attempt (0-based): Retry-After when the server sent one
** (retry_after_s >= 0), else base * 2^attempt with jitter in [50%, 100%]; capped at
** REMBED_MAX_WAIT_MS. */
long rembed_backoff_ms(long base_ms, int attempt, double retry_after_s, unsigned *rng);

#endif
