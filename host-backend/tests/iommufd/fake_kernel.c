// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A fake iommufd: enough of the kernel's object model and checks to test
 * the backend's sequences, rollbacks and teardown. See fake_kernel.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "fake_kernel.h"

#define FK_AUTO	       (1u << 31) /* HWPT allocated by an attach to an IOAS */
#define FK_INV_REJECT  0xbad0bad0u
#define FK_PAGE	       4096ULL
#define IOMMUFD_NR(rq) (((rq) >> _IOC_NRSHIFT) & _IOC_NRMASK)

static int fk_ioctl(void *opaque, int fd, unsigned long request, void *arg);
static ssize_t fk_read(void *opaque, int fd, void *buf, size_t len);
static void fk_close(void *opaque, int fd);

static struct fk_obj *get(struct fake_kernel *fk, uint32_t id,
			  enum fk_type type)
{
	if (!id || id >= FK_MAX_OBJ || fk->obj[id].type == FK_FREE)
		return NULL;
	if (type != FK_FREE && fk->obj[id].type != type)
		return NULL;
	return &fk->obj[id];
}

static uint32_t obj_new(struct fake_kernel *fk, enum fk_type type, uint32_t ref)
{
	uint32_t id;

	for (id = 1; id < FK_MAX_OBJ; id++) {
		if (fk->obj[id].type != FK_FREE)
			continue;
		fk->obj[id] = (struct fk_obj){ .type = type, .ref = ref };
		if (ref)
			fk->obj[ref].users++;
		if (type != FK_DEVICE && fk->nr_created < FK_LOG)
			fk->created[fk->nr_created++] = id;
		return id;
	}
	abort();
}

static void obj_release(struct fake_kernel *fk, uint32_t id)
{
	struct fk_obj *o = &fk->obj[id];

	if (o->ref)
		fk->obj[o->ref].users--;
	if (o->type == FK_HWPT_PAGING)
		fk->obj[o->ref].domains--;
	if (o->type == FK_VDEVICE)
		fk->obj[o->dev].users--;
	if (o->type != FK_DEVICE && fk->nr_destroyed < FK_LOG)
		fk->destroyed[fk->nr_destroyed++] = id;
	free(o->areas);
	*o = (struct fk_obj){ 0 };
}

void fk_init(struct fake_kernel *fk)
{
	memset(fk, 0, sizeof(*fk));
	fk->sys = (struct pvb_iommufd_sys){ fk_ioctl, fk_read, fk_close, fk };
	fk->inv_eintr_at = -1;
	fk->fail_err = -ENOMEM;
}

void fk_fini(struct fake_kernel *fk)
{
	uint32_t id;

	for (id = 1; id < FK_MAX_OBJ; id++)
		free(fk->obj[id].areas);
	memset(fk->obj, 0, sizeof(fk->obj));
}

uint32_t fk_add_device(struct fake_kernel *fk)
{
	return obj_new(fk, FK_DEVICE, 0);
}

unsigned int fk_live(const struct fake_kernel *fk, enum fk_type type)
{
	unsigned int n = 0;
	uint32_t id;

	for (id = 1; id < FK_MAX_OBJ; id++)
		n += fk->obj[id].type == type;
	return n;
}

unsigned int fk_live_all(const struct fake_kernel *fk)
{
	unsigned int n = 0;
	uint32_t id;

	for (id = 1; id < FK_MAX_OBJ; id++)
		n += fk->obj[id].type != FK_FREE &&
		     fk->obj[id].type != FK_DEVICE;
	return n;
}

static bool page_pinned(const struct fake_kernel *fk, uintptr_t hva)
{
	const struct fk_obj *o;
	unsigned int i;
	uint32_t id;

	for (id = 1; id < FK_MAX_OBJ; id++) {
		o = &fk->obj[id];
		if (o->type != FK_IOAS || !o->domains)
			continue;
		for (i = 0; i < o->nr_areas; i++)
			if (hva >= o->areas[i].hva &&
			    hva - o->areas[i].hva < o->areas[i].len)
				return true;
	}
	return false;
}

