// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * MAP/UNMAP fallback with lazy stage-2 pinning: the pin cache of pin.c
 * bound to iommufd.
 *
 * The pinning IOAS maps pinned guest pages at IOVA = GPA, one area per page
 * (IOMMU_IOAS_UNMAP cannot split an area). An IOAS pins nothing by itself:
 * iommufd pins the pages of an area when it fills an IOMMU domain with it.
 * So the pinning IOAS gets a HWPT of its own, allocated from it and never
 * attached: it is what holds the pins. A MAP copies the range from the
 * pinning IOAS into the domain's IOAS (IOMMU_IOAS_COPY); the kernel fills
 * the device's domain from the pages already pinned, without a new pin.
 * UNMAP removes the copy; the pages stay pinned through the pinning IOAS
 * until the pin cache evicts them (IOMMU_IOAS_UNMAP there).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/iommufd.h>

#include "iommufd_internal.h"

/* Pin cache callbacks */

static int pin_page(void *opaque, uint64_t gpa, uint64_t len)
{
	struct pvb_iommufd *ctx = opaque;
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = ctx->ids.pin_ioas,
		.user_va = iofd_ram_hva(ctx, gpa, len),
		.length = len,
		.iova = gpa,
	};
	int ret;

	if (!cmd.user_va)
		return -EINVAL;
	ret = iofd_ioctl(ctx, IOMMU_IOAS_MAP, &cmd);
	if (!ret)
		ctx->stats.pin_calls++;
	return ret;
}

static void unpin_page(void *opaque, uint64_t gpa, uint64_t len)
{
	struct pvb_iommufd *ctx = opaque;

	/* At teardown, destroying the pinning IOAS unpins everything */
	if (ctx->tearing_down)
		return;
	ctx->stats.unpin_calls++;
	if (iofd_ioas_unmap(ctx, ctx->ids.pin_ioas, gpa, len))
		ctx->stats.unpin_errors++;
}

static const struct pvb_pin_ops pin_ops = { pin_page, unpin_page };

/* A device to allocate the pinning HWPT with: one of @dom, or any */
static const struct pvb_iommufd_dev *
holder_dev(const struct pvb_iommufd_domain *dom)
{
	const struct pvb_iommufd_dev *dev;

	for (dev = dom->ctx->devs; dev; dev = dev->next)
		if (dev->dom == dom)
			return dev;
	return dom->ctx->devs;
}

static int pin_create(struct pvb_iommufd_domain *dom)
{
	const struct pvb_iommufd_dev *dev = holder_dev(dom);
	struct pvb_iommufd *ctx = dom->ctx;
	int ret;

	if (ctx->pins)
		return 0;
	if (!dev)
		return -ENODEV;
	ret = iofd_ioas_alloc(ctx, &ctx->ids.pin_ioas);
	if (ret)
		return ret;
	ret = iofd_hwpt_alloc(ctx, 0, dev->dev_id, ctx->ids.pin_ioas,
			      IOMMU_HWPT_DATA_NONE, NULL, 0,
			      &ctx->ids.pin_hwpt);
	if (!ret) {
		ctx->pins = pvb_pin_cache_new(&pin_ops, ctx, &ctx->pin_cfg);
		if (ctx->pins)
			return 0;
		ret = -ENOMEM;
	}
	iofd_destroy(ctx, &ctx->ids.pin_hwpt);
	iofd_destroy(ctx, &ctx->ids.pin_ioas);
	return ret;
}

void iofd_pin_flush(struct pvb_iommufd *ctx)
{
	if (ctx->pins)
		pvb_pin_flush(ctx->pins);
}

/* At teardown only (ctx->tearing_down set): unpin calls are skipped */
void iofd_pin_free(struct pvb_iommufd *ctx)
{
	pvb_pin_cache_free(ctx->pins);
	ctx->pins = NULL;
	iofd_destroy(ctx, &ctx->ids.pin_hwpt);
	iofd_destroy(ctx, &ctx->ids.pin_ioas);
}

/* Domains */

int pvb_iommufd_domain_new(struct pvb_iommufd *ctx,
			   struct pvb_iommufd_domain **out)
{
	struct pvb_iommufd_domain *dom = calloc(1, sizeof(*dom));
	int ret;

	if (!dom)
		return -ENOMEM;
	ret = iofd_ioas_alloc(ctx, &dom->ioas);
	if (ret) {
		free(dom);
		return ret;
	}
	dom->ctx = ctx;
	dom->next = ctx->doms;
	ctx->doms = dom;
	*out = dom;
	return 0;
}

static void domain_destroy(struct pvb_iommufd_domain *dom)
{
	struct pvb_iommufd *ctx = dom->ctx;
	struct pvb_iommufd_domain **p;
	size_t i;

	/* Destroying the IOAS removes its copies; the pages go to the cache */
	iofd_destroy(ctx, &dom->ioas);
	for (i = 0; i < dom->nr_maps && ctx->pins; i++)
		pvb_pin_unmap(ctx->pins, dom->maps[i].gpa, dom->maps[i].len);
	for (p = &ctx->doms; *p != dom; p = &(*p)->next)
		;
	*p = dom->next;
	free(dom->maps);
	free(dom);
}

int pvb_iommufd_domain_free(struct pvb_iommufd_domain *dom)
{
	if (!dom)
		return 0;
	if (dom->nr_devs)
		return -EBUSY;
	domain_destroy(dom);
	return 0;
}

