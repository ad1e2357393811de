// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Pin cache: per-page reference counts in an open-addressing hash table
 * (linear probing, backward-shift deletion), and an LRU list of the pages
 * that are pinned but no longer mapped. See pvb/pin.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pvb/pin.h"

#include "bits.h"

#define NIL	      UINT32_MAX
#define REFS_PINNING  UINT32_MAX /* pinned by the MAP in progress */
#define REFS_MAX      (UINT32_MAX - 1)
#define HASH_MUL      0x9e3779b97f4a7c15ULL
#define MIN_HASH_BITS 6
#define MAX_PAGES     (1u << 30)

struct pin_page {
	uint64_t pfn;
	uint32_t refs; /* mappings; 0: cached, on the LRU list */
	uint32_t prev; /* LRU links; next also links free pages */
	uint32_t next;
};

struct pvb_pin_cache {
	const struct pvb_pin_ops *ops;
	void *opaque;
	struct pvb_pin_cfg cfg;
	struct pin_page *pages;
	uint32_t nr_pages; /* allocated */
	uint32_t free; /* free list head */
	uint32_t nr_free;
	uint32_t *hash; /* page index per slot, NIL when empty */
	unsigned int hash_bits;
	uint32_t hash_used;
	uint32_t lru_head; /* most recently unmapped */
	uint32_t lru_tail;
	struct pvb_pin_stats stats;
};

static uint64_t page_size(const struct pvb_pin_cache *pc)
{
	return BIT_ULL(pc->cfg.page_shift);
}

static uint32_t hash_mask(const struct pvb_pin_cache *pc)
{
	return (1u << pc->hash_bits) - 1;
}

static uint32_t hash_home(const struct pvb_pin_cache *pc, uint64_t pfn)
{
	return (pfn * HASH_MUL) >> (64 - pc->hash_bits);
}

/* Slot holding @pfn, or NIL */
static uint32_t hash_find(const struct pvb_pin_cache *pc, uint64_t pfn)
{
	uint32_t slot = hash_home(pc, pfn);

	while (pc->hash[slot] != NIL) {
		if (pc->pages[pc->hash[slot]].pfn == pfn)
			return slot;
		slot = (slot + 1) & hash_mask(pc);
	}
	return NIL;
}

static struct pin_page *page_find(const struct pvb_pin_cache *pc, uint64_t pfn)
{
	uint32_t slot = hash_find(pc, pfn);

	return slot == NIL ? NULL : &pc->pages[pc->hash[slot]];
}

static void hash_put(struct pvb_pin_cache *pc, uint32_t idx)
{
	uint32_t slot = hash_home(pc, pc->pages[idx].pfn);

	while (pc->hash[slot] != NIL)
		slot = (slot + 1) & hash_mask(pc);
	pc->hash[slot] = idx;
	pc->hash_used++;
}

/* Remove the entry at @slot, moving later entries of its run back */
static void hash_delete(struct pvb_pin_cache *pc, uint32_t slot)
{
	uint32_t hole = slot, j = slot, home, mask = hash_mask(pc);

	for (;;) {
		j = (j + 1) & mask;
		if (pc->hash[j] == NIL)
			break;
		home = hash_home(pc, pc->pages[pc->hash[j]].pfn);
		/* Movable unless its home lies cyclically in (hole, j] */
		if (((j - home) & mask) >= ((j - hole) & mask)) {
			pc->hash[hole] = pc->hash[j];
			hole = j;
		}
	}
	pc->hash[hole] = NIL;
	pc->hash_used--;
}

static int hash_resize(struct pvb_pin_cache *pc, unsigned int bits)
{
	uint32_t *old = pc->hash, old_size = 1u << pc->hash_bits, i;

	pc->hash = malloc(sizeof(*pc->hash) << bits);
	if (!pc->hash) {
		pc->hash = old;
		return -ENOMEM;
	}
	memset(pc->hash, 0xff, sizeof(*pc->hash) << bits);
	pc->hash_bits = bits;
	pc->hash_used = 0;
	for (i = 0; i < old_size; i++)
		if (old[i] != NIL)
			hash_put(pc, old[i]);
	free(old);
	return 0;
}

static int pages_grow(struct pvb_pin_cache *pc, uint32_t nr)
{
	struct pin_page *pages;
	uint32_t i;

	pages = realloc(pc->pages, (size_t)nr * sizeof(*pages));
	if (!pages)
		return -ENOMEM;
	for (i = nr; i-- > pc->nr_pages;) {
		pages[i].next = pc->free;
		pc->free = i;
	}
	pc->nr_free += nr - pc->nr_pages;
	pc->nr_pages = nr;
	pc->pages = pages;
	return 0;
}

