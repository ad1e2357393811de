// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Micro-benchmark of the translation path: IOTLB hits, 4-level walks
 * (4KB granule, 48-bit input) on a miss, and invalidations. Each figure is
 * the median of 7 runs. Guest memory is a host buffer read through the
 * same callback interface QEMU uses (a bounds check and a memcpy), so walk
 * figures exclude QEMU's address_space_read() cost.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pvb/pvb.h"

#define RUNS	  7
#define RAM_SIZE  (8u << 20)
#define NR_PAGES  1024
#define TLB_SIZE  4096
#define IOVA_BASE 0x0000123400000000ULL

static uint8_t *ram;

static int ram_read(void *opaque, uint64_t gpa, void *buf, size_t len)
{
	(void)opaque;
	if (gpa > RAM_SIZE || len > RAM_SIZE - gpa)
		return -1;
	memcpy(buf, ram + gpa, len);
	return 0;
}

static void w64(uint64_t gpa, uint64_t v)
{
	memcpy(ram + gpa, &v, sizeof(v)); /* little-endian host */
}

static uint64_t next_table = 0x10000;

static uint64_t table_alloc(void)
{
	uint64_t t = next_table;

	next_table += 0x1000;
	return t;
}

/* Map IOVA_BASE + i * 4KB for i < NR_PAGES through 4 levels */
static uint64_t build_tables(void)
{
	uint64_t root = table_alloc(), l1 = table_alloc(), l2 = table_alloc();
	uint64_t l3 = 0, iova;
	unsigned int i;

	w64(root + 8 * ((IOVA_BASE >> 39) & 511), l1 | 3);
	w64(l1 + 8 * ((IOVA_BASE >> 30) & 511), l2 | 3);
	for (i = 0; i < NR_PAGES; i++) {
		iova = IOVA_BASE + (uint64_t)i * 4096;
		if (!(i % 512)) {
			l3 = table_alloc();
			w64(l2 + 8 * ((iova >> 21) & 511), l3 | 3);
		}
		/* AF, nG, inner shareable, AP[1], page */
		w64(l3 + 8 * ((iova >> 12) & 511),
		    (0x40000000 + (uint64_t)i * 4096) | 0xf43);
	}
	return root;
}

/* A linear CD table of 2 CDs at 0x1000, CD 1 for the tables */
static void build_cd(uint64_t root)
{
	w64(0x1000 + 64 + 0, 16 | 1ULL << 30 | 1ULL << 31 | 5ULL << 32 |
				     1ULL << 41 | 1ULL << 45 | 1ULL << 46 |
				     1ULL << 47 | 7ULL << 48);
	w64(0x1000 + 64 + 8, root);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v)
{
	qsort(v, RUNS, sizeof(*v), cmp_double);
	return v[RUNS / 2];
}

static unsigned int order[NR_PAGES];
static volatile uint64_t sink;

static void shuffle(void)
{
	unsigned int i, j, t;

	for (i = 0; i < NR_PAGES; i++)
		order[i] = i;
	srand(42);
	for (i = NR_PAGES - 1; i > 0; i--) {
		j = rand() % (i + 1);
		t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
}

static uint64_t page_iova(unsigned int i)
{
	return IOVA_BASE + (uint64_t)order[i % NR_PAGES] * 4096 + 0x10;
}

static double bench_iotlb_hit(struct pvb_iotlb *tlb, unsigned int n)
{
	struct pvb_iotlb_entry e;
	double t0 = now_ns();
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (!pvb_iotlb_lookup(tlb, 1, 7, page_iova(i), &e))
			abort();
		sink += e.out;
	}
	return (now_ns() - t0) / n;
}

static double bench_translate(const struct pvb_s1_ctx *ctx, unsigned int n)
{
	struct pvb_s1_txn txn = { .ssv = true,
				  .ssid = 1,
				  .access = PVB_ACCESS_READ };
	struct pvb_iotlb_entry res;
	struct pvb_fault fault;
	double t0 = now_ns();
	unsigned int i;

	for (i = 0; i < n; i++) {
		txn.iova = page_iova(i);
		if (pvb_s1_translate(ctx, &txn, &res, &fault))
			abort();
		sink += res.out;
	}
	return (now_ns() - t0) / n;
}

