// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * iommufd backend: context and guest RAM IOAS, devices, the nesting
 * objects (nest parent, vIOMMU, vEVENTQ, vDEVICE, nested HWPT),
 * invalidation on the vIOMMU, vEVENTQ records, teardown. See pvb/iommufd.h.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/iommufd.h>

#include "iommufd_internal.h"

/* System calls */

static int sys_ioctl(void *opaque, int fd, unsigned long request, void *arg)
{
	(void)opaque;
	return ioctl(fd, request, arg) ? -errno : 0;
}

static ssize_t sys_read(void *opaque, int fd, void *buf, size_t len)
{
	ssize_t r = read(fd, buf, len);

	(void)opaque;
	return r < 0 ? -errno : r;
}

static void sys_close(void *opaque, int fd)
{
	(void)opaque;
	close(fd);
}

const struct pvb_iommufd_sys pvb_iommufd_sys_default = {
	.ioctl = sys_ioctl,
	.read = sys_read,
	.close = sys_close,
};

/* Object helpers */

int iofd_ioctl(struct pvb_iommufd *ctx, unsigned long request, void *arg)
{
	return ctx->sys->ioctl(ctx->sys->opaque, ctx->fd, request, arg);
}

void iofd_destroy(struct pvb_iommufd *ctx, uint32_t *id)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = *id };

	if (!*id)
		return;
	if (!iofd_ioctl(ctx, IOMMU_DESTROY, &cmd))
		ctx->stats.objects--;
	*id = 0;
}

int iofd_ioas_alloc(struct pvb_iommufd *ctx, uint32_t *id)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };
	int ret = iofd_ioctl(ctx, IOMMU_IOAS_ALLOC, &cmd);

	if (ret)
		return ret;
	*id = cmd.out_ioas_id;
	ctx->stats.objects++;
	return 0;
}

int iofd_ioas_unmap(struct pvb_iommufd *ctx, uint32_t ioas, uint64_t iova,
		    uint64_t len)
{
	struct iommu_ioas_unmap cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas,
		.iova = iova,
		.length = len,
	};

	return iofd_ioctl(ctx, IOMMU_IOAS_UNMAP, &cmd);
}

int iofd_hwpt_alloc(struct pvb_iommufd *ctx, uint32_t flags, uint32_t dev_id,
		    uint32_t pt_id, uint32_t data_type, const void *data,
		    uint32_t len, uint32_t *id)
{
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.dev_id = dev_id,
		.pt_id = pt_id,
		.data_type = data_type,
		.data_len = len,
		.data_uptr = (uintptr_t)data,
	};
	int ret = iofd_ioctl(ctx, IOMMU_HWPT_ALLOC, &cmd);

	if (ret)
		return ret;
	*id = cmd.out_hwpt_id;
	ctx->stats.objects++;
	return 0;
}

static int viommu_alloc(struct pvb_iommufd *ctx, uint32_t dev_id)
{
	struct iommu_viommu_alloc cmd = {
		.size = sizeof(cmd),
		.type = ctx->type->viommu_type,
		.dev_id = dev_id,
		.hwpt_id = ctx->ids.parent_hwpt,
	};
	int ret = iofd_ioctl(ctx, IOMMU_VIOMMU_ALLOC, &cmd);

	if (ret)
		return ret;
	ctx->ids.viommu = cmd.out_viommu_id;
	ctx->stats.objects++;
	return 0;
}

static int veventq_alloc(struct pvb_iommufd *ctx)
{
	struct iommu_veventq_alloc cmd = {
		.size = sizeof(cmd),
		.viommu_id = ctx->ids.viommu,
		.type = ctx->type->veventq_type,
		.veventq_depth = ctx->veventq_depth,
	};
	int ret = iofd_ioctl(ctx, IOMMU_VEVENTQ_ALLOC, &cmd);

	if (ret)
		return ret;
	ctx->ids.veventq = cmd.out_veventq_id;
	ctx->veventq_fd = (int)cmd.out_veventq_fd;
	ctx->next_seq = 0;
	ctx->stats.objects++;
	return 0;
}

