/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Cache of decoded context descriptors, keyed by (domain ID, CD index).
 *
 * The IOTLB is tagged by ASID, which lives in the CD: without this cache,
 * every translation, even an IOTLB hit, first reads the CD from guest
 * memory. Bounded, allocated once, never allocates on lookup or insert.
 * Invalidated by the INVALIDATE scopes CD and CD_ALL (pvb_s1_invalidate()),
 * and by the device when a domain's table is replaced or detached.
 *
 * Not thread-safe: the caller serialises every call.
 */
#ifndef PVB_CD_CACHE_H
#define PVB_CD_CACHE_H

#include <stdbool.h>
#include <stdint.h>

struct pvb_cd;
struct pvb_cd_cache;

/**
 * pvb_cd_cache_new() - allocate a CD cache
 * @capacity: number of CDs, rounded up to a power of two (minimum 4)
 *
 * Return: the cache, or NULL if out of memory or @capacity is above 2^20.
 */
struct pvb_cd_cache *pvb_cd_cache_new(unsigned int capacity);

/** pvb_cd_cache_free() - free a CD cache (NULL is allowed) */
void pvb_cd_cache_free(struct pvb_cd_cache *cache);

/** pvb_cd_cache_lookup() - copy the cached CD @index of @domain to @cd */
bool pvb_cd_cache_lookup(struct pvb_cd_cache *cache, uint32_t domain,
			 uint32_t index, struct pvb_cd *cd);

/** pvb_cd_cache_insert() - cache a decoded CD, evicting another if needed */
void pvb_cd_cache_insert(struct pvb_cd_cache *cache, uint32_t domain,
			 uint32_t index, const struct pvb_cd *cd);

/** pvb_cd_cache_inv() - drop CD @index of @domain (a CFGI_CD) */
void pvb_cd_cache_inv(struct pvb_cd_cache *cache, uint32_t domain,
		      uint32_t index);

/** pvb_cd_cache_inv_domain() - drop every CD of @domain (a CFGI_CD_ALL) */
void pvb_cd_cache_inv_domain(struct pvb_cd_cache *cache, uint32_t domain);

/** pvb_cd_cache_inv_all() - drop every CD */
void pvb_cd_cache_inv_all(struct pvb_cd_cache *cache);

#endif /* PVB_CD_CACHE_H */
