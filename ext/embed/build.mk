# ext/embed: link libraries and compile flags (the Makefile collects ext/embed/*.c itself).
# Remote APIs (remote*.c): cJSON; libcurl is dlopen()ed on first use (remote_curl.c),
# so the .so files load where libcurl4 is missing. curl's headers are still needed to build.
embed_LIBS := -lcjson
# Local models (gguf, tokenizer, encoder, static vectors):
embed_LIBS += -licui18n -licuuc -lpthread
embed_CFLAGS :=
