/*
** Unit tests for ext/common/cpu: the reported features match /proc/cpuinfo, and STRATA_CPU
** caps them (run with STRATA_CPU=scalar by the test below via re-exec).
*/
#include "common/cpu.h"
#include "unit.h"

#include <stdlib.h>

/* True when /proc/cpuinfo's flags line lists `flag` as a whole word. */
static int cpuinfo_has(const char *flag) {
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f == NULL)
        return -1;
    char line[8192];
    int found = 0;
    size_t n = strlen(flag);
    while (!found && fgets(line, sizeof line, f)) {
        if (strncmp(line, "flags", 5) != 0)
            continue;
        for (char *p = strstr(line, flag); p; p = strstr(p + 1, flag))
            if ((p == line || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\n'))
                found = 1;
        break;
    }
    fclose(f);
    return found;
}

static void test_matches_cpuinfo(void) {
    const char *cap = getenv("STRATA_CPU");
    int avx2 = cpuinfo_has("avx2") == 1 && cpuinfo_has("fma") == 1;
    int avx512 = avx2 && cpuinfo_has("avx512f") == 1 && cpuinfo_has("avx512bw") == 1 &&
                 cpuinfo_has("avx512vl") == 1 && cpuinfo_has("avx512dq") == 1;
    if (cap && strcmp(cap, "scalar") == 0) {
        CHECK_EQ_INT(strata_cpu_features(), 0);
        CHECK_EQ_STR(strata_cpu_describe(), "scalar");
        return;
    }
    if (cap && strcmp(cap, "avx2") == 0)
        avx512 = 0;
    CHECK_EQ_INT(strata_cpu_has(STRATA_CPU_AVX2), avx2);
    CHECK_EQ_INT(strata_cpu_has(STRATA_CPU_AVX512), avx512);
}

static const char *self_path;

static void test_caps_in_child_processes(void) {
    unit_rerun_with_cpu_caps(self_path);
}

int main(int argc, char **argv) {
    self_path = argv[0];
    RUN(test_matches_cpuinfo);
    RUN(test_caps_in_child_processes);
    return unit_report("unit_cpu");
}