static void veventq_free(struct pvb_iommufd *ctx)
{
	if (ctx->veventq_fd >= 0)
		ctx->sys->close(ctx->sys->opaque, ctx->veventq_fd);
	ctx->veventq_fd = -1;
	iofd_destroy(ctx, &ctx->ids.veventq);
}

static int vdevice_alloc(struct pvb_iommufd_dev *dev)
{
	struct iommu_vdevice_alloc cmd = {
		.size = sizeof(cmd),
		.viommu_id = dev->ctx->ids.viommu,
		.dev_id = dev->dev_id,
		.virt_id = dev->vsid,
	};
	int ret = iofd_ioctl(dev->ctx, IOMMU_VDEVICE_ALLOC, &cmd);

	if (ret)
		return ret;
	dev->vdevice = cmd.out_vdevice_id;
	dev->ctx->stats.objects++;
	return 0;
}

/* Context */

unsigned int iofd_page_shift(void)
{
	long sz = sysconf(_SC_PAGESIZE);

	return sz > 0 ? (unsigned int)__builtin_ctzl((unsigned long)sz) : 12;
}

static int check_type(const struct pvb_iommufd_type *t)
{
	if (!t || !t->encode_hwpt || !t->encode_inv || !t->inv_max_per_entry ||
	    !t->decode_vevent || !t->hwpt_data_len || !t->inv_entry_len ||
	    !t->vevent_len)
		return -EINVAL;
	if (t->hwpt_data_len > PVB_IOMMUFD_MAX_DATA ||
	    t->inv_entry_len > PVB_IOMMUFD_MAX_DATA ||
	    t->vevent_len > PVB_IOMMUFD_MAX_DATA)
		return -EINVAL;
	return 0;
}

int pvb_iommufd_new(const struct pvb_iommufd_cfg *cfg, struct pvb_iommufd **out)
{
	struct pvb_iommufd *ctx;
	int ret;

	if (cfg->iommufd < 0 || check_type(cfg->type))
		return -EINVAL;
	if (cfg->pin.page_shift && cfg->pin.page_shift < iofd_page_shift())
		return -EINVAL;
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	ctx->fd = cfg->iommufd;
	ctx->type = cfg->type;
	ctx->sys = cfg->sys ? cfg->sys : &pvb_iommufd_sys_default;
	ctx->veventq_depth = cfg->veventq_depth;
	ctx->pin_cfg = cfg->pin;
	if (!ctx->pin_cfg.page_shift)
		ctx->pin_cfg.page_shift = iofd_page_shift();
	ctx->veventq_fd = -1;
	ret = iofd_ioas_alloc(ctx, &ctx->ids.ram_ioas);
	if (ret) {
		free(ctx);
		return ret;
	}
	*out = ctx;
	return 0;
}

static void nest_free(struct pvb_iommufd *ctx)
{
	veventq_free(ctx);
	iofd_destroy(ctx, &ctx->ids.viommu);
	iofd_destroy(ctx, &ctx->ids.parent_hwpt);
}

void pvb_iommufd_free(struct pvb_iommufd *ctx)
{
	if (!ctx)
		return;
	/* Pins go with the pinning IOAS, not page by page */
	ctx->tearing_down = true;
	while (ctx->devs)
		pvb_iommufd_dev_free(ctx->devs);
	iofd_domains_free(ctx);
	iofd_pin_free(ctx);
	nest_free(ctx);
	iofd_destroy(ctx, &ctx->ids.ram_ioas);
	free(ctx->regions);
	free(ctx->evbuf);
	free(ctx->inv_buf);
	free(ctx->inv_owner);
	free(ctx);
}

/* Guest RAM */

static bool page_aligned(uint64_t v)
{
	return !(v & ((1ULL << iofd_page_shift()) - 1));
}

