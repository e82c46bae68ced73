# ext/embed: link libraries and compile flags (the Makefile collects ext/embed/*.c itself).
# Remote APIs (remote*.c, issue #7):
embed_LIBS := -lcurl -lcjson
# Local models (gguf, tokenizer, encoder, static vectors; issue #8):
embed_LIBS += -licui18n -licuuc -lpthread
embed_CFLAGS :=
