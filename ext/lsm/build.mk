# ext/lsm: link libraries and compile flags (the Makefile collects ext/lsm/*.c itself).
lsm_LIBS := 
lsm_CFLAGS :=