/* Index of the first region that ends after @gpa */
static unsigned int region_search(const struct pvb_iommufd *ctx, uint64_t gpa)
{
	unsigned int lo = 0, hi = ctx->nr_regions, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (ctx->regions[mid].gpa + ctx->regions[mid].size <= gpa)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

uintptr_t iofd_ram_hva(const struct pvb_iommufd *ctx, uint64_t gpa,
		       uint64_t len)
{
	unsigned int i = region_search(ctx, gpa);
	const struct ram_region *r = &ctx->regions[i];

	if (i == ctx->nr_regions || gpa < r->gpa ||
	    len > r->gpa + r->size - gpa)
		return 0;
	return r->hva + (gpa - r->gpa);
}

static int region_insert(struct pvb_iommufd *ctx, uint64_t gpa, uint64_t size,
			 uintptr_t hva)
{
	unsigned int i = region_search(ctx, gpa);
	struct ram_region *r;

	if (i < ctx->nr_regions && ctx->regions[i].gpa < gpa + size)
		return -EEXIST;
	r = realloc(ctx->regions, (ctx->nr_regions + 1) * sizeof(*r));
	if (!r)
		return -ENOMEM;
	ctx->regions = r;
	memmove(&r[i + 1], &r[i], (ctx->nr_regions - i) * sizeof(*r));
	r[i] = (struct ram_region){ gpa, size, hva };
	ctx->nr_regions++;
	return 0;
}

int pvb_iommufd_ram_map(struct pvb_iommufd *ctx, uint64_t gpa, uint64_t size,
			void *hva)
{
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = ctx->ids.ram_ioas,
		.user_va = (uintptr_t)hva,
		.length = size,
		.iova = gpa,
	};
	int ret;

	if (!size || size - 1 > UINT64_MAX - gpa || !page_aligned(gpa) ||
	    !page_aligned(size) || !page_aligned((uintptr_t)hva))
		return -EINVAL;
	ret = region_insert(ctx, gpa, size, (uintptr_t)hva);
	if (ret)
		return ret;
	ret = iofd_ioctl(ctx, IOMMU_IOAS_MAP, &cmd);
	if (ret) {
		unsigned int i = region_search(ctx, gpa);

		memmove(&ctx->regions[i], &ctx->regions[i + 1],
			(--ctx->nr_regions - i) * sizeof(*ctx->regions));
	}
	return ret;
}

int pvb_iommufd_ram_unmap(struct pvb_iommufd *ctx, uint64_t gpa, uint64_t size)
{
	unsigned int i = region_search(ctx, gpa);
	int ret;

	if (i == ctx->nr_regions || ctx->regions[i].gpa != gpa ||
	    ctx->regions[i].size != size)
		return -ENOENT;
	ret = iofd_ioas_unmap(ctx, ctx->ids.ram_ioas, gpa, size);
	if (ret)
		return ret;
	iofd_pin_flush(ctx);
	memmove(&ctx->regions[i], &ctx->regions[i + 1],
		(--ctx->nr_regions - i) * sizeof(*ctx->regions));
	return 0;
}

int pvb_iommufd_get_hw_info(struct pvb_iommufd *ctx, uint32_t dev_id,
			    void *data, uint32_t len, uint32_t *type)
{
	struct iommu_hw_info cmd = {
		.size = sizeof(cmd),
		.dev_id = dev_id,
		.data_len = len,
		.data_uptr = (uintptr_t)data,
	};
	int ret = iofd_ioctl(ctx, IOMMU_GET_HW_INFO, &cmd);

	if (!ret)
		*type = cmd.out_data_type;
	return ret;
}

/* Devices */

int pvb_iommufd_dev_new(struct pvb_iommufd *ctx, uint32_t dev_id, uint64_t vsid,
			const struct pvb_iommufd_dev_ops *ops, void *opaque,
			struct pvb_iommufd_dev **out)
{
	struct pvb_iommufd_dev *dev, **tail = &ctx->devs;

	if (!ops || !ops->attach || !ops->detach)
		return -EINVAL;
	for (dev = ctx->devs; dev; dev = dev->next) {
		if (dev->dev_id == dev_id || dev->vsid == vsid)
			return -EEXIST;
		tail = &dev->next;
	}
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return -ENOMEM;
	dev->ctx = ctx;
	dev->ops = ops;
	dev->opaque = opaque;
	dev->dev_id = dev_id;
	dev->vsid = vsid;
	*tail = dev;
	*out = dev;
	return 0;
}