unsigned int fk_pinned(const struct fake_kernel *fk, uintptr_t hva,
		       uint64_t len)
{
	unsigned int n = 0;
	uint64_t off;

	for (off = 0; off < len; off += FK_PAGE)
		n += page_pinned(fk, hva + off);
	return n;
}

void fk_push_event(struct fake_kernel *fk, uint32_t flags, uint32_t seq,
		   const void *data, uint32_t len)
{
	struct fk_event *e = &fk->events[fk->nr_events++];

	e->flags = flags;
	e->seq = seq;
	e->len = len;
	memcpy(e->data, data, len);
}

unsigned int fk_count(const struct fake_kernel *fk, unsigned long request)
{
	return fk->nr_req[IOMMUFD_NR(request) & 0xff];
}

/* IOAS areas */

static bool overlaps(const struct fk_obj *ioas, uint64_t iova, uint64_t len)
{
	unsigned int i;

	for (i = 0; i < ioas->nr_areas; i++)
		if (iova <= ioas->areas[i].iova + ioas->areas[i].len - 1 &&
		    ioas->areas[i].iova <= iova + len - 1)
			return true;
	return false;
}

static void area_add(struct fk_obj *ioas, struct fk_area a)
{
	ioas->areas = realloc(ioas->areas,
			      (ioas->nr_areas + 1) * sizeof(*ioas->areas));
	if (!ioas->areas)
		abort();
	ioas->areas[ioas->nr_areas++] = a;
}

static const struct fk_area *area_at(const struct fk_obj *ioas, uint64_t iova)
{
	unsigned int i;

	for (i = 0; i < ioas->nr_areas; i++)
		if (iova >= ioas->areas[i].iova &&
		    iova - ioas->areas[i].iova < ioas->areas[i].len)
			return &ioas->areas[i];
	return NULL;
}

static int ioas_map(struct fake_kernel *fk, struct iommu_ioas_map *c)
{
	struct fk_obj *ioas = get(fk, c->ioas_id, FK_IOAS);

	if (!ioas)
		return -ENOENT;
	if (!(c->flags & IOMMU_IOAS_MAP_FIXED_IOVA) || !c->length ||
	    !(c->flags & (IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)))
		return -EINVAL;
	if (overlaps(ioas, c->iova, c->length))
		return -EEXIST;
	area_add(ioas,
		 (struct fk_area){ c->iova, c->length, (uintptr_t)c->user_va,
				   !!(c->flags & IOMMU_IOAS_MAP_WRITEABLE) });
	fk->last_map_ioas = c->ioas_id;
	return 0;
}

static int ioas_unmap(struct fake_kernel *fk, struct iommu_ioas_unmap *c)
{
	struct fk_obj *ioas = get(fk, c->ioas_id, FK_IOAS);
	uint64_t last = c->iova + c->length - 1, done = 0;
	unsigned int i;

	if (!ioas)
		return -ENOENT;
	for (i = 0; i < ioas->nr_areas; i++) {
		struct fk_area *a = &ioas->areas[i];

		if (a->iova > last || a->iova + a->len - 1 < c->iova)
			continue;
		if (a->iova < c->iova || a->iova + a->len - 1 > last)
			return -ENOENT; /* would split an area */
	}
	for (i = 0; i < ioas->nr_areas;) {
		struct fk_area *a = &ioas->areas[i];

		if (a->iova > last || a->iova + a->len - 1 < c->iova) {
			i++;
			continue;
		}
		done += a->len;
		*a = ioas->areas[--ioas->nr_areas];
	}
	if (!done)
		return -ENOENT;
	c->length = done;
	return 0;
}

