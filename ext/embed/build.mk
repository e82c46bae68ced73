# ext/embed: link libraries and compile flags (the Makefile collects ext/embed/*.c itself).
# Remote APIs (remote*.c):
embed_LIBS := -lcurl -lcjson
# Local models (gguf, tokenizer, encoder, static vectors):
embed_LIBS += -licui18n -licuuc -lpthread
embed_CFLAGS :=
