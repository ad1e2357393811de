/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internals shared by iommufd.c (context, nesting, invalidation, events)
 * and iommufd_pin.c (pinning IOAS, MAP/UNMAP domains).
 */
#ifndef PVB_IOMMUFD_INTERNAL_H
#define PVB_IOMMUFD_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "pvb/iommufd.h"

struct ram_region {
	uint64_t gpa;
	uint64_t size;
	uintptr_t hva;
};

struct pvb_iommufd {
	int fd;
	const struct pvb_iommufd_type *type;
	const struct pvb_iommufd_sys *sys;
	uint32_t veventq_depth;
	struct pvb_pin_cfg pin_cfg;
	struct pvb_iommufd_ids ids;
	struct pvb_iommufd_stats stats;

	struct ram_region *regions; /* sorted by gpa */
	unsigned int nr_regions;

	/* vEVENTQ */
	int veventq_fd;
	uint32_t next_seq;
	uint8_t *evbuf;
	size_t evbuf_len;

	/* Invalidation batch and the request entry of each of its entries */
	uint8_t *inv_buf;
	uint16_t *inv_owner;
	size_t inv_cap;

	/* MAP/UNMAP fallback */
	struct pvb_pin_cache *pins;
	bool tearing_down;

	struct pvb_iommufd_dev *devs;
	struct pvb_iommufd_domain *doms;
};

struct pvb_iommufd_dev {
	struct pvb_iommufd *ctx;
	struct pvb_iommufd_dev *next;
	const struct pvb_iommufd_dev_ops *ops;
	void *opaque;
	uint32_t dev_id;
	uint64_t vsid;
	uint32_t vdevice;
	uint32_t nested_hwpt;
	uint32_t attached;
	struct pvb_iommufd_domain *dom; /* when attached to a domain */
};

struct iofd_mapping {
	uint64_t iova;
	uint64_t len;
	uint64_t gpa;
};

struct pvb_iommufd_domain {
	struct pvb_iommufd *ctx;
	struct pvb_iommufd_domain *next;
	uint32_t ioas;
	unsigned int nr_devs;
	struct iofd_mapping *maps; /* sorted by iova, disjoint */
	size_t nr_maps;
	size_t cap_maps;
};

/* iommufd.c */
int iofd_ioctl(struct pvb_iommufd *ctx, unsigned long request, void *arg);
int iofd_ioas_alloc(struct pvb_iommufd *ctx, uint32_t *id);
int iofd_ioas_unmap(struct pvb_iommufd *ctx, uint32_t ioas, uint64_t iova,
		    uint64_t len);
int iofd_hwpt_alloc(struct pvb_iommufd *ctx, uint32_t flags, uint32_t dev_id,
		    uint32_t pt_id, uint32_t data_type, const void *data,
		    uint32_t len, uint32_t *id);
void iofd_destroy(struct pvb_iommufd *ctx, uint32_t *id);
uintptr_t iofd_ram_hva(const struct pvb_iommufd *ctx, uint64_t gpa,
		       uint64_t len);
unsigned int iofd_page_shift(void);

/* iommufd_pin.c */
void iofd_domains_free(struct pvb_iommufd *ctx);
void iofd_pin_free(struct pvb_iommufd *ctx);
void iofd_pin_flush(struct pvb_iommufd *ctx);

#endif /* PVB_IOMMUFD_INTERNAL_H */
