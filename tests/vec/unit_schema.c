/*
** Unit tests for ext/vec/schema.c: parsing vec0 column declarations and their errors.
*/
#include "unit.h"
#include "vec/schema.h"

static int parse(vec0_schema *s, char *err, int argc, const char *const *argv) {
    return vec0_schema_parse(s, argc, argv, err, 300);
}

static void test_every_kind(void) {
    const char *argv[] = {"id text primary key",
                          "user_id integer partition key",
                          "emb float[384] distance_metric=cosine",
                          "q int8[16]",
                          "b bit[64]",
                          "h float16[8] distance_metric=dot",
                          "genre text",
                          "ok boolean",
                          "+body text",
                          "+raw",
                          "chunk_size=64"};
    vec0_schema s;
    char err[300] = "";
    CHECK_EQ_INT(parse(&s, err, 11, argv), 0);
    CHECK_EQ_STR(err, "");
    CHECK_EQ_INT(s.ncols, 10);
    CHECK_EQ_INT(s.nvectors, 4);
    CHECK_EQ_INT(s.npartitions, 1);
    CHECK_EQ_INT(s.nmetadata, 2);
    CHECK_EQ_INT(s.naux, 2);
    CHECK_EQ_INT(s.pk, 0);
    CHECK_EQ_INT(s.chunk_size, 64);
    CHECK_EQ_INT(s.cols[0].value_type, VEC0_TEXT);
    CHECK_EQ_INT(s.cols[2].kind, VEC0_VECTOR);
    CHECK_EQ_INT(s.cols[2].dims, 384);
    CHECK_EQ_INT(s.cols[2].metric, VEC_COSINE);
    CHECK_EQ_INT(vec0_vector_bytes(&s.cols[2]), 384 * 4);
    CHECK_EQ_INT(s.cols[3].vtype, VEC_INT8);
    CHECK_EQ_INT(s.cols[3].metric, VEC_L2);
    CHECK_EQ_INT(s.cols[4].metric, VEC_HAMMING);
    CHECK_EQ_INT(vec0_vector_bytes(&s.cols[4]), 8);
    CHECK_EQ_INT(s.cols[5].vtype, VEC_F16);
    CHECK_EQ_INT(s.cols[5].metric, VEC_DOT);
    CHECK_EQ_INT(s.cols[7].value_type, VEC0_BOOLEAN);
    CHECK_EQ_INT(s.cols[9].kind, VEC0_AUX);
    CHECK_EQ_INT(s.cols[9].value_type, VEC0_ANY);
    CHECK_EQ_STR(s.cols[8].name, "body");
}

static void test_quoted_names_and_defaults(void) {
    const char *argv[] = {"\"my col\" f32[2]", "`other` I8[3]"};
    vec0_schema s;
    char err[300];
    CHECK_EQ_INT(parse(&s, err, 2, argv), 0);
    CHECK_EQ_STR(s.cols[0].name, "my col");
    CHECK_EQ_STR(s.cols[1].name, "other");
    CHECK_EQ_INT(s.cols[1].vtype, VEC_INT8);
    CHECK_EQ_INT(s.chunk_size, VEC0_DEFAULT_CHUNK);
    CHECK_EQ_INT(s.pk, -1);
}

static void check_error(const char *arg, const char *want) {
    const char *argv[] = {"v float[2]", arg};
    vec0_schema s;
    char err[300] = "";
    CHECK_EQ_INT(parse(&s, err, 2, argv), -1);
    CHECK_EQ_STR(err, want);
}

static void test_errors(void) {
    check_error("x float[0]", "vector column 'x' must have 1 to 8192 dimensions, got 0");
    check_error("x float[8193]", "vector column 'x' must have 1 to 8192 dimensions, got 8193");
    check_error("x bit[7]", "bit vector column 'x' needs a dimension divisible by 8, got 7");
    check_error("x float8[2]", "unknown vector type 'float8' in 'x float8[2]'");
    check_error("x float[2] distance_metric=angular",
                "unknown distance_metric 'angular' on column 'x' (l2, l1, cosine, dot)");
    check_error("x float[2] indexed by lsh()",
                "unknown index 'lsh' on column 'x' (flat, rescore, ivf, diskann)");
    check_error("x float[2] indexed by ivf(nlist=70000)",
                "ivf(...) option nlist must be an integer from 0 to 65536, got '70000'");
    check_error("foo=3", "unknown table option: foo");
    check_error("chunk_size=12",
                "chunk_size must be a positive multiple of 8 up to 4096, got '12'");
    check_error("v text", "duplicate or reserved column name 'v'");
    check_error("distance text", "duplicate or reserved column name 'distance'");
    check_error("x blob", "unknown column type 'blob' in 'x blob'");
    check_error("x text not null",
                "cannot parse column definition 'x text not null' (metadata columns take no "
                "constraints)");
    check_error("x float partition key",
                "partition key column 'x' must be text or integer, got 'float'");
    check_error("+x widget", "unknown type 'widget' for auxiliary column 'x'");
    const char *none[] = {"g text"};
    vec0_schema s;
    char err[300];
    CHECK_EQ_INT(parse(&s, err, 1, none), -1);
    CHECK_EQ_STR(err, "at least one vector column is required");
}

