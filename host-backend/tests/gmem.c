// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gmem.h"

void gmem_init(struct gmem *g)
{
	memset(g, 0, sizeof(*g));
	g->base = GMEM_BASE;
	g->size = GMEM_SIZE;
	g->next = GMEM_BASE;
	g->buf = calloc(1, GMEM_SIZE);
	if (!g->buf)
		abort();
}

void gmem_fini(struct gmem *g)
{
	free(g->buf);
}

uint64_t gmem_alloc(struct gmem *g, uint64_t size, uint64_t align)
{
	uint64_t gpa = (g->next + align - 1) & ~(align - 1);

	if (gpa + size > g->base + g->size) {
		fprintf(stderr, "gmem: out of fake guest memory\n");
		abort();
	}
	g->next = gpa + size;
	memset(g->buf + (gpa - g->base), 0, size);
	return gpa;
}

/* Little-endian, as the guest writes its tables */
void gmem_w64(struct gmem *g, uint64_t gpa, uint64_t val)
{
	uint8_t *p = g->buf + (gpa - g->base);
	int i;

	if (gpa < g->base || gpa + 8 > g->base + g->size)
		abort();
	for (i = 0; i < 8; i++)
		p[i] = val >> (8 * i);
}

uint64_t gmem_r64(struct gmem *g, uint64_t gpa)
{
	const uint8_t *p = g->buf + (gpa - g->base);
	uint64_t val = 0;
	int i;

	if (gpa < g->base || gpa + 8 > g->base + g->size)
		abort();
	for (i = 0; i < 8; i++)
		val |= (uint64_t)p[i] << (8 * i);
	return val;
}

int gmem_read(void *opaque, uint64_t gpa, void *buf, size_t len)
{
	struct gmem *g = opaque;

	g->reads++;
	if (gpa < g->base || gpa - g->base > g->size ||
	    len > g->size - (gpa - g->base))
		return -EFAULT;
	if (gpa < g->hole_end && gpa + len > g->hole_start)
		return -EIO;
	memcpy(buf, g->buf + (gpa - g->base), len);
	return 0;
}

struct pvb_mem gmem_mem(struct gmem *g)
{
	return (struct pvb_mem){ .read = gmem_read, .opaque = g };
}
