# ext/embed: link libraries and compile flags (the Makefile collects ext/embed/*.c itself).
embed_LIBS := -lcurl -lcjson -licui18n -licuuc -lpthread
embed_CFLAGS :=
