// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * IOTLB: lookups of pages and blocks, every invalidation scope, the leaf
 * hint, eviction and counters.
 */
#include "pvb/iotlb.h"

#include "suites.h"
#include "tap.h"

#define MB (1ULL << 20)
#define GB (1ULL << 30)

static void put(struct pvb_iotlb *tlb, uint32_t domain, uint16_t asid,
		uint32_t ssid, uint64_t iova, uint64_t out, unsigned int shift)
{
	struct pvb_iotlb_entry e = {
		.iova = iova,
		.out = out,
		.domain = domain,
		.ssid = ssid,
		.asid = asid,
		.size_log2 = shift,
		.perm = PVB_ACCESS_READ,
	};

	pvb_iotlb_insert(tlb, &e);
}

static bool hit(struct pvb_iotlb *tlb, uint32_t domain, uint16_t asid,
		uint64_t iova)
{
	struct pvb_iotlb_entry e;

	return pvb_iotlb_lookup(tlb, domain, asid, iova, &e);
}

static void test_lookup(void)
{
	struct pvb_iotlb *tlb = pvb_iotlb_new(256);
	struct pvb_iotlb_entry e;

	OK(tlb && pvb_iotlb_capacity(tlb) == 256, "256-entry IOTLB");
	put(tlb, 1, 10, 0, 0x5000, 0x99000, 12);
	OK(pvb_iotlb_lookup(tlb, 1, 10, 0x5abc, &e), "page hit");
	OK(e.iova == 0x5000 && e.out == 0x99000 && e.size_log2 == 12 &&
		   e.domain == 1 && e.asid == 10 && e.perm == PVB_ACCESS_READ,
	   "  entry fields");
	OK(!hit(tlb, 1, 10, 0x6000), "next page misses");
	OK(!hit(tlb, 1, 11, 0x5000), "other ASID misses");
	OK(!hit(tlb, 2, 10, 0x5000), "other domain misses");

	/* A 2MB block hits at its first, middle and last byte */
	put(tlb, 1, 10, 0, 0x40000000 + 0x1234, 0x80000000 + 0x1234, 21);
	OK(pvb_iotlb_lookup(tlb, 1, 10, 0x40000000, &e) && e.out == 0x80000000,
	   "2MB block: first byte, aligned output");
	OK(hit(tlb, 1, 10, 0x40000000 + MB), "2MB block: middle");
	OK(hit(tlb, 1, 10, 0x40000000 + 2 * MB - 1), "2MB block: last byte");
	OK(!hit(tlb, 1, 10, 0x40000000 + 2 * MB), "2MB block: next byte");
	put(tlb, 1, 10, 0, 0x80000000, 0x80000000, 30);
	OK(hit(tlb, 1, 10, 0x80000000 + GB - 1), "1GB block: last byte");
	put(tlb, 1, 10, 0, 0x90000000, 0x10000, 16);
	OK(pvb_iotlb_lookup(tlb, 1, 10, 0x9000ffff, &e) && e.size_log2 == 16,
	   "64KB page, last byte");

	/* Re-inserting the same key replaces, does not evict */
	put(tlb, 1, 10, 0, 0x5000, 0x77000, 12);
	OK(pvb_iotlb_lookup(tlb, 1, 10, 0x5000, &e) && e.out == 0x77000,
	   "same key replaced");
	pvb_iotlb_free(tlb);
}

static void test_inv_scopes(void)
{
	struct pvb_iotlb *tlb = pvb_iotlb_new(1024);
	struct pvb_iotlb_stats st;

	put(tlb, 1, 10, 0, 0x1000, 0x1000, 12);
	put(tlb, 1, 10, 0, 0x2000, 0x2000, 12);
	put(tlb, 1, 11, 7, 0x1000, 0x1000, 12);
	put(tlb, 2, 10, 0, 0x1000, 0x1000, 12);

	pvb_iotlb_inv_asid(tlb, 1, 10);
	OK(!hit(tlb, 1, 10, 0x1000) && !hit(tlb, 1, 10, 0x2000),
	   "ASID invalidation drops (1, 10)");
	OK(hit(tlb, 1, 11, 0x1000) && hit(tlb, 2, 10, 0x1000),
	   "  keeps (1, 11) and (2, 10)");
	pvb_iotlb_inv_ssid(tlb, 1, 7);
	OK(!hit(tlb, 1, 11, 0x1000) && hit(tlb, 2, 10, 0x1000),
	   "SSID invalidation drops entries filled through CD 7");
	put(tlb, 1, 11, 7, 0x1000, 0x1000, 12);
	pvb_iotlb_inv_domain(tlb, 2);
	OK(!hit(tlb, 2, 10, 0x1000) && hit(tlb, 1, 11, 0x1000),
	   "domain invalidation drops domain 2 only");
	pvb_iotlb_inv_all(tlb);
	OK(!hit(tlb, 1, 11, 0x1000), "invalidate all");

	pvb_iotlb_get_stats(tlb, &st);
	EQ(st.invalidations, 4, "invalidation calls counted");
	EQ(st.invalidated, 5, "invalidated entries counted");
	EQ(st.inserts, 5, "inserts counted");
	pvb_iotlb_free(tlb);
}

