/*
** lsm_vtab_args: the CREATE VIRTUAL TABLE arguments of lsm1 tables (rules in lsm_vtab_args.h).
*/
#include "lsm/lsm_vtab_args.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int fail(char *err, size_t nerr, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t nerr, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, nerr, fmt, ap);
    va_end(ap);
    return -1;
}

/* A malloc'd copy of the n bytes at s without surrounding quotes ('' or "" inside unescaped). */
static char *dequote(const char *s, size_t n) {
    char *out = malloc(n + 1);
    if (out == NULL)
        return NULL;
    char q = n >= 2 ? s[0] : 0;
    if ((q == '\'' || q == '"') && s[n - 1] == q) {
        size_t j = 0;
        for (size_t i = 1; i < n - 1; i++) {
            if (s[i] == q && i + 1 < n - 1 && s[i + 1] == q)
                i++;
            out[j++] = s[i];
        }
        out[j] = 0;
    } else {
        memcpy(out, s, n);
        out[n] = 0;
    }
    return out;
}

/* Length of the option name at the start of s when s reads "name = value", else 0. */
static size_t option_name_len(const char *s) {
    size_t n = 0;
    while (isalnum((unsigned char)s[n]) || s[n] == '_')
        n++;
    if (n == 0)
        return 0;
    size_t i = n;
    while (isspace((unsigned char)s[i]))
        i++;
    return s[i] == '=' ? n : 0;
}

typedef struct int_option {
    const char *name;
    uint64_t min, max;
} int_option;

static const int_option int_options[] = {
    {"memtable_bytes", 64u << 10, 1u << 30},
    {"block_bytes", 256, 1u << 20},
    {"file_bytes", 64u << 10, 1u << 30},
    {"bloom_bits_per_key", 0, 40},
    {"l0_trigger", 2, 64},
    {"level1_bytes", 64u << 10, (uint64_t)1 << 40},
    {"compact_steps", 1, 1000},
    {"background", 0, 1},
};

static void set_int_option(slsm_options *o, int which, uint64_t v) {
    switch (which) {
        case 0:
            o->memtable_bytes = (size_t)v;
            break;
        case 1:
            o->block_bytes = (size_t)v;
            break;
        case 2:
            o->file_bytes = (size_t)v;
            break;
        case 3:
            o->bloom_bits_per_key = (int)v;
            break;
        case 4:
            o->l0_trigger = (int)v;
            break;
        case 5:
            o->level1_bytes = v;
            break;
        case 6:
            o->compact_steps = (int)v;
            break;
        default:
            o->background = (int)v;
            break;
    }
}

static int parse_option(const char *arg, size_t nname, lsm_vtab_args *args, char *err,
                        size_t nerr) {
    slsm_options *o = &args->opt;
    const char *v = arg + nname;
    while (isspace((unsigned char)*v))
        v++;
    v++; /* '=' */
    while (isspace((unsigned char)*v))
        v++;
    size_t nv = strlen(v);
    while (nv > 0 && isspace((unsigned char)v[nv - 1]))
        nv--;
    char *value = dequote(v, nv);
    if (value == NULL)
        return fail(err, nerr, "out of memory");
    int rc = 0;
    if (nname == 10 && strncasecmp(arg, "durability", 10) == 0) {
        if (strcasecmp(value, "off") == 0)
            o->durability = SLSM_DURABILITY_OFF;
        else if (strcasecmp(value, "normal") == 0)
            o->durability = SLSM_DURABILITY_NORMAL;
        else if (strcasecmp(value, "full") == 0)
            o->durability = SLSM_DURABILITY_FULL;
        else
            rc = fail(err, nerr, "durability must be off, normal or full (got '%.100s')", value);
        free(value);
        return rc;
    }
    if (nname == 6 && strncasecmp(arg, "atomic", 6) == 0) {
        if (strcasecmp(value, "on") == 0)
            args->atomic = 1;
        else if (strcasecmp(value, "off") == 0)
            args->atomic = 0;
        else
            rc = fail(err, nerr, "atomic must be on or off (got '%.100s')", value);
        free(value);
        return rc;
    }
    int which = -1;
    for (size_t i = 0; i < sizeof int_options / sizeof int_options[0]; i++)
        if (strlen(int_options[i].name) == nname &&
            strncasecmp(arg, int_options[i].name, nname) == 0)
            which = (int)i;
    if (which < 0) {
        rc = fail(err, nerr, "unknown option '%.*s'", (int)(nname > 100 ? 100 : nname), arg);
    } else {
        const int_option *io = &int_options[which];
        char *end = NULL;
        errno = 0;
        unsigned long long x = isdigit((unsigned char)value[0]) ? strtoull(value, &end, 10) : 0;
        if (end == NULL || *end != 0 || errno != 0 || x < io->min || x > io->max)
            rc = fail(err, nerr, "%s must be an integer from %llu to %llu (got '%.100s')", io->name,
                      (unsigned long long)io->min, (unsigned long long)io->max, value);
        else
            set_int_option(o, which, x);
    }
    free(value);
    return rc;
}

