# ext/jsonschema: link libraries and compile flags (the Makefile collects ext/jsonschema/*.c itself).
# ICU: ECMA-262 regular expressions (uregex) and IDNA for idn-hostname. No cJSON: see jv.h.
jsonschema_LIBS := -licui18n -licuuc
jsonschema_CFLAGS :=
