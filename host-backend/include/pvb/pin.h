/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Pin cache for the MAP/UNMAP fallback with lazy stage-2 pinning.
 *
 * A MAP pins the guest pages of its range, and only those. An UNMAP does not
 * unpin: the pages whose last mapping went away move to a bounded LRU cache
 * of pinned, unmapped pages, so that a DMA buffer mapped again soon costs no
 * pin. Pinned bytes (mapped plus cached) are accounted against a memlock
 * limit: a MAP that would exceed it first evicts cached pages, least
 * recently unmapped first, and fails with -ENOMEM, changing nothing, when
 * even an empty cache would not make room.
 *
 * Pages are tracked one by one (a reference count per guest page frame in a
 * hash table), so overlapping and partial ranges are exact. The pin and
 * unpin callbacks always get exactly one page: iommufd's IOAS_UNMAP cannot
 * split an area, and pages are unpinned one at a time in LRU order.
 *
 * Not thread-safe: the caller serialises.
 */
#ifndef PVB_PIN_H
#define PVB_PIN_H

#include <stdint.h>

struct pvb_pin_cache;

/**
 * struct pvb_pin_ops - pinning backend (IOMMU_IOAS_MAP on a pinning IOAS,
 *			and IOMMU_IOAS_UNMAP, in the iommufd binding)
 * @pin: pin one page; 0 or a negative errno
 * @unpin: unpin a page @pin succeeded on
 */
struct pvb_pin_ops {
	int (*pin)(void *opaque, uint64_t gpa, uint64_t len);
	void (*unpin)(void *opaque, uint64_t gpa, uint64_t len);
};

/**
 * struct pvb_pin_cfg - pin cache configuration
 * @page_shift: log2 of the pinning granule, 12..30
 * @cache_bytes: most bytes kept pinned while unmapped
 * @memlock_bytes: most bytes pinned in total (mapped and cached)
 */
struct pvb_pin_cfg {
	unsigned int page_shift;
	uint64_t cache_bytes;
	uint64_t memlock_bytes;
};

/**
 * struct pvb_pin_stats - pin cache state and counters
 * @pinned_bytes: bytes pinned now, mapped and cached
 * @cached_bytes: bytes pinned but unmapped now
 * @hits: pages a MAP found pinned already (no pin call)
 * @misses: pages a MAP had to pin
 * @evictions: cached pages unpinned (cache or memlock pressure, flush)
 */
struct pvb_pin_stats {
	uint64_t pinned_bytes;
	uint64_t cached_bytes;
	uint64_t hits;
	uint64_t misses;
	uint64_t evictions;
};

/**
 * pvb_pin_cache_new() - create a pin cache
 * @ops: the pinning backend, kept by reference
 * @opaque: passed to @ops
 * @cfg: configuration
 *
 * Return: the cache, or NULL if out of memory or @cfg is invalid.
 */
struct pvb_pin_cache *pvb_pin_cache_new(const struct pvb_pin_ops *ops,
					void *opaque,
					const struct pvb_pin_cfg *cfg);

/** pvb_pin_cache_free() - unpin every page and free (NULL is allowed) */
void pvb_pin_cache_free(struct pvb_pin_cache *pc);

/**
 * pvb_pin_map() - pin the pages of a guest range for a new mapping
 * @pc: the cache
 * @gpa: first guest physical address
 * @len: length in bytes, not 0; every page it touches is pinned
 *
 * Return: 0; -ENOMEM over the memlock limit even with an empty cache, or out
 * of memory; -EINVAL for an empty or wrapping range; -EOVERFLOW if a page
 * has 2^32 - 2 mappings; the error of @ops->pin. On any error no mapping
 * changed and no page of the range stays pinned for it; only after a pin
 * error may cached pages have been evicted to make room.
 */
int pvb_pin_map(struct pvb_pin_cache *pc, uint64_t gpa, uint64_t len);

/**
 * pvb_pin_unmap() - release the pages of a mapping
 * @pc: the cache
 * @gpa: first guest physical address, as given to pvb_pin_map()
 * @len: length, as given to pvb_pin_map()
 *
 * Return: 0, -EINVAL for an empty or wrapping range, or -ENOENT (nothing
 * changed) if a page of the range is not mapped.
 */
int pvb_pin_unmap(struct pvb_pin_cache *pc, uint64_t gpa, uint64_t len);

/** pvb_pin_flush() - unpin every cached (unmapped) page */
void pvb_pin_flush(struct pvb_pin_cache *pc);

/** pvb_pin_get_stats() - read the state and counters */
void pvb_pin_get_stats(const struct pvb_pin_cache *pc,
		       struct pvb_pin_stats *stats);

#endif /* PVB_PIN_H */
