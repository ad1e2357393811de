/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * IOTLB: a bounded cache of stage-1 translations, keyed by
 * (domain ID, ASID, IOVA page).
 *
 * Storage is a set-associative array allocated once by pvb_iotlb_new();
 * lookup and insert never allocate. Entries map a whole page or block
 * (2^size_log2 bytes, naturally aligned); a lookup finds an entry of any
 * size that contains the IOVA, probing only the sizes that have been
 * inserted. Only final translations are cached, no intermediate table
 * descriptors, so a leaf and a non-leaf invalidation of a range drop the
 * same entries: every entry that overlaps the range.
 *
 * Not thread-safe: the caller serialises every call on one IOTLB (QEMU
 * holds the device lock).
 */
#ifndef PVB_IOTLB_H
#define PVB_IOTLB_H

#include <stdbool.h>
#include <stdint.h>

#include "fault.h"

struct pvb_iotlb;

/**
 * struct pvb_iotlb_entry - a cached translation
 * @iova: input address of the page or block, aligned to its size
 * @out: output address of the page or block, aligned to its size
 * @domain: domain ID
 * @ssid: index of the CD the translation was walked through (0 for
 *	  traffic without SubstreamID)
 * @asid: ASID of that CD
 * @size_log2: log2 of the page or block size, 12..42
 * @perm: PVB_ACCESS_* bits the translation grants
 */
struct pvb_iotlb_entry {
	uint64_t iova;
	uint64_t out;
	uint32_t domain;
	uint32_t ssid;
	uint16_t asid;
	uint8_t size_log2;
	uint8_t perm;
};

/**
 * struct pvb_iotlb_stats - IOTLB counters since creation
 * @hits: lookups that found an entry
 * @misses: lookups that found none
 * @inserts: entries inserted (replacing an identical key counts too)
 * @evictions: valid entries displaced by an insert into a full set
 * @invalidations: invalidation calls, of any scope
 * @invalidated: entries dropped by invalidation calls
 */
struct pvb_iotlb_stats {
	uint64_t hits;
	uint64_t misses;
	uint64_t inserts;
	uint64_t evictions;
	uint64_t invalidations;
	uint64_t invalidated;
};

/**
 * pvb_iotlb_new() - allocate an IOTLB
 * @capacity: number of entries, rounded up to a power of two (minimum 8)
 *
 * Return: the IOTLB, or NULL if out of memory or @capacity is above 2^24.
 */
struct pvb_iotlb *pvb_iotlb_new(unsigned int capacity);

/** pvb_iotlb_free() - free an IOTLB (NULL is allowed) */
void pvb_iotlb_free(struct pvb_iotlb *tlb);

/** pvb_iotlb_capacity() - number of entries the IOTLB holds */
unsigned int pvb_iotlb_capacity(const struct pvb_iotlb *tlb);

/**
 * pvb_iotlb_lookup() - find the translation of an IOVA
 * @tlb: the IOTLB
 * @domain: domain ID
 * @asid: ASID
 * @iova: any address inside the page or block
 * @entry: copy of the entry found
 *
 * Return: true on a hit.
 */
bool pvb_iotlb_lookup(struct pvb_iotlb *tlb, uint32_t domain, uint16_t asid,
		      uint64_t iova, struct pvb_iotlb_entry *entry);

/**
 * pvb_iotlb_insert() - cache a translation
 * @tlb: the IOTLB
 * @entry: the translation; @entry->iova and @entry->out are aligned down to
 *	   the entry size. An entry with the same (domain, ASID, iova, size)
 *	   is replaced; otherwise, when the set is full, the oldest entry of
 *	   the set is evicted.
 */
void pvb_iotlb_insert(struct pvb_iotlb *tlb,
		      const struct pvb_iotlb_entry *entry);

/** pvb_iotlb_inv_all() - drop every entry */
void pvb_iotlb_inv_all(struct pvb_iotlb *tlb);

/** pvb_iotlb_inv_domain() - drop every entry of a domain */
void pvb_iotlb_inv_domain(struct pvb_iotlb *tlb, uint32_t domain);

/** pvb_iotlb_inv_asid() - drop every entry of (domain, ASID) */
void pvb_iotlb_inv_asid(struct pvb_iotlb *tlb, uint32_t domain, uint16_t asid);

/**
 * pvb_iotlb_inv_va() - drop the entries of (domain, ASID) overlapping a range
 * @tlb: the IOTLB
 * @domain: domain ID
 * @asid: ASID
 * @addr: first address of the range
 * @size: size of the range in bytes; 0 does nothing, a range running past
 *	  the end of the address space is clipped
 * @leaf: the invalidation only concerns leaf entries. Accepted for
 *	  symmetry with the architecture; since only leaf translations are
 *	  cached, it drops the same entries, blocks included.
 */
void pvb_iotlb_inv_va(struct pvb_iotlb *tlb, uint32_t domain, uint16_t asid,
		      uint64_t addr, uint64_t size, bool leaf);

/**
 * pvb_iotlb_inv_ssid() - drop the entries walked through a CD
 * @tlb: the IOTLB
 * @domain: domain ID
 * @ssid: index of the CD that changed
 */
void pvb_iotlb_inv_ssid(struct pvb_iotlb *tlb, uint32_t domain, uint32_t ssid);

/** pvb_iotlb_get_stats() - read the counters */
void pvb_iotlb_get_stats(const struct pvb_iotlb *tlb,
			 struct pvb_iotlb_stats *stats);

#endif /* PVB_IOTLB_H */