static void test_inv_va(void)
{
	struct pvb_iotlb *tlb = pvb_iotlb_new(1024);
	uint64_t blk = 0x40000000;

	/* Pages 0x10000..0x14000, a 2MB block, a page in another ASID */
	for (uint64_t a = 0x10000; a < 0x15000; a += 0x1000)
		put(tlb, 1, 10, 0, a, a, 12);
	put(tlb, 1, 10, 0, blk, blk, 21);
	put(tlb, 1, 20, 0, 0x12000, 0x12000, 12);

	pvb_iotlb_inv_va(tlb, 1, 10, 0x11000, 0x2000, true);
	OK(hit(tlb, 1, 10, 0x10000) && hit(tlb, 1, 10, 0x13000),
	   "VA invalidation keeps the pages around the range");
	OK(!hit(tlb, 1, 10, 0x11000) && !hit(tlb, 1, 10, 0x12000),
	   "  drops the pages inside");
	OK(hit(tlb, 1, 20, 0x12000), "  keeps other ASIDs");

	/* A leaf invalidation of one page inside a block drops the block */
	pvb_iotlb_inv_va(tlb, 1, 10, blk + 0x5000, 0x1000, true);
	OK(!hit(tlb, 1, 10, blk), "leaf VA invalidation inside a 2MB block");
	put(tlb, 1, 10, 0, blk, blk, 21);
	pvb_iotlb_inv_va(tlb, 1, 10, blk + MB, 0x1000, false);
	OK(!hit(tlb, 1, 10, blk), "non-leaf VA invalidation inside a block");
	put(tlb, 1, 10, 0, blk, blk, 21);
	pvb_iotlb_inv_va(tlb, 1, 10, blk - 0x1000, 0x1000, true);
	OK(hit(tlb, 1, 10, blk), "range ending before the block keeps it");
	pvb_iotlb_inv_va(tlb, 1, 10, blk + 2 * MB, 0x1000, true);
	OK(hit(tlb, 1, 10, blk), "range starting after the block keeps it");

	/* A range spanning many pages takes the full-scan path */
	pvb_iotlb_inv_va(tlb, 1, 10, 0, 1ULL << 40, false);
	OK(!hit(tlb, 1, 10, 0x10000) && !hit(tlb, 1, 10, 0x14000) &&
		   !hit(tlb, 1, 10, blk),
	   "1TB VA invalidation drops pages and block");
	OK(hit(tlb, 1, 20, 0x12000), "  keeps other ASIDs");

	/* Clipped at the top of the address space */
	put(tlb, 1, 10, 0, 0xfffffffffffff000ULL, 0x1000, 12);
	pvb_iotlb_inv_va(tlb, 1, 10, 0xffffffffffffe000ULL, 0x4000, true);
	OK(!hit(tlb, 1, 10, 0xfffffffffffff000ULL),
	   "range past 2^64 is clipped");
	put(tlb, 1, 10, 0, 0x20000, 0x20000, 12);
	pvb_iotlb_inv_va(tlb, 1, 10, 0x20000, 0, true);
	OK(hit(tlb, 1, 10, 0x20000), "empty range drops nothing");
	pvb_iotlb_free(tlb);
}

static void test_eviction(void)
{
	struct pvb_iotlb *tlb = pvb_iotlb_new(8);
	struct pvb_iotlb_stats st;
	unsigned int i, present = 0;

	OK(pvb_iotlb_capacity(tlb) == 8, "capacity rounded to 8");
	for (i = 0; i < 100; i++)
		put(tlb, 1, 1, 0, (uint64_t)i << 12, 0, 12);
	for (i = 0; i < 100; i++)
		present += hit(tlb, 1, 1, (uint64_t)i << 12);
	OK(present > 0 && present <= 8, "at most capacity entries (%u)",
	   present);
	OK(hit(tlb, 1, 1, 99ULL << 12), "the last insert is present");
	pvb_iotlb_get_stats(tlb, &st);
	EQ(st.evictions, 100 - present, "evictions counted");
	EQ(st.hits + st.misses, 101, "lookups counted");
	EQ(st.hits, present + 1, "hits counted");
	OK(!pvb_iotlb_new(1u << 25), "capacity above 2^24 refused");
	pvb_iotlb_free(tlb);
}

void test_iotlb(void)
{
	test_lookup();
	test_inv_scopes();
	test_inv_va();
	test_eviction();
}