int lsm_vtab_args_parse(int argc, const char *const *argv, lsm_vtab_args *args, char *err,
                        size_t nerr) {
    static const char *const names[] = {"filename", "key", "key type", "value1"};
    memset(args, 0, sizeof *args);
    slsm_options_default(&args->opt);
    args->atomic = 1;
    for (int i = 0; i < 4; i++)
        if (argc < i + 4 || argv[i + 3] == NULL || argv[i + 3][0] == 0)
            return fail(err, nerr, "%s (argument %d) missing", names[i], i + 1);
    args->filename = dequote(argv[3], strlen(argv[3]));
    if (args->filename == NULL)
        return fail(err, nerr, "out of memory");
    if (args->filename[0] == 0)
        return fail(err, nerr, "empty filename");
    if (option_name_len(argv[4]))
        return fail(err, nerr, "key (argument 2) missing before '%.100s'", argv[4]);
    args->key_name = argv[4];
    args->key_decl = argv[5];
    if (strcasecmp(argv[5], "UINT") == 0)
        args->key_type = LSMV_KEY_UINT;
    else if (strcasecmp(argv[5], "TEXT") == 0)
        args->key_type = LSMV_KEY_TEXT;
    else if (strcasecmp(argv[5], "BLOB") == 0)
        args->key_type = LSMV_KEY_BLOB;
    else
        return fail(err, nerr, "key type should be UINT, TEXT or BLOB (got '%.100s')", argv[5]);
    args->val_decl = malloc(sizeof *args->val_decl * (size_t)(argc > 6 ? argc - 6 : 1));
    if (args->val_decl == NULL)
        return fail(err, nerr, "out of memory");
    for (int i = 6; i < argc; i++) {
        size_t nname = option_name_len(argv[i]);
        if (nname) {
            if (parse_option(argv[i], nname, args, err, nerr))
                return -1;
        } else if (args->nval >= LSMV_MAX_VALUES) {
            return fail(err, nerr, "too many value columns (limit %d)", LSMV_MAX_VALUES);
        } else {
            args->val_decl[args->nval++] = argv[i];
        }
    }
    if (args->nval == 0)
        return fail(err, nerr, "value1 (argument 4) missing");
    if (args->opt.level1_bytes < args->opt.file_bytes)
        return fail(err, nerr, "level1_bytes (%llu) must be at least file_bytes (%llu)",
                    (unsigned long long)args->opt.level1_bytes,
                    (unsigned long long)args->opt.file_bytes);
    return 0;
}

void lsm_vtab_args_free(lsm_vtab_args *args) {
    free(args->filename);
    free(args->val_decl);
    memset(args, 0, sizeof *args);
}