/* Make room for @n more pages: table at most half full, free nodes */
static int reserve(struct pvb_pin_cache *pc, uint64_t n)
{
	uint64_t used = pc->nr_pages - pc->nr_free;
	unsigned int bits = pc->hash_bits;
	uint32_t nr = pc->nr_pages;

	if (used + n > MAX_PAGES)
		return -ENOMEM;
	while ((used + n) * 2 > (1ull << bits))
		bits++;
	if (bits != pc->hash_bits && hash_resize(pc, bits))
		return -ENOMEM;
	while (nr - used < n)
		nr = nr ? nr * 2 : 64;
	if (nr != pc->nr_pages && pages_grow(pc, nr))
		return -ENOMEM;
	return 0;
}

static struct pin_page *page_add(struct pvb_pin_cache *pc, uint64_t pfn)
{
	uint32_t idx = pc->free;

	pc->free = pc->pages[idx].next;
	pc->nr_free--;
	pc->pages[idx] = (struct pin_page){ .pfn = pfn };
	hash_put(pc, idx);
	return &pc->pages[idx];
}

static void page_del(struct pvb_pin_cache *pc, struct pin_page *p)
{
	uint32_t idx = p - pc->pages;

	hash_delete(pc, hash_find(pc, p->pfn));
	p->next = pc->free;
	pc->free = idx;
	pc->nr_free++;
}

static void lru_push(struct pvb_pin_cache *pc, struct pin_page *p)
{
	uint32_t idx = p - pc->pages;

	p->prev = NIL;
	p->next = pc->lru_head;
	if (pc->lru_head != NIL)
		pc->pages[pc->lru_head].prev = idx;
	else
		pc->lru_tail = idx;
	pc->lru_head = idx;
	pc->stats.cached_bytes += page_size(pc);
}

static void lru_unlink(struct pvb_pin_cache *pc, struct pin_page *p)
{
	if (p->prev != NIL)
		pc->pages[p->prev].next = p->next;
	else
		pc->lru_head = p->next;
	if (p->next != NIL)
		pc->pages[p->next].prev = p->prev;
	else
		pc->lru_tail = p->prev;
	pc->stats.cached_bytes -= page_size(pc);
}

static void page_unpin(struct pvb_pin_cache *pc, struct pin_page *p)
{
	pc->ops->unpin(pc->opaque, p->pfn << pc->cfg.page_shift, page_size(pc));
	pc->stats.pinned_bytes -= page_size(pc);
	page_del(pc, p);
}

static void evict(struct pvb_pin_cache *pc, struct pin_page *p)
{
	lru_unlink(pc, p);
	page_unpin(pc, p);
	pc->stats.evictions++;
}

struct pvb_pin_cache *pvb_pin_cache_new(const struct pvb_pin_ops *ops,
					void *opaque,
					const struct pvb_pin_cfg *cfg)
{
	struct pvb_pin_cache *pc;

	if (cfg->page_shift < 12 || cfg->page_shift > 30)
		return NULL;
	pc = calloc(1, sizeof(*pc));
	if (!pc)
		return NULL;
	pc->ops = ops;
	pc->opaque = opaque;
	pc->cfg = *cfg;
	pc->free = NIL;
	pc->lru_head = NIL;
	pc->lru_tail = NIL;
	pc->hash_bits = MIN_HASH_BITS;
	pc->hash = malloc(sizeof(*pc->hash) << MIN_HASH_BITS);
	if (!pc->hash) {
		free(pc);
		return NULL;
	}
	memset(pc->hash, 0xff, sizeof(*pc->hash) << MIN_HASH_BITS);
	return pc;
}

void pvb_pin_cache_free(struct pvb_pin_cache *pc)
{
	uint32_t i;

	if (!pc)
		return;
	/* Mapped and cached pages alike; the table is not updated */
	for (i = 0; i < 1u << pc->hash_bits; i++)
		if (pc->hash[i] != NIL)
			pc->ops->unpin(pc->opaque,
				       pc->pages[pc->hash[i]].pfn
					       << pc->cfg.page_shift,
				       page_size(pc));
	free(pc->hash);
	free(pc->pages);
	free(pc);
}

/* Page frames of [@gpa, @gpa + @len), or -EINVAL */
static int range_pfns(const struct pvb_pin_cache *pc, uint64_t gpa,
		      uint64_t len, uint64_t *first, uint64_t *last)
{
	if (!len || len - 1 > UINT64_MAX - gpa)
		return -EINVAL;
	*first = gpa >> pc->cfg.page_shift;
	*last = (gpa + len - 1) >> pc->cfg.page_shift;
	return 0;
}

/* Unpin and forget the pages the failed MAP pinned, in [@first, @end) */
static void map_rollback(struct pvb_pin_cache *pc, uint64_t first, uint64_t end)
{
	struct pin_page *p;
	uint64_t pfn;

	for (pfn = first; pfn < end; pfn++) {
		p = page_find(pc, pfn);
		if (p && p->refs == REFS_PINNING)
			page_unpin(pc, p);
	}
}

