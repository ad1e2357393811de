// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Cache of decoded CDs: 2-way set-associative, keyed by (domain, index).
 */
#include <stdlib.h>

#include "pvb/cd_cache.h"
#include "pvb/s1.h"

#define CD_CACHE_WAYS	      2u
#define CD_CACHE_MAX_CAPACITY (1u << 20)
#define HASH_MUL	      0x9e3779b97f4a7c15ULL

struct cd_slot {
	struct pvb_cd cd;
	uint32_t domain;
	uint32_t index;
	bool valid;
};

struct cd_set {
	struct cd_slot way[CD_CACHE_WAYS];
	uint8_t victim;
};

struct pvb_cd_cache {
	struct cd_set *sets;
	unsigned int set_bits;
};

static struct cd_set *cd_set(const struct pvb_cd_cache *c, uint32_t domain,
			     uint32_t index)
{
	uint64_t key = ((uint64_t)domain << 32) | index;

	return &c->sets[(key * HASH_MUL) >> (64 - c->set_bits)];
}

struct pvb_cd_cache *pvb_cd_cache_new(unsigned int capacity)
{
	struct pvb_cd_cache *c;

	if (capacity > CD_CACHE_MAX_CAPACITY)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->set_bits = 1;
	while ((CD_CACHE_WAYS << c->set_bits) < capacity)
		c->set_bits++;
	c->sets = calloc(1u << c->set_bits, sizeof(*c->sets));
	if (!c->sets) {
		free(c);
		return NULL;
	}
	return c;
}

void pvb_cd_cache_free(struct pvb_cd_cache *c)
{
	if (!c)
		return;
	free(c->sets);
	free(c);
}

static struct cd_slot *cd_find(const struct pvb_cd_cache *c, uint32_t domain,
			       uint32_t index)
{
	struct cd_set *set = cd_set(c, domain, index);
	unsigned int w;

	for (w = 0; w < CD_CACHE_WAYS; w++) {
		struct cd_slot *s = &set->way[w];

		if (s->valid && s->domain == domain && s->index == index)
			return s;
	}
	return NULL;
}

bool pvb_cd_cache_lookup(struct pvb_cd_cache *c, uint32_t domain,
			 uint32_t index, struct pvb_cd *cd)
{
	const struct cd_slot *s = cd_find(c, domain, index);

	if (!s)
		return false;
	*cd = s->cd;
	return true;
}

void pvb_cd_cache_insert(struct pvb_cd_cache *c, uint32_t domain,
			 uint32_t index, const struct pvb_cd *cd)
{
	struct cd_slot *slot = cd_find(c, domain, index);
	struct cd_set *set = cd_set(c, domain, index);
	unsigned int w;

	for (w = 0; !slot && w < CD_CACHE_WAYS; w++)
		if (!set->way[w].valid)
			slot = &set->way[w];
	if (!slot)
		slot = &set->way[set->victim++ % CD_CACHE_WAYS];
	*slot = (struct cd_slot){
		.cd = *cd,
		.domain = domain,
		.index = index,
		.valid = true,
	};
}

void pvb_cd_cache_inv(struct pvb_cd_cache *c, uint32_t domain, uint32_t index)
{
	struct cd_slot *s = cd_find(c, domain, index);

	if (s)
		s->valid = false;
}

static void cd_cache_scan(struct pvb_cd_cache *c, bool all, uint32_t domain)
{
	unsigned int i, w;

	for (i = 0; i < 1u << c->set_bits; i++)
		for (w = 0; w < CD_CACHE_WAYS; w++)
			if (all || c->sets[i].way[w].domain == domain)
				c->sets[i].way[w].valid = false;
}

void pvb_cd_cache_inv_domain(struct pvb_cd_cache *c, uint32_t domain)
{
	cd_cache_scan(c, false, domain);
}

void pvb_cd_cache_inv_all(struct pvb_cd_cache *c)
{
	cd_cache_scan(c, true, 0);
}