void iofd_domains_free(struct pvb_iommufd *ctx)
{
	while (ctx->doms)
		domain_destroy(ctx->doms);
}

uint32_t pvb_iommufd_domain_ioas(const struct pvb_iommufd_domain *dom)
{
	return dom->ioas;
}

/* Index of the first mapping that ends after @iova */
static size_t map_search(const struct pvb_iommufd_domain *dom, uint64_t iova)
{
	size_t lo = 0, hi = dom->nr_maps, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (dom->maps[mid].iova + dom->maps[mid].len - 1 < iova)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int map_reserve(struct pvb_iommufd_domain *dom)
{
	struct iofd_mapping *m;
	size_t cap;

	if (dom->nr_maps < dom->cap_maps)
		return 0;
	cap = dom->cap_maps ? dom->cap_maps * 2 : 16;
	m = realloc(dom->maps, cap * sizeof(*m));
	if (!m)
		return -ENOMEM;
	dom->maps = m;
	dom->cap_maps = cap;
	return 0;
}

static int map_check(const struct pvb_iommufd_domain *dom, uint64_t iova,
		     uint64_t gpa, uint64_t len, unsigned int prot)
{
	const uint64_t mask = (1ULL << dom->ctx->pin_cfg.page_shift) - 1;
	size_t i;

	if (!len || (iova | gpa | len) & mask || !prot ||
	    prot & ~(PVB_MAP_READ | PVB_MAP_WRITE) ||
	    len - 1 > UINT64_MAX - iova || len - 1 > UINT64_MAX - gpa)
		return -EINVAL;
	if (!iofd_ram_hva(dom->ctx, gpa, 1) ||
	    !iofd_ram_hva(dom->ctx, gpa + len - 1, 1))
		return -EINVAL;
	i = map_search(dom, iova);
	if (i < dom->nr_maps && dom->maps[i].iova <= iova + len - 1)
		return -EEXIST;
	return 0;
}

static int ioas_copy(struct pvb_iommufd_domain *dom, uint64_t iova,
		     uint64_t gpa, uint64_t len, unsigned int prot)
{
	struct iommu_ioas_copy cmd = {
		.size = sizeof(cmd),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA,
		.dst_ioas_id = dom->ioas,
		.src_ioas_id = dom->ctx->ids.pin_ioas,
		.length = len,
		.dst_iova = iova,
		.src_iova = gpa,
	};

	if (prot & PVB_MAP_READ)
		cmd.flags |= IOMMU_IOAS_MAP_READABLE;
	if (prot & PVB_MAP_WRITE)
		cmd.flags |= IOMMU_IOAS_MAP_WRITEABLE;
	return iofd_ioctl(dom->ctx, IOMMU_IOAS_COPY, &cmd);
}

int pvb_iommufd_map(struct pvb_iommufd_domain *dom, uint64_t iova, uint64_t gpa,
		    uint64_t len, unsigned int prot)
{
	struct pvb_iommufd *ctx = dom->ctx;
	size_t i;
	int ret;

	ret = map_check(dom, iova, gpa, len, prot);
	if (!ret)
		ret = map_reserve(dom);
	if (!ret)
		ret = pin_create(dom);
	if (!ret)
		ret = pvb_pin_map(ctx->pins, gpa, len);
	if (ret)
		return ret;
	ret = ioas_copy(dom, iova, gpa, len, prot);
	if (ret) {
		pvb_pin_unmap(ctx->pins, gpa, len);
		return ret;
	}
	i = map_search(dom, iova);
	memmove(&dom->maps[i + 1], &dom->maps[i],
		(dom->nr_maps - i) * sizeof(*dom->maps));
	dom->maps[i] = (struct iofd_mapping){ iova, len, gpa };
	dom->nr_maps++;
	ctx->stats.maps++;
	return 0;
}

int pvb_iommufd_unmap(struct pvb_iommufd_domain *dom, uint64_t iova,
		      uint64_t len, uint64_t *unmapped)
{
	const uint64_t last = iova + len - 1;
	struct pvb_iommufd *ctx = dom->ctx;
	size_t first, end, i;
	uint64_t bytes = 0;
	int ret;

	if (unmapped)
		*unmapped = 0;
	if (!len || len - 1 > UINT64_MAX - iova)
		return -EINVAL;
	first = map_search(dom, iova);
	for (end = first; end < dom->nr_maps && dom->maps[end].iova <= last;
	     end++)
		if (dom->maps[end].iova < iova ||
		    dom->maps[end].iova + dom->maps[end].len - 1 > last)
			return -ERANGE;
	if (first == end)
		return 0;
	ret = iofd_ioas_unmap(ctx, dom->ioas, dom->maps[first].iova,
			      dom->maps[end - 1].iova + dom->maps[end - 1].len -
				      dom->maps[first].iova);
	if (ret)
		return ret;
	for (i = first; i < end; i++) {
		pvb_pin_unmap(ctx->pins, dom->maps[i].gpa, dom->maps[i].len);
		bytes += dom->maps[i].len;
	}
	memmove(&dom->maps[first], &dom->maps[end],
		(dom->nr_maps - end) * sizeof(*dom->maps));
	dom->nr_maps -= end - first;
	ctx->stats.unmaps += end - first;
	if (unmapped)
		*unmapped = bytes;
	return 0;
}
