# ext/jsonschema: link libraries and compile flags (the Makefile collects ext/jsonschema/*.c itself).
jsonschema_LIBS := -lcjson -licui18n -licuuc
jsonschema_CFLAGS :=