static int map_pin_missing(struct pvb_pin_cache *pc, uint64_t first,
			   uint64_t last)
{
	uint64_t pfn;
	int ret;

	for (pfn = first; pfn <= last; pfn++) {
		if (page_find(pc, pfn))
			continue;
		ret = pc->ops->pin(pc->opaque, pfn << pc->cfg.page_shift,
				   page_size(pc));
		if (ret) {
			map_rollback(pc, first, pfn);
			return ret < 0 ? ret : -EIO;
		}
		page_add(pc, pfn)->refs = REFS_PINNING;
		pc->stats.pinned_bytes += page_size(pc);
	}
	return 0;
}

static void map_commit(struct pvb_pin_cache *pc, uint64_t first, uint64_t last)
{
	struct pin_page *p;
	uint64_t pfn;

	for (pfn = first; pfn <= last; pfn++) {
		p = page_find(pc, pfn);
		if (p->refs == REFS_PINNING) {
			p->refs = 1;
			pc->stats.misses++;
			continue;
		}
		if (!p->refs)
			lru_unlink(pc, p);
		p->refs++;
		pc->stats.hits++;
	}
}

/* Evict cached pages outside [@first, @last], LRU first, to free @bytes */
static void evict_for(struct pvb_pin_cache *pc, uint64_t bytes, uint64_t first,
		      uint64_t last)
{
	uint32_t idx = pc->lru_tail, prev;
	uint64_t freed = 0;

	while (freed < bytes && idx != NIL) {
		prev = pc->pages[idx].prev;
		if (pc->pages[idx].pfn < first || pc->pages[idx].pfn > last) {
			evict(pc, &pc->pages[idx]);
			freed += page_size(pc);
		}
		idx = prev;
	}
}

/* Count the pages of the range to pin, and the cached ones to reuse */
static int map_scan(const struct pvb_pin_cache *pc, uint64_t first,
		    uint64_t last, uint64_t *missing, uint64_t *reused)
{
	const struct pin_page *p;
	uint64_t pfn;

	*missing = *reused = 0;
	for (pfn = first; pfn <= last; pfn++) {
		p = page_find(pc, pfn);
		if (!p)
			(*missing)++;
		else if (!p->refs)
			(*reused)++;
		else if (p->refs == REFS_MAX)
			return -EOVERFLOW;
	}
	return 0;
}

int pvb_pin_map(struct pvb_pin_cache *pc, uint64_t gpa, uint64_t len)
{
	uint64_t first, last, missing, reused, need, spare;
	const uint64_t limit = pc->cfg.memlock_bytes;
	int ret;

	ret = range_pfns(pc, gpa, len, &first, &last);
	if (ret)
		return ret;
	/* A range larger than the limit can never fit */
	if (last - first >= limit >> pc->cfg.page_shift)
		return -ENOMEM;
	ret = map_scan(pc, first, last, &missing, &reused);
	if (ret)
		return ret;

	/* Cached pages of this range are reused, the others can be evicted */
	need = pc->stats.pinned_bytes + (missing << pc->cfg.page_shift);
	spare = pc->stats.cached_bytes - (reused << pc->cfg.page_shift);
	if (need > limit && need - limit > spare)
		return -ENOMEM;
	if (reserve(pc, missing))
		return -ENOMEM;
	if (need > limit)
		evict_for(pc, need - limit, first, last);

	ret = map_pin_missing(pc, first, last);
	if (ret)
		return ret;
	map_commit(pc, first, last);
	return 0;
}

int pvb_pin_unmap(struct pvb_pin_cache *pc, uint64_t gpa, uint64_t len)
{
	uint64_t first, last, pfn;
	struct pin_page *p;
	int ret;

	ret = range_pfns(pc, gpa, len, &first, &last);
	if (ret)
		return ret;
	for (pfn = first; pfn <= last; pfn++) {
		p = page_find(pc, pfn);
		if (!p || !p->refs)
			return -ENOENT;
	}
	for (pfn = first; pfn <= last; pfn++) {
		p = page_find(pc, pfn);
		if (!--p->refs)
			lru_push(pc, p);
	}
	while (pc->stats.cached_bytes > pc->cfg.cache_bytes)
		evict(pc, &pc->pages[pc->lru_tail]);
	return 0;
}

void pvb_pin_flush(struct pvb_pin_cache *pc)
{
	while (pc->lru_tail != NIL)
		evict(pc, &pc->pages[pc->lru_tail]);
}

void pvb_pin_get_stats(const struct pvb_pin_cache *pc,
		       struct pvb_pin_stats *stats)
{
	*stats = pc->stats;
}