/* The device left its domain (if any) */
static void leave_domain(struct pvb_iommufd_dev *dev)
{
	if (dev->dom)
		dev->dom->nr_devs--;
	dev->dom = NULL;
}

int pvb_iommufd_dev_detach(struct pvb_iommufd_dev *dev)
{
	int ret;

	if (!dev->attached)
		return 0;
	ret = dev->ops->detach(dev->ctx->sys, dev->opaque);
	if (ret)
		return ret;
	dev->attached = 0;
	leave_domain(dev);
	iofd_destroy(dev->ctx, &dev->nested_hwpt);
	return 0;
}

void pvb_iommufd_dev_free(struct pvb_iommufd_dev *dev)
{
	struct pvb_iommufd_dev **p;

	if (!dev)
		return;
	pvb_iommufd_dev_detach(dev);
	iofd_destroy(dev->ctx, &dev->nested_hwpt);
	iofd_destroy(dev->ctx, &dev->vdevice);
	leave_domain(dev);
	for (p = &dev->ctx->devs; *p != dev; p = &(*p)->next)
		;
	*p = dev->next;
	free(dev);
}

/* Nest parent, vIOMMU and vEVENTQ, with the dev_id of the first device */
static int nest_create(struct pvb_iommufd *ctx, uint32_t dev_id)
{
	int ret;

	ret = iofd_hwpt_alloc(ctx, IOMMU_HWPT_ALLOC_NEST_PARENT, dev_id,
			      ctx->ids.ram_ioas, IOMMU_HWPT_DATA_NONE, NULL, 0,
			      &ctx->ids.parent_hwpt);
	if (ret)
		return ret;
	ret = viommu_alloc(ctx, dev_id);
	if (!ret && ctx->veventq_depth)
		ret = veventq_alloc(ctx);
	if (ret)
		nest_free(ctx);
	return ret;
}

/* Allocate a nested HWPT for @cfg */
static int nested_alloc(struct pvb_iommufd_dev *dev,
			const struct pvb_nest_cfg *cfg, uint32_t *hwpt)
{
	const struct pvb_iommufd_type *t = dev->ctx->type;
	uint8_t data[PVB_IOMMUFD_MAX_DATA] = { 0 };
	int ret;

	if (cfg->kind == PVB_NEST_S1 && !cfg->table)
		return -EINVAL;
	ret = t->encode_hwpt(cfg, data);
	if (ret)
		return ret;
	return iofd_hwpt_alloc(dev->ctx, 0, dev->dev_id, dev->ctx->ids.viommu,
			       t->hwpt_data_type, data, t->hwpt_data_len, hwpt);
}

/* Attach to @pt_id, then forget the nested HWPT this replaced */
static int attach(struct pvb_iommufd_dev *dev, uint32_t pt_id,
		  uint32_t nested_hwpt, struct pvb_iommufd_domain *dom)
{
	uint32_t old = dev->nested_hwpt;
	int ret;

	ret = dev->ops->attach(dev->ctx->sys, dev->opaque, &pt_id);
	if (ret)
		return ret;
	leave_domain(dev);
	dev->attached = pt_id;
	dev->nested_hwpt = nested_hwpt;
	dev->dom = dom;
	if (dom)
		dom->nr_devs++;
	iofd_destroy(dev->ctx, &old);
	return 0;
}

int pvb_iommufd_dev_attach_nested(struct pvb_iommufd_dev *dev,
				  const struct pvb_nest_cfg *cfg)
{
	struct pvb_iommufd *ctx = dev->ctx;
	bool new_nest = false, new_vdev = false;
	uint32_t hwpt = 0;
	int ret = 0;

	if (!ctx->ids.viommu) {
		ret = nest_create(ctx, dev->dev_id);
		new_nest = !ret;
	}
	if (!ret && !dev->vdevice) {
		ret = vdevice_alloc(dev);
		new_vdev = !ret;
	}
	if (!ret)
		ret = nested_alloc(dev, cfg, &hwpt);
	if (!ret)
		ret = attach(dev, hwpt, hwpt, NULL);
	if (!ret)
		return 0;
	iofd_destroy(ctx, &hwpt);
	if (new_vdev)
		iofd_destroy(ctx, &dev->vdevice);
	if (new_nest)
		nest_free(ctx);
	return ret;
}