static int ioas_copy(struct fake_kernel *fk, struct iommu_ioas_copy *c)
{
	struct fk_obj *src = get(fk, c->src_ioas_id, FK_IOAS);
	struct fk_obj *dst = get(fk, c->dst_ioas_id, FK_IOAS);
	bool wr = c->flags & IOMMU_IOAS_MAP_WRITEABLE;
	const struct fk_area *a;
	uint64_t off, n;

	if (!src || !dst)
		return -ENOENT;
	if (!(c->flags & IOMMU_IOAS_MAP_FIXED_IOVA) || !c->length ||
	    !(c->flags & (IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)))
		return -EINVAL;
	for (off = 0; off < c->length; off += n) {
		a = area_at(src, c->src_iova + off);
		if (!a)
			return -ENOENT;
		if (wr && !a->writable)
			return -EPERM;
		n = a->iova + a->len - (c->src_iova + off);
	}
	if (overlaps(dst, c->dst_iova, c->length))
		return -EEXIST;
	for (off = 0; off < c->length; off += n) {
		a = area_at(src, c->src_iova + off);
		n = a->iova + a->len - (c->src_iova + off);
		if (n > c->length - off)
			n = c->length - off;
		area_add(dst,
			 (struct fk_area){
				 c->dst_iova + off, n,
				 a->hva + (c->src_iova + off - a->iova), wr });
	}
	fk->last_copy_flags = c->flags;
	return 0;
}

/* Objects */

static int destroy(struct fake_kernel *fk, struct iommu_destroy *c)
{
	struct fk_obj *o = get(fk, c->id, FK_FREE);

	if (!o || o->type == FK_DEVICE)
		return -ENOENT;
	if (o->users)
		return -EBUSY;
	obj_release(fk, c->id);
	return 0;
}

static int ioas_alloc(struct fake_kernel *fk, struct iommu_ioas_alloc *c)
{
	c->out_ioas_id = obj_new(fk, FK_IOAS, 0);
	return 0;
}

static uint32_t paging_new(struct fake_kernel *fk, uint32_t ioas,
			   uint32_t flags)
{
	uint32_t id = obj_new(fk, FK_HWPT_PAGING, ioas);

	fk->obj[id].flags = flags;
	fk->obj[ioas].domains++;
	return id;
}

static int hwpt_alloc(struct fake_kernel *fk, struct iommu_hwpt_alloc *c)
{
	struct fk_obj *pt = get(fk, c->pt_id, FK_FREE), *o;

	if (!get(fk, c->dev_id, FK_DEVICE) || !pt)
		return -ENOENT;
	if (pt->type == FK_IOAS) {
		if (c->data_type != IOMMU_HWPT_DATA_NONE || c->data_len)
			return -EINVAL;
		if (c->flags & ~IOMMU_HWPT_ALLOC_NEST_PARENT)
			return -EOPNOTSUPP;
		c->out_hwpt_id = paging_new(fk, c->pt_id, c->flags);
		return 0;
	}
	if (pt->type != FK_VIOMMU)
		return -EINVAL;
	if (c->flags || c->data_type != fk->hwpt_data_type)
		return -EOPNOTSUPP;
	if (!c->data_len || c->data_len > sizeof(o->data) || !c->data_uptr)
		return -EINVAL;
	c->out_hwpt_id = obj_new(fk, FK_HWPT_NESTED, c->pt_id);
	o = &fk->obj[c->out_hwpt_id];
	o->data_type = c->data_type;
	o->data_len = c->data_len;
	memcpy(o->data, (void *)(uintptr_t)c->data_uptr, c->data_len);
	return 0;
}

static int viommu_alloc(struct fake_kernel *fk, struct iommu_viommu_alloc *c)
{
	struct fk_obj *hwpt = get(fk, c->hwpt_id, FK_HWPT_PAGING);

	if (!get(fk, c->dev_id, FK_DEVICE) || !hwpt)
		return -ENOENT;
	if (!(hwpt->flags & IOMMU_HWPT_ALLOC_NEST_PARENT))
		return -EINVAL;
	if (c->type != fk->viommu_type)
		return -EOPNOTSUPP;
	c->out_viommu_id = obj_new(fk, FK_VIOMMU, c->hwpt_id);
	return 0;
}

