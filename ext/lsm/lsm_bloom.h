/*
** lsm_bloom: the per-table bloom filter over user keys, so a point lookup skips tables that
** cannot hold its key. Layout: the bit array, then one byte with the number of probes.
** 10 bits per key and 7 probes give about 1% false positives.
*/
#ifndef STRATA_LSM_BLOOM_H
#define STRATA_LSM_BLOOM_H

#include "common/strbuf.h"

#include <stddef.h>
#include <stdint.h>

uint32_t lsm_bloom_hash(const uint8_t *key, size_t n);
/* Appends the filter for n key hashes to out. */
void lsm_bloom_build(const uint32_t *hashes, size_t n, int bits_per_key, strbuf *out);
/* 0 when the key is certainly absent; a malformed filter answers 1 (check the table). */
int lsm_bloom_may_contain(const uint8_t *filter, size_t n, uint32_t hash);

#endif
