/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fake guest memory for the tests: RAM at [base, base + size), with an
 * optional MMIO-like hole; reads anywhere else fail.
 */
#ifndef PVB_TEST_GMEM_H
#define PVB_TEST_GMEM_H

#include <stddef.h>
#include <stdint.h>

#include "pvb/mem.h"

struct gmem {
	uint8_t *buf;
	uint64_t base;
	uint64_t size;
	uint64_t next; /* bump allocator */
	uint64_t hole_start; /* reads in [hole_start, hole_end) fail */
	uint64_t hole_end;
	unsigned long reads;
};

#define GMEM_BASE 0x80000000ULL
#define GMEM_SIZE (16ULL << 20)

void gmem_init(struct gmem *g);
void gmem_fini(struct gmem *g);
/* Zeroed guest memory of @size bytes aligned to @align */
uint64_t gmem_alloc(struct gmem *g, uint64_t size, uint64_t align);
void gmem_w64(struct gmem *g, uint64_t gpa, uint64_t val);
uint64_t gmem_r64(struct gmem *g, uint64_t gpa);
int gmem_read(void *opaque, uint64_t gpa, void *buf, size_t len);
struct pvb_mem gmem_mem(struct gmem *g);

#endif /* PVB_TEST_GMEM_H */
