// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * IOTLB: 4-way set-associative array of translations, one probe per
 * page/block size present. See pvb/iotlb.h.
 */
#include <stdlib.h>
#include <string.h>

#include "pvb/iotlb.h"

#include "bits.h"

#define IOTLB_WAYS	   4u
#define IOTLB_MIN_SHIFT	   12
#define IOTLB_MAX_SHIFT	   52
#define IOTLB_MAX_CAPACITY (1u << 24)
#define HASH_MUL	   0x9e3779b97f4a7c15ULL /* 2^64 / golden ratio */

/* 32 bytes: a set of four is two cache lines */
struct iotlb_slot {
	uint64_t iova;
	uint64_t out;
	uint32_t domain;
	uint32_t ssid;
	uint16_t asid;
	uint8_t shift; /* log2 of the size; 0 for an empty slot */
	uint8_t perm;
};

struct iotlb_set {
	struct iotlb_slot way[IOTLB_WAYS];
};

struct pvb_iotlb {
	struct iotlb_set *sets;
	uint8_t *victim; /* next way to evict, per set (FIFO) */
	unsigned int set_bits;
	uint64_t size_mask; /* bit n: entries of 2^n bytes may be present */
	struct pvb_iotlb_stats stats;
};

/* Which slots an invalidation drops */
#define MATCH_DOMAIN (1 << 0)
#define MATCH_ASID   (1 << 1)
#define MATCH_SSID   (1 << 2)
#define MATCH_RANGE  (1 << 3)

struct inv_filter {
	unsigned int match;
	uint32_t domain;
	uint16_t asid;
	uint32_t ssid;
	uint64_t first, last; /* inclusive */
};

static unsigned int nr_sets(const struct pvb_iotlb *tlb)
{
	return 1u << tlb->set_bits;
}

static struct iotlb_set *iotlb_set(const struct pvb_iotlb *tlb, uint32_t domain,
				   uint16_t asid, uint64_t iova,
				   unsigned int shift)
{
	uint64_t key = (iova >> shift) ^ ((uint64_t)asid << 48) ^
		       ((uint64_t)domain << 20) ^ ((uint64_t)shift << 58);

	return &tlb->sets[(key * HASH_MUL) >> (64 - tlb->set_bits)];
}

struct pvb_iotlb *pvb_iotlb_new(unsigned int capacity)
{
	struct pvb_iotlb *tlb;
	unsigned int sets;

	if (capacity > IOTLB_MAX_CAPACITY)
		return NULL;
	tlb = calloc(1, sizeof(*tlb));
	if (!tlb)
		return NULL;
	tlb->set_bits = 1;
	while ((IOTLB_WAYS << tlb->set_bits) < capacity)
		tlb->set_bits++;
	sets = nr_sets(tlb);
	tlb->sets = aligned_alloc(64, sets * sizeof(*tlb->sets));
	tlb->victim = calloc(sets, 1);
	if (!tlb->sets || !tlb->victim) {
		pvb_iotlb_free(tlb);
		return NULL;
	}
	memset(tlb->sets, 0, sets * sizeof(*tlb->sets));
	return tlb;
}

void pvb_iotlb_free(struct pvb_iotlb *tlb)
{
	if (!tlb)
		return;
	free(tlb->sets);
	free(tlb->victim);
	free(tlb);
}

unsigned int pvb_iotlb_capacity(const struct pvb_iotlb *tlb)
{
	return nr_sets(tlb) * IOTLB_WAYS;
}

static void slot_to_entry(const struct iotlb_slot *s, struct pvb_iotlb_entry *e)
{
	*e = (struct pvb_iotlb_entry){
		.iova = s->iova,
		.out = s->out,
		.domain = s->domain,
		.ssid = s->ssid,
		.asid = s->asid,
		.size_log2 = s->shift,
		.perm = s->perm,
	};
}

bool pvb_iotlb_lookup(struct pvb_iotlb *tlb, uint32_t domain, uint16_t asid,
		      uint64_t iova, struct pvb_iotlb_entry *entry)
{
	uint64_t sizes = tlb->size_mask;

	/* One probe per size present, smallest first */
	while (sizes) {
		unsigned int shift = __builtin_ctzll(sizes);
		uint64_t base = iova & ~GENMASK_ULL(shift - 1, 0);
		struct iotlb_set *set =
			iotlb_set(tlb, domain, asid, base, shift);
		unsigned int w;

		for (w = 0; w < IOTLB_WAYS; w++) {
			const struct iotlb_slot *s = &set->way[w];

			if (s->iova == base && s->shift == shift &&
			    s->domain == domain && s->asid == asid) {
				slot_to_entry(s, entry);
				tlb->stats.hits++;
				return true;
			}
		}
		sizes &= sizes - 1;
	}
	tlb->stats.misses++;
	return false;
}