static void fill(struct pvb_iotlb *tlb)
{
	unsigned int i;

	for (i = 0; i < NR_PAGES; i++) {
		struct pvb_iotlb_entry e = {
			.iova = IOVA_BASE + (uint64_t)i * 4096,
			.out = 0x40000000 + (uint64_t)i * 4096,
			.domain = 1,
			.asid = 7,
			.ssid = 1,
			.size_log2 = 12,
			.perm = PVB_ACCESS_READ | PVB_ACCESS_WRITE,
		};

		pvb_iotlb_insert(tlb, &e);
	}
}

/* Invalidate each present page once, refill untimed, repeat */
static double bench_inv_va(struct pvb_iotlb *tlb, unsigned int rounds)
{
	double total = 0, t0;
	unsigned int r, i;

	for (r = 0; r < rounds; r++) {
		fill(tlb);
		t0 = now_ns();
		for (i = 0; i < NR_PAGES; i++)
			pvb_iotlb_inv_va(tlb, 1, 7, page_iova(i) & ~0xfffULL,
					 4096, true);
		total += now_ns() - t0;
	}
	return total / ((double)rounds * NR_PAGES);
}

static double bench_inv_asid(struct pvb_iotlb *tlb, unsigned int rounds)
{
	double total = 0, t0;
	unsigned int r;

	for (r = 0; r < rounds; r++) {
		fill(tlb);
		t0 = now_ns();
		pvb_iotlb_inv_asid(tlb, 1, 7);
		total += now_ns() - t0;
	}
	return total / rounds;
}

int main(void)
{
	double hit[RUNS], xhit[RUNS], miss_cc[RUNS], miss_nc[RUNS];
	double inv_va[RUNS], inv_asid[RUNS];
	struct pvb_s1_ctx ctx = { .domain = 1 };
	struct pvb_iotlb *tlb = pvb_iotlb_new(TLB_SIZE);
	struct pvb_cd_cache *cdc = pvb_cd_cache_new(64);
	unsigned int r;

	ram = calloc(1, RAM_SIZE);
	if (!ram || !tlb || !cdc)
		return 1;
	shuffle();
	build_cd(build_tables());
	pvb_arm_caps_sw(48, &ctx.caps);
	ctx.mem = (struct pvb_mem){ ram_read, NULL };
	ctx.table =
		(struct pvb_s1_table){ .s1contextptr = 0x1000, .s1cdmax = 1 };

	for (r = 0; r < RUNS; r++) {
		/* IOTLB lookups alone, then the full translate on a hit */
		fill(tlb);
		hit[r] = bench_iotlb_hit(tlb, 4000000);
		ctx.iotlb = tlb;
		ctx.cd_cache = cdc;
		xhit[r] = bench_translate(&ctx, 4000000);
		/* Misses: no IOTLB, CD from the CD cache or from memory */
		ctx.iotlb = NULL;
		miss_cc[r] = bench_translate(&ctx, 1000000);
		ctx.cd_cache = NULL;
		miss_nc[r] = bench_translate(&ctx, 1000000);
		inv_va[r] = bench_inv_va(tlb, 200);
		inv_asid[r] = bench_inv_asid(tlb, 2000);
	}

	printf("libpvb micro-benchmark, median of %d runs (ns per operation)\n",
	       RUNS);
	printf("%-52s %10s %8s\n", "operation", "ns", "target");
	printf("%-52s %10.1f %8s\n", "IOTLB hit (pvb_iotlb_lookup, 1024 pages)",
	       median(hit), "<= 50");
	printf("%-52s %10.1f %8s\n", "translate, IOTLB hit (CD cache + IOTLB)",
	       median(xhit), "");
	printf("%-52s %10.1f %8s\n", "translate, miss: 4-level walk, CD cached",
	       median(miss_cc), "<= 500");
	printf("%-52s %10.1f %8s\n",
	       "translate, miss: 4-level walk, CD fetched", median(miss_nc),
	       "");
	printf("%-52s %10.1f %8s\n", "invalidate VA, one 4KB page (present)",
	       median(inv_va), "");
	printf("%-52s %10.1f %8s\n", "invalidate ASID (scan of 4096 entries)",
	       median(inv_asid), "");
	pvb_iotlb_free(tlb);
	pvb_cd_cache_free(cdc);
	free(ram);
	return (int)(sink & 0);
}
