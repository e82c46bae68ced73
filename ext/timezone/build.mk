# ext/timezone: link libraries and compile flags (the Makefile collects ext/timezone/*.c itself).
timezone_LIBS := -licui18n -licuuc
timezone_CFLAGS :=