int pvb_iommufd_dev_attach_domain(struct pvb_iommufd_dev *dev,
				  struct pvb_iommufd_domain *dom)
{
	if (dom->ctx != dev->ctx)
		return -EINVAL;
	return attach(dev, dom->ioas, 0, dom);
}

/* Invalidation */

static bool transient(int err)
{
	return err == -EINTR || err == -EAGAIN;
}

int pvb_iommufd_invalidate_raw(struct pvb_iommufd *ctx, const void *data,
			       uint32_t nr, uint32_t *done,
			       struct pvb_iommufd_inv_result *res)
{
	const struct pvb_iommufd_type *t = ctx->type;
	struct iommu_hwpt_invalidate cmd;
	uint32_t pos = 0, handled;
	unsigned int stalls = 0;
	int ret;

	*done = 0;
	if (!ctx->ids.viommu)
		return -ENODEV;
	for (;;) {
		cmd = (struct iommu_hwpt_invalidate){
			.size = sizeof(cmd),
			.hwpt_id = ctx->ids.viommu,
			.data_uptr = (uintptr_t)data +
				     (uint64_t)pos * t->inv_entry_len,
			.data_type = t->inv_data_type,
			.entry_len = t->inv_entry_len,
			.entry_num = nr - pos,
		};
		ret = iofd_ioctl(ctx, IOMMU_HWPT_INVALIDATE, &cmd);
		handled = cmd.entry_num < nr - pos ? cmd.entry_num : nr - pos;
		pos += handled;
		ctx->stats.inv_calls++;
		ctx->stats.inv_entries += handled;
		if (res)
			res->calls++;
		if ((!ret && pos == nr) || (ret && !transient(ret)))
			break;
		/* Partial completion: resume after the handled entries */
		stalls = handled ? 0 : stalls + 1;
		if (stalls > PVB_IOMMUFD_INV_RETRIES) {
			ret = ret ? ret : -EIO;
			break;
		}
		if (res)
			res->retries++;
	}
	*done = pos;
	return ret;
}

static int inv_reserve(struct pvb_iommufd *ctx, size_t cap)
{
	uint8_t *buf;
	uint16_t *owner;

	if (cap <= ctx->inv_cap)
		return 0;
	buf = realloc(ctx->inv_buf, cap * ctx->type->inv_entry_len);
	if (!buf)
		return -ENOMEM;
	ctx->inv_buf = buf;
	owner = realloc(ctx->inv_owner, cap * sizeof(*owner));
	if (!owner)
		return -ENOMEM;
	ctx->inv_owner = owner;
	ctx->inv_cap = cap;
	return 0;
}

/* Submit the @n encoded entries; on error, name the request entry */
static int inv_flush(struct pvb_iommufd *ctx, uint32_t n,
		     struct pvb_iommufd_inv_result *res)
{
	uint32_t done;
	int ret;

	if (!n)
		return 0;
	ret = pvb_iommufd_invalidate_raw(ctx, ctx->inv_buf, n, &done, res);
	res->done_cmds += done;
	if (ret)
		res->failed_entry = done < n ? ctx->inv_owner[done] : -1;
	return ret;
}

static unsigned int inv_class(const struct pvb_iommufd_type *t,
			      const struct pvb_inv_entry *e)
{
	return t->inv_class ? t->inv_class(e) : 0;
}

/* Submit the call being built; the entries before @i are then done */
static int inv_submit(struct pvb_iommufd *ctx, uint32_t *n, unsigned int i,
		      struct pvb_iommufd_inv_result *res)
{
	int ret = inv_flush(ctx, *n, res);

	if (ret)
		return ret;
	res->done_entries = i;
	*n = 0;
	return 0;
}

