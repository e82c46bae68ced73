# ext/vec: link libraries and compile flags (the Makefile collects ext/vec/*.c itself).
vec_LIBS := -lpthread
vec_CFLAGS :=