static int vdevice_alloc(struct fake_kernel *fk, struct iommu_vdevice_alloc *c)
{
	uint32_t id;

	if (!get(fk, c->viommu_id, FK_VIOMMU) || !get(fk, c->dev_id, FK_DEVICE))
		return -ENOENT;
	for (id = 1; id < FK_MAX_OBJ; id++)
		if (fk->obj[id].type == FK_VDEVICE &&
		    fk->obj[id].ref == c->viommu_id &&
		    (fk->obj[id].virt_id == c->virt_id ||
		     fk->obj[id].dev == c->dev_id))
			return -EEXIST;
	id = obj_new(fk, FK_VDEVICE, c->viommu_id);
	fk->obj[id].dev = c->dev_id;
	fk->obj[id].virt_id = c->virt_id;
	fk->obj[c->dev_id].users++;
	c->out_vdevice_id = id;
	return 0;
}

static int veventq_alloc(struct fake_kernel *fk, struct iommu_veventq_alloc *c)
{
	uint32_t id;

	if (!get(fk, c->viommu_id, FK_VIOMMU))
		return -ENOENT;
	if (c->type != fk->veventq_type)
		return -EOPNOTSUPP;
	if (!c->veventq_depth)
		return -EINVAL;
	for (id = 1; id < FK_MAX_OBJ; id++)
		if (fk->obj[id].type == FK_VEVENTQ &&
		    fk->obj[id].ref == c->viommu_id)
			return -EEXIST;
	id = obj_new(fk, FK_VEVENTQ, c->viommu_id);
	fk->obj[id].users++; /* the fd */
	fk->open_fds++;
	c->out_veventq_id = id;
	c->out_veventq_fd = FK_VEVENTQ_FD + id;
	return 0;
}

/* Invalidation: entries whose first word is FK_INV_REJECT fail */
static int invalidate(struct fake_kernel *fk, struct iommu_hwpt_invalidate *c)
{
	const uint8_t *data = (const uint8_t *)(uintptr_t)c->data_uptr;
	uint32_t i, n = c->entry_num, word;

	if (!get(fk, c->hwpt_id, FK_VIOMMU))
		return -ENOENT;
	c->entry_num = 0;
	if (c->data_type != fk->inv_data_type)
		return -EINVAL;
	if (!n)
		return 0;
	if (c->entry_len != fk->inv_entry_len || !data)
		return -EINVAL;
	fk->nr_inv_calls++;
	if (fk->inv_stall)
		return 0;
	for (i = 0; i < n; i++) {
		if (fk->inv_eintr_at >= 0 &&
		    fk->inv_done == (unsigned long)fk->inv_eintr_at) {
			fk->inv_eintr_at = -1;
			c->entry_num = i;
			return -EINTR;
		}
		if (fk->inv_max_per_call && i == fk->inv_max_per_call)
			break;
		memcpy(&word, data + (size_t)i * c->entry_len, sizeof(word));
		if (word == FK_INV_REJECT) {
			c->entry_num = i;
			return -EINVAL;
		}
		if (fk->nr_inv_log < FK_LOG) {
			memcpy(fk->inv_log[fk->nr_inv_log],
			       data + (size_t)i * c->entry_len,
			       c->entry_len > 16 ? 16 : c->entry_len);
			fk->inv_call_of[fk->nr_inv_log++] = fk->nr_inv_calls;
		}
		fk->inv_done++;
	}
	c->entry_num = i;
	return 0;
}

static int hw_info(struct fake_kernel *fk, struct iommu_hw_info *c)
{
	if (!get(fk, c->dev_id, FK_DEVICE))
		return -ENOENT;
	memset((void *)(uintptr_t)c->data_uptr, 0, c->data_len);
	memcpy((void *)(uintptr_t)c->data_uptr, fk->hw_info,
	       c->data_len < sizeof(fk->hw_info) ? c->data_len :
						   sizeof(fk->hw_info));
	c->out_data_type = fk->hw_info_type;
	return 0;
}