/*
 * An entry goes into the current call if its commands fit in the rest of
 * the buffer (the encoder says -ENOSPC otherwise), else it starts the next
 * call: the buffer holds the type's inv_max_per_entry, so an entry always
 * fits in an empty one and is never split between calls.
 */
static int inv_encode_all(struct pvb_iommufd *ctx,
			  const struct pvb_invalidate *req, const void *inv_ctx,
			  struct pvb_iommufd_inv_result *res)
{
	const struct pvb_iommufd_type *t = ctx->type;
	unsigned int i, cls = 0;
	uint32_t n = 0;
	int k, ret;

	for (i = 0; i < req->nr_entries; i++) {
		if (n && inv_class(t, &req->entries[i]) != cls) {
			ret = inv_submit(ctx, &n, i, res);
			if (ret)
				return ret;
		}
		cls = inv_class(t, &req->entries[i]);
		k = t->encode_inv(&req->entries[i], inv_ctx,
				  ctx->inv_buf + (size_t)n * t->inv_entry_len,
				  ctx->inv_cap - n);
		if (k == -ENOSPC && n) {
			ret = inv_submit(ctx, &n, i, res);
			if (ret)
				return ret;
			k = t->encode_inv(&req->entries[i], inv_ctx,
					  ctx->inv_buf, ctx->inv_cap);
		}
		if (k < 0) {
			/* Submit the entries before it, then report it */
			ret = inv_flush(ctx, n, res);
			if (ret)
				return ret;
			res->failed_entry = i;
			return k;
		}
		while (k--)
			ctx->inv_owner[n++] = i;
	}
	ret = inv_flush(ctx, n, res);
	if (!ret)
		res->done_entries = req->nr_entries;
	return ret;
}

int pvb_iommufd_invalidate(struct pvb_iommufd *ctx,
			   const struct pvb_invalidate *req,
			   const void *inv_ctx,
			   struct pvb_iommufd_inv_result *res)
{
	struct pvb_iommufd_inv_result local;
	size_t per;
	int ret;

	if (!res)
		res = &local;
	*res = (struct pvb_iommufd_inv_result){ .failed_entry = -1 };
	if (!ctx->ids.viommu)
		return -ENODEV;
	per = ctx->type->inv_max_per_entry(inv_ctx);
	if (!per || per > UINT16_MAX)
		return -EINVAL;
	ret = inv_reserve(
		ctx, per > PVB_IOMMUFD_INV_BATCH ? per : PVB_IOMMUFD_INV_BATCH);
	if (!ret)
		ret = inv_encode_all(ctx, req, inv_ctx, res);
	if (ret) {
		ctx->stats.inv_failures++;
		if (res->failed_entry >= 0)
			res->done_entries = res->failed_entry;
	}
	return ret;
}

int pvb_iommufd_invalidate_all(struct pvb_iommufd *ctx, const void *inv_ctx,
			       bool atc, struct pvb_iommufd_inv_result *res)
{
	struct pvb_invalidate *req;
	int ret;

	req = calloc(1, sizeof(*req));
	if (!req)
		return -ENOMEM;
	req->entries[0].scope = VIRTIO_IOMMU_INV_S_CD_ALL;
	req->entries[1].scope = VIRTIO_IOMMU_INV_S_DOMAIN;
	req->entries[2].scope = VIRTIO_IOMMU_INV_S_ATC;
	req->entries[2].size = UINT64_MAX & ~0xfffULL;
	req->nr_entries = atc ? 3 : 2;
	ret = pvb_iommufd_invalidate(ctx, req, inv_ctx, res);
	free(req);
	return ret;
}

/* vEVENTQ */

int pvb_iommufd_veventq_fd(const struct pvb_iommufd *ctx)
{
	return ctx->veventq_fd;
}

static int evbuf_reserve(struct pvb_iommufd *ctx, size_t len)
{
	uint8_t *buf;

	if (len <= ctx->evbuf_len)
		return 0;
	buf = realloc(ctx->evbuf, len);
	if (!buf)
		return -ENOMEM;
	ctx->evbuf = buf;
	ctx->evbuf_len = len;
	return 0;
}