void pvb_iotlb_insert(struct pvb_iotlb *tlb, const struct pvb_iotlb_entry *e)
{
	unsigned int shift = e->size_log2, w;
	uint64_t mask, base;
	struct iotlb_set *set;
	struct iotlb_slot *slot = NULL;
	size_t idx;

	if (shift < IOTLB_MIN_SHIFT || shift > IOTLB_MAX_SHIFT)
		return;
	mask = GENMASK_ULL(shift - 1, 0);
	base = e->iova & ~mask;
	set = iotlb_set(tlb, e->domain, e->asid, base, shift);
	for (w = 0; w < IOTLB_WAYS; w++) {
		struct iotlb_slot *s = &set->way[w];

		if (s->iova == base && s->shift == shift &&
		    s->domain == e->domain && s->asid == e->asid) {
			slot = s;
			break;
		}
		if (!s->shift && !slot)
			slot = s;
	}
	if (!slot) {
		idx = set - tlb->sets;
		slot = &set->way[tlb->victim[idx]++ % IOTLB_WAYS];
		tlb->stats.evictions++;
	}
	*slot = (struct iotlb_slot){
		.iova = base,
		.out = e->out & ~mask,
		.domain = e->domain,
		.ssid = e->ssid,
		.asid = e->asid,
		.shift = shift,
		.perm = e->perm,
	};
	tlb->size_mask |= BIT_ULL(shift);
	tlb->stats.inserts++;
}

static bool slot_matches(const struct iotlb_slot *s, const struct inv_filter *f)
{
	if (!s->shift)
		return false;
	if ((f->match & MATCH_DOMAIN) && s->domain != f->domain)
		return false;
	if ((f->match & MATCH_ASID) && s->asid != f->asid)
		return false;
	if ((f->match & MATCH_SSID) && s->ssid != f->ssid)
		return false;
	if ((f->match & MATCH_RANGE) &&
	    (s->iova > f->last ||
	     s->iova + GENMASK_ULL(s->shift - 1, 0) < f->first))
		return false;
	return true;
}

static void set_invalidate(struct pvb_iotlb *tlb, struct iotlb_set *set,
			   const struct inv_filter *f)
{
	unsigned int w;

	for (w = 0; w < IOTLB_WAYS; w++) {
		if (slot_matches(&set->way[w], f)) {
			set->way[w].shift = 0;
			tlb->stats.invalidated++;
		}
	}
}

/* Visit every set; also recompute which sizes remain */
static void scan_invalidate(struct pvb_iotlb *tlb, const struct inv_filter *f)
{
	unsigned int i, w;
	uint64_t sizes = 0;

	for (i = 0; i < nr_sets(tlb); i++) {
		set_invalidate(tlb, &tlb->sets[i], f);
		for (w = 0; w < IOTLB_WAYS; w++)
			if (tlb->sets[i].way[w].shift)
				sizes |= BIT_ULL(tlb->sets[i].way[w].shift);
	}
	tlb->size_mask = sizes;
	tlb->stats.invalidations++;
}

void pvb_iotlb_inv_all(struct pvb_iotlb *tlb)
{
	const struct inv_filter f = { 0 };

	scan_invalidate(tlb, &f);
}

void pvb_iotlb_inv_domain(struct pvb_iotlb *tlb, uint32_t domain)
{
	const struct inv_filter f = { .match = MATCH_DOMAIN, .domain = domain };

	scan_invalidate(tlb, &f);
}

void pvb_iotlb_inv_asid(struct pvb_iotlb *tlb, uint32_t domain, uint16_t asid)
{
	const struct inv_filter f = {
		.match = MATCH_DOMAIN | MATCH_ASID,
		.domain = domain,
		.asid = asid,
	};

	scan_invalidate(tlb, &f);
}

void pvb_iotlb_inv_ssid(struct pvb_iotlb *tlb, uint32_t domain, uint32_t ssid)
{
	const struct inv_filter f = {
		.match = MATCH_DOMAIN | MATCH_SSID,
		.domain = domain,
		.ssid = ssid,
	};

	scan_invalidate(tlb, &f);
}

/* Probes a range needs, one per aligned page/block of each present size */
static uint64_t range_probes(const struct pvb_iotlb *tlb,
			     const struct inv_filter *f)
{
	uint64_t sizes = tlb->size_mask, probes = 0;

	while (sizes) {
		unsigned int shift = __builtin_ctzll(sizes);

		probes += (f->last >> shift) - (f->first >> shift) + 1;
		if (probes > nr_sets(tlb))
			break;
		sizes &= sizes - 1;
	}
	return probes;
}

void pvb_iotlb_inv_va(struct pvb_iotlb *tlb, uint32_t domain, uint16_t asid,
		      uint64_t addr, uint64_t size, bool leaf)
{
	struct inv_filter f = {
		.match = MATCH_DOMAIN | MATCH_ASID | MATCH_RANGE,
		.domain = domain,
		.asid = asid,
		.first = addr,
	};
	uint64_t sizes = tlb->size_mask, n, i;

	/* Only leaf translations are cached: @leaf changes nothing */
	(void)leaf;
	if (!size) {
		tlb->stats.invalidations++;
		return;
	}
	f.last = size - 1 > UINT64_MAX - addr ? UINT64_MAX : addr + size - 1;
	if (range_probes(tlb, &f) > nr_sets(tlb)) {
		scan_invalidate(tlb, &f);
		return;
	}
	while (sizes) {
		unsigned int shift = __builtin_ctzll(sizes);
		uint64_t base = f.first & ~GENMASK_ULL(shift - 1, 0);

		n = (f.last >> shift) - (f.first >> shift) + 1;
		for (i = 0; i < n; i++, base += BIT_ULL(shift))
			set_invalidate(
				tlb, iotlb_set(tlb, domain, asid, base, shift),
				&f);
		sizes &= sizes - 1;
	}
	tlb->stats.invalidations++;
}

void pvb_iotlb_get_stats(const struct pvb_iotlb *tlb,
			 struct pvb_iotlb_stats *stats)
{
	*stats = tlb->stats;
}