/* Devices */

static void detach(struct fake_kernel *fk, struct fk_obj *dev)
{
	struct fk_obj *hwpt = get(fk, dev->attached, FK_FREE);

	if (!hwpt)
		return;
	hwpt->users--;
	if (hwpt->flags & FK_AUTO)
		obj_release(fk, dev->attached);
	dev->attached = 0;
}

static int has_vdevice(struct fake_kernel *fk, uint32_t viommu, uint32_t dev)
{
	uint32_t id;

	for (id = 1; id < FK_MAX_OBJ; id++)
		if (fk->obj[id].type == FK_VDEVICE &&
		    fk->obj[id].ref == viommu && fk->obj[id].dev == dev)
			return 1;
	return 0;
}

static int attach(struct fake_kernel *fk, uint32_t dev_id, uint32_t *pt_id)
{
	struct fk_obj *dev = get(fk, dev_id, FK_DEVICE);
	struct fk_obj *pt = get(fk, *pt_id, FK_FREE);
	uint32_t hwpt = *pt_id;

	if (!dev || !pt)
		return -ENOENT;
	if (pt->type == FK_HWPT_NESTED && !has_vdevice(fk, pt->ref, dev_id))
		return -ENOENT;
	if (pt->type != FK_IOAS && pt->type != FK_HWPT_PAGING &&
	    pt->type != FK_HWPT_NESTED)
		return -EINVAL;
	if (pt->type == FK_IOAS && dev->attached &&
	    fk->obj[dev->attached].ref == *pt_id &&
	    fk->obj[dev->attached].type == FK_HWPT_PAGING)
		hwpt = dev->attached; /* already on this IOAS */
	else if (pt->type == FK_IOAS)
		hwpt = paging_new(fk, *pt_id, FK_AUTO);
	if (hwpt != dev->attached) {
		fk->obj[hwpt].users++;
		detach(fk, dev);
		dev->attached = hwpt;
	}
	*pt_id = hwpt;
	return 0;
}

static int fk_attach_req(struct fake_kernel *fk, unsigned long request,
			 struct fk_attach *a)
{
	struct fk_obj *dev = get(fk, a->dev_id, FK_DEVICE);

	if (request == FK_ATTACH)
		return attach(fk, a->dev_id, &a->pt_id);
	if (!dev)
		return -ENOENT;
	detach(fk, dev);
	return 0;
}

static int vfio_req(struct fake_kernel *fk, uint32_t dev_id,
		    unsigned long request, void *arg)
{
	struct vfio_device_attach_iommufd_pt *at = arg;
	struct vfio_device_detach_iommufd_pt *dt = arg;

	if (request == VFIO_DEVICE_ATTACH_IOMMUFD_PT) {
		fk->nr_vfio_attach++;
		fk->last_vfio_argsz = at->argsz;
		if (at->argsz != sizeof(*at) || at->flags)
			return -EINVAL;
		return attach(fk, dev_id, &at->pt_id);
	}
	if (request == VFIO_DEVICE_DETACH_IOMMUFD_PT) {
		fk->nr_vfio_detach++;
		fk->last_vfio_argsz = dt->argsz;
		if (dt->argsz != sizeof(*dt) || dt->flags)
			return -EINVAL;
		if (!get(fk, dev_id, FK_DEVICE))
			return -ENOENT;
		detach(fk, &fk->obj[dev_id]);
		return 0;
	}
	return -ENOTTY;
}

