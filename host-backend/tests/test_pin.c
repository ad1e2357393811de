// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Pin cache: page granularity, overlap, hits, LRU eviction, memlock limit
 * with -ENOMEM and nothing lost, pin failure rollback, and a randomised
 * comparison with a reference model.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pvb/pin.h"

#include "suites.h"
#include "tap.h"

#define PG	4096ULL
#define MAX_PFN (1u << 22)

/* The pinning backend: which pages are pinned, and the calls made */
struct fake_pins {
	uint8_t pinned[MAX_PFN];
	unsigned int pins, unpins, bad_calls;
	uint64_t unpin_order[64];
	uint64_t fail_gpa; /* pin of this page fails, if not 0 */
};

static int fake_pin(void *opaque, uint64_t gpa, uint64_t len)
{
	struct fake_pins *f = opaque;

	if (len != PG || gpa % PG || gpa / PG >= MAX_PFN ||
	    f->pinned[gpa / PG]) {
		f->bad_calls++;
		return -EINVAL;
	}
	if (f->fail_gpa && gpa == f->fail_gpa)
		return -EFAULT;
	f->pinned[gpa / PG] = 1;
	f->pins++;
	return 0;
}

static void fake_unpin(void *opaque, uint64_t gpa, uint64_t len)
{
	struct fake_pins *f = opaque;

	if (len != PG || gpa % PG || gpa / PG >= MAX_PFN ||
	    !f->pinned[gpa / PG]) {
		f->bad_calls++;
		return;
	}
	f->pinned[gpa / PG] = 0;
	if (f->unpins < 64)
		f->unpin_order[f->unpins] = gpa / PG;
	f->unpins++;
}

static const struct pvb_pin_ops fake_ops = { fake_pin, fake_unpin };

static struct pvb_pin_cache *new_cache(struct fake_pins *f, uint64_t cache,
				       uint64_t limit)
{
	const struct pvb_pin_cfg cfg = { .page_shift = 12,
					 .cache_bytes = cache,
					 .memlock_bytes = limit };

	memset(f, 0, sizeof(*f));
	return pvb_pin_cache_new(&fake_ops, f, &cfg);
}

static unsigned int nr_pinned(const struct fake_pins *f)
{
	unsigned int i, n = 0;

	for (i = 0; i < MAX_PFN; i++)
		n += f->pinned[i];
	return n;
}

static struct pvb_pin_stats stats(struct pvb_pin_cache *pc)
{
	struct pvb_pin_stats st;

	pvb_pin_get_stats(pc, &st);
	return st;
}

static void test_basic(void)
{
	struct pvb_pin_cache *pc;
	static struct fake_pins f;
	struct pvb_pin_stats st;

	pc = new_cache(&f, 16 * PG, 64 * PG);
	OK(pvb_pin_map(pc, 0x10000, 3 * PG) == 0 && f.pins == 3,
	   "MAP of 3 pages: 3 pins");
	st = stats(pc);
	OK(st.pinned_bytes == 3 * PG && st.misses == 3 && st.hits == 0,
	   "  pinned 12KB, 3 misses");
	OK(pvb_pin_unmap(pc, 0x10000, 3 * PG) == 0 && f.unpins == 0,
	   "UNMAP: pages cached, not unpinned");
	st = stats(pc);
	OK(st.cached_bytes == 3 * PG && st.pinned_bytes == 3 * PG,
	   "  cached 12KB, still pinned");
	OK(pvb_pin_map(pc, 0x10000, 3 * PG) == 0 && f.pins == 3,
	   "re-MAP: no pin call");
	st = stats(pc);
	OK(st.hits == 3 && st.cached_bytes == 0, "  3 hits, cache empty");

	/* Sub-page and partial ranges touch whole pages */
	OK(pvb_pin_map(pc, 0x20100, 0x10) == 0 &&
		   pvb_pin_map(pc, 0x20800, 0x900) == 0 && f.pins == 5,
	   "two sub-page MAPs: pages 0x20 and 0x21 pinned once");
	OK(pvb_pin_unmap(pc, 0x20100, 0x10) == 0 && stats(pc).cached_bytes == 0,
	   "  UNMAP of one: page 0x20 still mapped by the other");
	OK(pvb_pin_unmap(pc, 0x20800, 0x900) == 0 &&
		   stats(pc).cached_bytes == 2 * PG,
	   "  UNMAP of the other: both pages cached");
	OK(pvb_pin_unmap(pc, 0x20000, PG) == -ENOENT &&
		   stats(pc).cached_bytes == 2 * PG,
	   "UNMAP of an unmapped page: -ENOENT, nothing changed");
	OK(pvb_pin_unmap(pc, 0x10000, 4 * PG) == -ENOENT &&
		   stats(pc).cached_bytes == 2 * PG,
	   "UNMAP partly beyond a mapping: -ENOENT, nothing changed");
	OK(pvb_pin_map(pc, 0, 0) == -EINVAL &&
		   pvb_pin_map(pc, ~0ULL - 10, 100) == -EINVAL,
	   "empty or wrapping range: -EINVAL");

	/* Overlapping mappings share pages */
	OK(pvb_pin_map(pc, 0x30000, 2 * PG) == 0 &&
		   pvb_pin_map(pc, 0x31000, 2 * PG) == 0 && f.pins == 8,
	   "overlapping MAPs: the shared page pinned once");
	OK(pvb_pin_unmap(pc, 0x30000, 2 * PG) == 0 &&
		   stats(pc).cached_bytes == 3 * PG,
	   "  UNMAP of the first: only its own page cached");
	pvb_pin_flush(pc);
	st = stats(pc);
	OK(st.cached_bytes == 0 && f.unpins == 3 && st.evictions == 3,
	   "flush unpins the cached pages");
	pvb_pin_cache_free(pc);
	OK(nr_pinned(&f) == 0 && !f.bad_calls,
	   "free unpins everything, no bad call");
}

