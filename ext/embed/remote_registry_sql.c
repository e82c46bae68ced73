/*
** ext/embed (remote): the connection's registry of clients (see remote_sql.h), below the files
** that use it: the functions (remote_sql.c), temp.rembed_clients and rembed_each.
*/
#include "embed/remote_sql.h"

#include <string.h>

rembed_registry *rembed_registry_new(void) {
    rembed_registry *r = sqlite3_malloc64(sizeof *r);
    if (r != NULL) {
        memset(r, 0, sizeof *r);
        r->refs = 1;
        r->next_id = 1;
    }
    return r;
}

void rembed_registry_ref(void *r) {
    ((rembed_registry *)r)->refs++;
}

void rembed_registry_unref(void *p) {
    rembed_registry *r = p;
    if (r == NULL || --r->refs > 0)
        return;
    for (int i = 0; i < r->n; i++)
        rembed_client_free(r->entries[i].client);
    sqlite3_free(r->entries);
    sqlite3_free(r);
}

int rembed_registry_find(const rembed_registry *r, const char *name, sqlite3_int64 id) {
    for (int i = 0; i < r->n; i++)
        if (name ? strcmp(r->entries[i].client->name, name) == 0 : r->entries[i].id == id)
            return i;
    return -1;
}