static int iommufd_req(struct fake_kernel *fk, unsigned long request, void *arg)
{
	switch (request) {
	case IOMMU_DESTROY:
		return destroy(fk, arg);
	case IOMMU_IOAS_ALLOC:
		return ioas_alloc(fk, arg);
	case IOMMU_IOAS_MAP:
		return ioas_map(fk, arg);
	case IOMMU_IOAS_UNMAP:
		return ioas_unmap(fk, arg);
	case IOMMU_IOAS_COPY:
		return ioas_copy(fk, arg);
	case IOMMU_HWPT_ALLOC:
		return hwpt_alloc(fk, arg);
	case IOMMU_VIOMMU_ALLOC:
		return viommu_alloc(fk, arg);
	case IOMMU_VDEVICE_ALLOC:
		return vdevice_alloc(fk, arg);
	case IOMMU_VEVENTQ_ALLOC:
		return veventq_alloc(fk, arg);
	case IOMMU_HWPT_INVALIDATE:
		return invalidate(fk, arg);
	case IOMMU_GET_HW_INFO:
		return hw_info(fk, arg);
	case FK_ATTACH:
	case FK_DETACH:
		return fk_attach_req(fk, request, arg);
	default:
		return -ENOTTY;
	}
}

static int fk_ioctl(void *opaque, int fd, unsigned long request, void *arg)
{
	struct fake_kernel *fk = opaque;

	fk->calls++;
	if (fk->fail_at && fk->calls == fk->fail_at)
		return fk->fail_err;
	if (fd >= FK_VFIO_FD && fd < FK_VFIO_FD + FK_MAX_OBJ)
		return vfio_req(fk, fd - FK_VFIO_FD, request, arg);
	if (fd != FK_IOMMUFD)
		return -EBADF;
	if (_IOC_TYPE(request) == IOMMUFD_TYPE)
		fk->nr_req[IOMMUFD_NR(request) & 0xff]++;
	return iommufd_req(fk, request, arg);
}

/* vEVENTQ: whole events only, as the kernel */
static ssize_t fk_read(void *opaque, int fd, void *buf, size_t len)
{
	struct fake_kernel *fk = opaque;
	size_t done = 0, sz;
	unsigned int i = 0;

	if (!get(fk, fd - FK_VEVENTQ_FD, FK_VEVENTQ))
		return -EBADF;
	if (len < sizeof(struct iommufd_vevent_header))
		return -EINVAL;
	for (; i < fk->nr_events; i++) {
		struct iommufd_vevent_header h = { fk->events[i].flags,
						   fk->events[i].seq };

		sz = sizeof(h) + fk->events[i].len;
		if (sz > len - done)
			break;
		memcpy((uint8_t *)buf + done, &h, sizeof(h));
		memcpy((uint8_t *)buf + done + sizeof(h), fk->events[i].data,
		       fk->events[i].len);
		done += sz;
	}
	memmove(fk->events, &fk->events[i],
		(fk->nr_events - i) * sizeof(*fk->events));
	fk->nr_events -= i;
	if (!done && fk->nr_events)
		return -EINVAL;
	return (ssize_t)done;
}

static void fk_close(void *opaque, int fd)
{
	struct fake_kernel *fk = opaque;
	struct fk_obj *q = get(fk, fd - FK_VEVENTQ_FD, FK_VEVENTQ);

	if (q) {
		q->users--;
		fk->open_fds--;
	}
}

static int fk_dev_attach(const struct pvb_iommufd_sys *sys, void *opaque,
			 uint32_t *pt_id)
{
	struct fk_attach a = { (uint32_t)(uintptr_t)opaque, *pt_id };
	int ret = sys->ioctl(sys->opaque, FK_IOMMUFD, FK_ATTACH, &a);

	if (!ret)
		*pt_id = a.pt_id;
	return ret;
}

static int fk_dev_detach(const struct pvb_iommufd_sys *sys, void *opaque)
{
	struct fk_attach a = { (uint32_t)(uintptr_t)opaque, 0 };

	return sys->ioctl(sys->opaque, FK_IOMMUFD, FK_DETACH, &a);
}

const struct pvb_iommufd_dev_ops fk_dev_ops = {
	.attach = fk_dev_attach,
	.detach = fk_dev_detach,
};