/* Events dropped between the expected sequence number and @seq */
static uint32_t seq_gap(struct pvb_iommufd *ctx, uint32_t seq)
{
	uint32_t gap = (seq - ctx->next_seq) & INT_MAX;

	ctx->next_seq = (seq + 1) & INT_MAX;
	return gap;
}

static int parse_events(struct pvb_iommufd *ctx, size_t len,
			struct pvb_iommufd_event *evs, uint32_t *lost)
{
	const uint32_t rec = ctx->type->vevent_len;
	struct iommufd_vevent_header hdr;
	size_t off = 0;
	int n = 0;

	while (off < len) {
		if (len - off < sizeof(hdr))
			return -EIO;
		memcpy(&hdr, ctx->evbuf + off, sizeof(hdr));
		off += sizeof(hdr);
		if (hdr.flags & IOMMU_VEVENTQ_FLAG_LOST_EVENTS) {
			/* The header carries the last lost sequence number */
			*lost += seq_gap(ctx, hdr.sequence) + 1;
			continue;
		}
		if (len - off < rec)
			return -EIO;
		*lost += seq_gap(ctx, hdr.sequence);
		evs[n].sequence = hdr.sequence;
		evs[n].fault = (struct pvb_fault){ .level = -1 };
		evs[n].code = ctx->type->decode_vevent(ctx->evbuf + off,
						       &evs[n].fault);
		off += rec;
		n++;
	}
	return n;
}

int pvb_iommufd_read_events(struct pvb_iommufd *ctx,
			    struct pvb_iommufd_event *evs, unsigned int max,
			    uint32_t *lost)
{
	size_t len = (size_t)max * (sizeof(struct iommufd_vevent_header) +
				    ctx->type->vevent_len);
	ssize_t r;
	int n;

	*lost = 0;
	if (ctx->veventq_fd < 0)
		return -ENODEV;
	if (!max || evbuf_reserve(ctx, len))
		return max ? -ENOMEM : -EINVAL;
	r = ctx->sys->read(ctx->sys->opaque, ctx->veventq_fd, ctx->evbuf, len);
	if (r < 0)
		return (int)r;
	n = parse_events(ctx, (size_t)r > len ? len : (size_t)r, evs, lost);
	if (n < 0)
		return n;
	ctx->stats.events += n;
	ctx->stats.lost_events += *lost;
	return n;
}

/* Status and introspection */

uint8_t pvb_iommufd_status(int err)
{
	switch (err) {
	case 0:
		return VIRTIO_IOMMU_S_OK;
	case -ENOMEM:
		return VIRTIO_IOMMU_S_NOMEM;
	case -EINVAL:
	case -EEXIST:
		return VIRTIO_IOMMU_S_INVAL;
	case -ENOENT:
		return VIRTIO_IOMMU_S_NOENT;
	case -ERANGE:
		return VIRTIO_IOMMU_S_RANGE;
	case -EOPNOTSUPP:
		return VIRTIO_IOMMU_S_UNSUPP;
	default:
		return VIRTIO_IOMMU_S_DEVERR;
	}
}

void pvb_iommufd_get_ids(const struct pvb_iommufd *ctx,
			 struct pvb_iommufd_ids *ids)
{
	*ids = ctx->ids;
}

void pvb_iommufd_dev_get_ids(const struct pvb_iommufd_dev *dev,
			     struct pvb_iommufd_dev_ids *ids)
{
	ids->dev_id = dev->dev_id;
	ids->vdevice = dev->vdevice;
	ids->nested_hwpt = dev->nested_hwpt;
	ids->attached = dev->attached;
}

void pvb_iommufd_get_stats(const struct pvb_iommufd *ctx,
			   struct pvb_iommufd_stats *stats)
{
	*stats = ctx->stats;
	if (ctx->pins)
		pvb_pin_get_stats(ctx->pins, &stats->pin);
	else
		stats->pin = (struct pvb_pin_stats){ 0 };
}