static void test_lru(void)
{
	struct pvb_pin_cache *pc;
	static struct fake_pins f;
	int i;

	/* Cache of 2 pages */
	pc = new_cache(&f, 2 * PG, 64 * PG);
	for (i = 1; i <= 4; i++)
		pvb_pin_map(pc, i * PG, PG);
	pvb_pin_unmap(pc, 1 * PG, PG);
	pvb_pin_unmap(pc, 2 * PG, PG);
	/* Page 1 reused: page 2 becomes the least recently unmapped */
	pvb_pin_map(pc, 1 * PG, PG);
	pvb_pin_unmap(pc, 1 * PG, PG);
	OK(f.unpins == 0, "cache of 2 holds pages 2 and 1");
	pvb_pin_unmap(pc, 3 * PG, PG);
	OK(f.unpins == 1 && f.unpin_order[0] == 2,
	   "third cached page evicts the LRU one (page 2)");
	pvb_pin_unmap(pc, 4 * PG, PG);
	OK(f.unpins == 2 && f.unpin_order[1] == 1, "then page 1");
	OK(stats(pc).evictions == 2 && stats(pc).cached_bytes == 2 * PG,
	   "  evictions counted, 2 pages cached");
	pvb_pin_cache_free(pc);
}

static void test_memlock(void)
{
	struct pvb_pin_stats before, after;
	struct pvb_pin_cache *pc;
	static struct fake_pins f;

	/* Limit of 4 pages */
	pc = new_cache(&f, 16 * PG, 4 * PG);
	pvb_pin_map(pc, 0x10000, 3 * PG);
	pvb_pin_unmap(pc, 0x11000, 2 * PG);
	OK(pvb_pin_map(pc, 0x40000, 3 * PG) == 0,
	   "3 new pages with 1 mapped + 2 cached, limit 4: fits");
	OK(f.unpins == 2 && stats(pc).pinned_bytes == 4 * PG &&
		   stats(pc).evictions == 2,
	   "  by evicting the 2 cached pages");

	before = stats(pc);
	OK(pvb_pin_map(pc, 0x50000, PG) == -ENOMEM,
	   "one more page over the limit: -ENOMEM");
	after = stats(pc);
	OK(!memcmp(&before, &after, sizeof(before)) && f.pins == 6 &&
		   f.unpins == 2 && nr_pinned(&f) == 4,
	   "  nothing pinned, unpinned or counted");
	OK(pvb_pin_unmap(pc, 0x40000, 3 * PG) == 0 &&
		   pvb_pin_unmap(pc, 0x10000, PG) == 0,
	   "  existing mappings intact");
	OK(pvb_pin_map(pc, 0x60000, 5 * PG) == -ENOMEM && f.pins == 6 &&
		   stats(pc).cached_bytes == 4 * PG,
	   "range larger than the limit: -ENOMEM, cache untouched");

	/* Cached pages of the range are reused, not evicted */
	OK(pvb_pin_map(pc, 0x3f000, 2 * PG) == 0 && f.pins == 7,
	   "MAP over a cached page and a new one at the limit");
	OK(f.unpins == 3 && stats(pc).hits == 1,
	   "  evicts one other cached page, reuses the one in range");
	pvb_pin_cache_free(pc);
}