static void test_limits(void) {
    char names[20][32];
    const char *argv[20];
    for (int i = 0; i < 17; i++) {
        snprintf(names[i], sizeof names[i], "v%d float[1]", i);
        argv[i] = names[i];
    }
    vec0_schema s;
    char err[300];
    CHECK_EQ_INT(parse(&s, err, 16, argv), 0);
    CHECK_EQ_INT(parse(&s, err, 17, argv), -1);
    CHECK_EQ_STR(err, "too many vector columns (at most 16)");
    const char *pk2[] = {"a integer primary key", "b text primary key", "v float[1]"};
    CHECK_EQ_INT(parse(&s, err, 3, pk2), -1);
    CHECK_EQ_STR(err, "only one primary key column is allowed");
}

/* INDEXED BY clauses: options given, and strata's defaults for those left out. */
static void test_indexes(void) {
    const char *argv[] = {
        "a float[16] indexed by flat()",
        "b float[16] indexed by ivf(nlist=8, nprobe=2, quantizer=binary, oversample=4)",
        "c float16[8] distance_metric=cosine indexed by rescore(quantizer=bit)",
        "d float[8] indexed by diskann(neighbor_quantizer=int8, n_neighbors=24, "
        "search_list_size_search=40, search_list_size_insert=30, buffer_threshold=0)",
        "e float[8] indexed by rescore()"};
    vec0_schema s;
    char err[300] = "";
    CHECK_EQ_INT(parse(&s, err, 5, argv), 0);
    CHECK_EQ_STR(err, "");
    CHECK_EQ_INT(s.cols[0].index.kind, VEC0_INDEX_FLAT);
    CHECK_EQ_INT(s.cols[1].index.kind, VEC0_INDEX_IVF);
    CHECK_EQ_INT(s.cols[1].index.nlist, 8);
    CHECK_EQ_INT(s.cols[1].index.nprobe, 2);
    CHECK_EQ_INT(s.cols[1].index.quantizer, VEC_QUANT_BIT);
    CHECK_EQ_INT(s.cols[1].index.oversample, 4);
    CHECK_EQ_INT(s.ivf_column, 1);
    CHECK_EQ_INT(s.cols[2].index.kind, VEC0_INDEX_RESCORE);
    CHECK_EQ_INT(s.cols[2].metric, VEC_COSINE);
    CHECK_EQ_INT(s.cols[2].index.oversample, VEC0_DEFAULT_OVERSAMPLE);
    CHECK_EQ_INT(s.cols[3].index.kind, VEC0_INDEX_DISKANN);
    CHECK_EQ_INT(s.cols[3].index.degree, 24);
    CHECK_EQ_INT(s.cols[3].index.list_search, 40);
    CHECK_EQ_INT(s.cols[3].index.list_insert, 30);
    CHECK_EQ_INT(s.cols[3].index.oversample, VEC0_DEFAULT_GRAPH_OVERSAMPLE);
    CHECK_EQ_INT(s.cols[4].index.quantizer, VEC_QUANT_INT8);
    CHECK_EQ_INT(s.cols[4].index.oversample, VEC0_DEFAULT_OVERSAMPLE);
    /* which list would win would depend on the order, so the mix is refused, as in sqlite-vec */
    const char *mixed[] = {"d float[8] indexed by diskann(search_list_size_insert=30, "
                           "search_list_size=40)"};
    CHECK_EQ_INT(parse(&s, err, 1, mixed), -1);
    CHECK_EQ_STR(err, "diskann(...) on column 'd' takes search_list_size or "
                      "search_list_size_search and search_list_size_insert, not both");
}

int main(void) {
    RUN(test_every_kind);
    RUN(test_indexes);
    RUN(test_quoted_names_and_defaults);
    RUN(test_errors);
    RUN(test_limits);
    return unit_report("unit_schema");
}