static void test_pin_failure(void)
{
	struct pvb_pin_cache *pc;
	static struct fake_pins f;

	pc = new_cache(&f, 16 * PG, 64 * PG);
	pvb_pin_map(pc, 0x11000, PG);
	f.fail_gpa = 0x13000;
	OK(pvb_pin_map(pc, 0x10000, 5 * PG) == -EFAULT,
	   "pin failure on the 4th page: the error is returned");
	OK(nr_pinned(&f) == 1 && f.pins == 3 && f.unpins == 2,
	   "  the 2 pages pinned by this MAP are unpinned");
	OK(stats(pc).pinned_bytes == PG && stats(pc).misses == 1,
	   "  accounting unchanged");
	f.fail_gpa = 0;
	OK(pvb_pin_unmap(pc, 0x11000, PG) == 0 &&
		   pvb_pin_unmap(pc, 0x11000, PG) == -ENOENT,
	   "  the earlier mapping kept exactly one reference");
	pvb_pin_cache_free(pc);
	OK(!f.bad_calls, "no bad pin or unpin call");
}

/*
 * Random MAP/UNMAP against a reference count per page. Pages come in 256
 * clusters of 16 at random places, so that the hash table sees collisions.
 */
#define CLUSTERS      256
#define CLUSTER_PAGES 16

static uint64_t cluster_pfn[CLUSTERS];

static void pick_clusters(struct fake_pins *f)
{
	unsigned int c;

	for (c = 0; c < CLUSTERS; c++) {
		do
			cluster_pfn[c] =
				(uint64_t)(rand() % (MAX_PFN / 16)) * 16;
		while (f->pinned[cluster_pfn[c]]);
		f->pinned[cluster_pfn[c]] = 1; /* mark as taken */
	}
	memset(f->pinned, 0, sizeof(f->pinned));
}

static void test_model(void)
{
	static unsigned int refs[CLUSTERS * CLUSTER_PAGES];
	static uint64_t ranges[512][3]; /* gpa, len, first model page */
	unsigned int i, p, maps = 0, failures = 0, mismatches = 0, nr = 0;
	struct pvb_pin_cache *pc;
	static struct fake_pins f;
	uint64_t mapped = 0, cached;

	pc = new_cache(&f, 1ULL << 62, 1ULL << 62);
	srand(1);
	pick_clusters(&f);
	for (i = 0; i < 40000; i++) {
		if (nr < 512 && (rand() & 1 || !nr)) {
			unsigned int c = rand() % CLUSTERS;
			unsigned int o = rand() % CLUSTER_PAGES;
			unsigned int n = 1 + rand() % (CLUSTER_PAGES - o);
			uint64_t gpa = (cluster_pfn[c] + o) * PG + 64;

			if (pvb_pin_map(pc, gpa, n * PG - 128)) {
				failures++;
				continue;
			}
			ranges[nr][0] = gpa;
			ranges[nr][1] = n * PG - 128;
			ranges[nr][2] = c * CLUSTER_PAGES + o;
			nr++;
			maps++;
			for (p = 0; p < n; p++)
				refs[c * CLUSTER_PAGES + o + p]++;
		} else {
			unsigned int k = rand() % nr;
			unsigned int n = (ranges[k][1] + 128) / PG;

			if (pvb_pin_unmap(pc, ranges[k][0], ranges[k][1]))
				failures++;
			for (p = 0; p < n; p++)
				refs[ranges[k][2] + p]--;
			memcpy(ranges[k], ranges[nr - 1], sizeof(ranges[k]));
			nr--;
		}
	}
	for (p = 0; p < CLUSTERS * CLUSTER_PAGES; p++) {
		uint64_t pfn =
			cluster_pfn[p / CLUSTER_PAGES] + p % CLUSTER_PAGES;

		mapped += refs[p] ? PG : 0;
		if (!f.pinned[pfn] && refs[p])
			mismatches++;
	}
	cached = stats(pc).cached_bytes;
	if (!OK(maps > 10000 && !failures,
		"random MAP/UNMAP: every call succeeds"))
		tap_diag("%u MAPs, %u failures", maps, failures);
	OK(!mismatches, "  mapped pages are pinned");
	OK(stats(pc).pinned_bytes == mapped + cached &&
		   nr_pinned(&f) * PG == mapped + cached,
	   "  pinned = mapped + cached, as the backend sees it");
	pvb_pin_flush(pc);
	OK(nr_pinned(&f) * PG == mapped && !f.bad_calls,
	   "  after flush only mapped pages stay pinned");
	pvb_pin_cache_free(pc);
	OK(nr_pinned(&f) == 0 && !f.bad_calls, "  free unpins the rest");
}

void test_pin(void)
{
	test_basic();
	test_lru();
	test_memlock();
	test_pin_failure();
	test_model();
}
