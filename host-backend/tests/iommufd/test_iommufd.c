// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * iommufd backend against the fake kernel of fake_kernel.c: the nesting
 * sequence and its rollback at every failure point, attach / replace /
 * detach, invalidation batching and partial completion, vEVENTQ parsing
 * and lost events, the pinning binding (lazy, cached, memlock limit),
 * teardown order, the Arm SMMUv3 data types and the VFIO attach calls.
 *
 * The suite runs from __wrap_tap_finish() (the Makefile links the test
 * binary with --wrap=tap_finish), after the suites of tests/main.c.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "pvb/iommufd.h"
#include "pvb/smmu.h"

#include "fake_kernel.h"
#include "tap.h"

#define PG	   4096ULL
#define RAM_GPA	   0x40000000ULL
#define RAM_PAGES  64
#define RAM_SIZE   (RAM_PAGES * PG)
#define VSID	   0x42
#define FK_REJECT  0xbad0bad0u
#define IOVA	   0x100000ULL
#define SEQ_MAX	   ((uint32_t)INT_MAX)
#define TYPE_FAKE  0xf00d
#define TYPE_FAKE2 0xf00e

/* A fake IOMMU type */

struct fk_hwpt {
	uint32_t kind;
	uint32_t tag;
};

struct fk_inv {
	uint32_t op;
	uint32_t arg;
};

struct fk_rec {
	uint32_t sid;
	uint32_t reason;
};

static int fk_encode_hwpt(const struct pvb_nest_cfg *cfg, void *data)
{
	struct fk_hwpt h = { cfg->kind, 0 };

	if (cfg->kind == PVB_NEST_S1)
		h.tag = (uint32_t)(cfg->table->s1contextptr >> 12);
	memcpy(data, &h, sizeof(h));
	return 0;
}

static size_t fk_inv_max(const void *inv_ctx)
{
	return inv_ctx ? *(const unsigned int *)inv_ctx : 1;
}

/*
 * An entry becomes ssid (or 1) invalidation entries; asid 0xbad makes the
 * kernel reject its last one, asid 0xee makes the encoder fail.
 */
static int fk_encode_inv(const struct pvb_inv_entry *e, const void *inv_ctx,
			 void *out, size_t cap)
{
	unsigned int n = e->ssid ? e->ssid : 1, k;
	struct fk_inv *o = out;

	(void)inv_ctx;
	if (e->asid == 0xee)
		return -E2BIG;
	if (n > cap)
		return -ENOSPC;
	for (k = 0; k < n; k++) {
		o[k].op = 0x1000 + e->scope;
		o[k].arg = (uint32_t)e->asid << 8 | k;
		if (e->asid == 0xbad && k == n - 1)
			o[k].op = FK_REJECT;
	}
	return (int)n;
}

static unsigned int fk_inv_class(const struct pvb_inv_entry *e)
{
	return e->scope == VIRTIO_IOMMU_INV_S_CD  ? 0 :
	       e->scope == VIRTIO_IOMMU_INV_S_ATC ? 2 :
						    1;
}

static int fk_decode(const void *record, struct pvb_fault *fault)
{
	struct fk_rec r;

	memcpy(&r, record, sizeof(r));
	fault->sid = r.sid;
	fault->reason = (uint8_t)r.reason;
	return 7;
}

static const struct pvb_iommufd_type fk_type = {
	.name = "fake",
	.viommu_type = TYPE_FAKE,
	.hwpt_data_type = TYPE_FAKE,
	.hwpt_data_len = sizeof(struct fk_hwpt),
	.encode_hwpt = fk_encode_hwpt,
	.inv_data_type = TYPE_FAKE,
	.inv_entry_len = sizeof(struct fk_inv),
	.inv_max_per_entry = fk_inv_max,
	.encode_inv = fk_encode_inv,
	.veventq_type = TYPE_FAKE,
	.vevent_len = sizeof(struct fk_rec),
	.decode_vevent = fk_decode,
};

static struct pvb_iommufd_type fk_type_cls; /* fk_type with classes */

/* Test environment: a fake kernel, a context with RAM, one device */

struct env {
	struct fake_kernel fk;
	struct pvb_iommufd *ctx;
	struct pvb_iommufd_dev *dev;
	uint32_t dev_id;
	uint8_t *ram;
};

static struct env *env_new(const struct pvb_iommufd_type *t, uint32_t depth,
			   uint64_t memlock_pages)
{
	struct env *e = calloc(1, sizeof(*e));
	struct pvb_iommufd_cfg cfg = {
		.iommufd = FK_IOMMUFD,
		.type = t,
		.veventq_depth = depth,
		.pin = { .cache_bytes = 16 * PG,
			 .memlock_bytes = memlock_pages * PG },
	};

	if (!e)
		abort();
	fk_init(&e->fk);
	e->fk.viommu_type = t->viommu_type;
	e->fk.veventq_type = t->veventq_type;
	e->fk.hwpt_data_type = t->hwpt_data_type;
	e->fk.inv_data_type = t->inv_data_type;
	e->fk.inv_entry_len = t->inv_entry_len;
	e->dev_id = fk_add_device(&e->fk);
	e->ram = aligned_alloc(PG, RAM_SIZE);
	cfg.sys = &e->fk.sys;
	if (!e->ram || pvb_iommufd_new(&cfg, &e->ctx) ||
	    pvb_iommufd_ram_map(e->ctx, RAM_GPA, RAM_SIZE, e->ram) ||
	    pvb_iommufd_dev_new(e->ctx, e->dev_id, VSID, &fk_dev_ops,
				FK_DEV(e->dev_id), &e->dev))
		abort();
	return e;
}

static void env_free(struct env *e)
{
	pvb_iommufd_free(e->ctx);
	fk_fini(&e->fk);
	free(e->ram);
	free(e);
}

static uintptr_t hva(const struct env *e, uint64_t page)
{
	return (uintptr_t)e->ram + page * PG;
}

static const struct pvb_s1_table table_a = { .s1contextptr = 0x40001000 };
static const struct pvb_s1_table table_b = { .s1contextptr = 0x40002000 };

static int attach_s1(struct env *e, const struct pvb_s1_table *t)
{
	struct pvb_nest_cfg cfg = { PVB_NEST_S1, t, 0 };

	return pvb_iommufd_dev_attach_nested(e->dev, &cfg);
}

/* Context and guest RAM */

static void test_context(void)
{
	struct env *e = env_new(&fk_type, 0, 32);
	struct pvb_iommufd_cfg bad = { .iommufd = FK_IOMMUFD, .type = NULL };
	struct pvb_iommufd_ids ids;
	struct pvb_iommufd *ctx;

	pvb_iommufd_get_ids(e->ctx, &ids);
	OK(ids.ram_ioas && !ids.parent_hwpt && !ids.viommu && !ids.pin_ioas,
	   "new: the guest RAM IOAS only");
	OK(e->fk.last_map_ioas == ids.ram_ioas &&
		   e->fk.obj[ids.ram_ioas].nr_areas == 1 &&
		   e->fk.obj[ids.ram_ioas].areas[0].iova == RAM_GPA &&
		   e->fk.obj[ids.ram_ioas].areas[0].hva == hva(e, 0),
	   "ram_map: IOMMU_IOAS_MAP at IOVA = GPA of the host VA");
	EQ(fk_pinned(&e->fk, hva(e, 0), RAM_SIZE), 0,
	   "ram_map pins nothing (no domain on the IOAS)");
	EQ(pvb_iommufd_ram_map(e->ctx, RAM_GPA + PG, PG, e->ram), -EEXIST,
	   "ram_map: overlap is -EEXIST");
	EQ(pvb_iommufd_ram_map(e->ctx, 0x1000000 + 1, PG, e->ram), -EINVAL,
	   "ram_map: misaligned is -EINVAL");
	e->fk.fail_at = e->fk.calls + 1;
	EQ(pvb_iommufd_ram_map(e->ctx, 0x1000000, PG, e->ram), -ENOMEM,
	   "ram_map: IOMMU_IOAS_MAP error returned");
	EQ(pvb_iommufd_ram_map(e->ctx, 0x1000000, PG, e->ram), 0,
	   "  and the region was not recorded");
	EQ(pvb_iommufd_ram_unmap(e->ctx, 0x1000000, 2 * PG), -ENOENT,
	   "ram_unmap: unknown region is -ENOENT");
	EQ(pvb_iommufd_ram_unmap(e->ctx, 0x1000000, PG), 0, "ram_unmap");
	bad.type = NULL;
	OK(pvb_iommufd_new(&bad, &ctx) == -EINVAL, "new: no type is -EINVAL");
	bad.type = &fk_type;
	bad.pin.page_shift = 10;
	OK(pvb_iommufd_new(&bad, &ctx) == -EINVAL,
	   "new: pin pages smaller than host pages is -EINVAL");
	env_free(e);
}

/* Nesting */

static void test_nested(void)
{
	struct env *e = env_new(&fk_type, 8, 32);
	struct pvb_iommufd_dev_ids d;
	struct pvb_iommufd_ids ids;
	struct fk_hwpt h;
	uint32_t first;

	EQ(attach_s1(e, &table_a), 0, "attach_nested");
	pvb_iommufd_get_ids(e->ctx, &ids);
	pvb_iommufd_dev_get_ids(e->dev, &d);
	OK(ids.parent_hwpt && ids.viommu && ids.veventq,
	   "  nest parent, vIOMMU, vEVENTQ allocated");
	OK(e->fk.obj[ids.parent_hwpt].flags & IOMMU_HWPT_ALLOC_NEST_PARENT &&
		   e->fk.obj[ids.parent_hwpt].ref == ids.ram_ioas &&
		   e->fk.obj[ids.viommu].ref == ids.parent_hwpt,
	   "  parent: NEST_PARENT over the RAM IOAS; vIOMMU on it");
	EQ(fk_pinned(&e->fk, hva(e, 0), RAM_SIZE), RAM_PAGES,
	   "  the nest parent pins guest RAM");
	OK(d.vdevice && e->fk.obj[d.vdevice].virt_id == VSID &&
		   e->fk.obj[d.vdevice].ref == ids.viommu,
	   "  vDEVICE with virt_id = the virtual StreamID");
	memcpy(&h, e->fk.obj[d.nested_hwpt].data, sizeof(h));
	OK(d.nested_hwpt && e->fk.obj[d.nested_hwpt].ref == ids.viommu &&
		   h.kind == PVB_NEST_S1 && h.tag == 0x40001,
	   "  nested HWPT on the vIOMMU with the encoded data");
	OK(d.attached == d.nested_hwpt &&
		   e->fk.obj[e->dev_id].attached == d.nested_hwpt,
	   "  device attached to it");
	first = d.nested_hwpt;
	EQ(attach_s1(e, &table_b), 0, "attach_nested again (replace)");
	pvb_iommufd_dev_get_ids(e->dev, &d);
	memcpy(&h, e->fk.obj[d.nested_hwpt].data, sizeof(h));
	OK(e->fk.obj[e->dev_id].attached == d.nested_hwpt && h.tag == 0x40002,
	   "  attached to the new nested HWPT");
	OK(fk_live(&e->fk, FK_HWPT_NESTED) == 1 &&
		   (e->fk.obj[first].type == FK_FREE || first == d.nested_hwpt),
	   "  the replaced nested HWPT is destroyed");
	OK(fk_live(&e->fk, FK_VIOMMU) == 1 && fk_live(&e->fk, FK_VDEVICE) == 1,
	   "  nest objects and vDEVICE are reused");
	env_free(e);
}

/* Every failure point of the first attach rolls back to the start */
static void test_nested_fail_nth(void)
{
	unsigned int n, bad = 0, points = 0;
	struct env *e;
	int ret;

	for (n = 1;; n++) {
		e = env_new(&fk_type, 8, 32);
		e->fk.fail_at = e->fk.calls + n;
		e->fk.fail_err = -ENOSPC;
		ret = attach_s1(e, &table_a);
		if (!ret) {
			env_free(e);
			break;
		}
		points++;
		if (ret != -ENOSPC || fk_live_all(&e->fk) != 1 ||
		    fk_pinned(&e->fk, hva(e, 0), RAM_SIZE) ||
		    e->fk.obj[e->dev_id].attached || e->fk.open_fds) {
			tap_diag("failure at call %u: ret %d, %u objects", n,
				 ret, fk_live_all(&e->fk));
			bad++;
		}
		e->fk.fail_at = 0;
		if (attach_s1(e, &table_a))
			bad++;
		env_free(e);
	}
	OK(!bad && points == 6,
	   "attach_nested: each of the %u failure points destroys what it "
	   "allocated, and a retry succeeds",
	   points);
}

static void test_replace_fail(void)
{
	struct env *e = env_new(&fk_type, 0, 32);
	struct pvb_iommufd_dev_ids d, d2;

	attach_s1(e, &table_a);
	pvb_iommufd_dev_get_ids(e->dev, &d);
	e->fk.fail_at = e->fk.calls + 2; /* the attach after HWPT_ALLOC */
	e->fk.fail_err = -EIO;
	EQ(attach_s1(e, &table_b), -EIO, "replace: attach error returned");
	pvb_iommufd_dev_get_ids(e->dev, &d2);
	OK(d2.nested_hwpt == d.nested_hwpt &&
		   e->fk.obj[e->dev_id].attached == d.nested_hwpt &&
		   fk_live(&e->fk, FK_HWPT_NESTED) == 1,
	   "  still attached to the old HWPT, the new one destroyed");
	EQ(pvb_iommufd_dev_detach(e->dev), 0, "detach");
	pvb_iommufd_dev_get_ids(e->dev, &d2);
	OK(!d2.attached && !d2.nested_hwpt && d2.vdevice &&
		   !e->fk.obj[e->dev_id].attached &&
		   !fk_live(&e->fk, FK_HWPT_NESTED),
	   "  nested HWPT destroyed, vDEVICE kept");
	EQ(pvb_iommufd_dev_detach(e->dev), 0, "detach again is a no-op");
	env_free(e);
}

static void test_devices(void)
{
	struct env *e = env_new(&fk_type, 0, 32);
	struct pvb_iommufd_dev *d2;
	struct pvb_iommufd_domain *dom;
	uint32_t id2 = fk_add_device(&e->fk);

	EQ(pvb_iommufd_dev_new(e->ctx, e->dev_id, 7, &fk_dev_ops, NULL, &d2),
	   -EEXIST, "dev_new: same dev_id is -EEXIST");
	EQ(pvb_iommufd_dev_new(e->ctx, id2, VSID, &fk_dev_ops, NULL, &d2),
	   -EEXIST, "dev_new: same vSID is -EEXIST");
	EQ(pvb_iommufd_dev_new(e->ctx, id2, 7, &fk_dev_ops, FK_DEV(id2), &d2),
	   0, "dev_new: second device");
	attach_s1(e, &table_a);
	pvb_iommufd_domain_new(e->ctx, &dom);
	EQ(pvb_iommufd_dev_attach_domain(e->dev, dom), 0,
	   "attach_domain from nested");
	OK(!fk_live(&e->fk, FK_HWPT_NESTED) &&
		   e->fk.obj[e->fk.obj[e->dev_id].attached].ref ==
			   pvb_iommufd_domain_ioas(dom),
	   "  on the domain's IOAS, nested HWPT destroyed");
	EQ(pvb_iommufd_domain_free(dom), -EBUSY,
	   "domain_free with a device attached is -EBUSY");
	pvb_iommufd_dev_free(e->dev);
	OK(!fk_live(&e->fk, FK_VDEVICE) && !e->fk.obj[e->dev_id].attached,
	   "dev_free: detached, vDEVICE destroyed");
	e->dev = NULL;
	EQ(pvb_iommufd_domain_free(dom), 0, "domain_free after");
	env_free(e);
}

/* Invalidation */

static struct pvb_invalidate *req_new(unsigned int n)
{
	struct pvb_invalidate *r = calloc(1, sizeof(*r));
	unsigned int i;

	if (!r)
		abort();
	r->nr_entries = n;
	for (i = 0; i < n; i++) {
		r->entries[i].scope = VIRTIO_IOMMU_INV_S_ASID;
		r->entries[i].asid = i;
	}
	return r;
}

static uint32_t logged_arg(const struct env *e, unsigned int i)
{
	struct fk_inv v;

	memcpy(&v, e->fk.inv_log[i], sizeof(v));
	return v.arg;
}

static void test_invalidate(void)
{
	struct env *e = env_new(&fk_type, 0, 32);
	struct pvb_invalidate *r = req_new(4);
	struct pvb_iommufd_inv_result res;
	uint32_t done;

	EQ(pvb_iommufd_invalidate(e->ctx, r, NULL, &res), -ENODEV,
	   "invalidate without vIOMMU is -ENODEV");
	attach_s1(e, &table_a);
	EQ(pvb_iommufd_invalidate(e->ctx, r, NULL, &res), 0, "invalidate");
	OK(res.calls == 1 && res.done_entries == 4 && res.failed_entry == -1 &&
		   e->fk.nr_inv_log == 4 && logged_arg(e, 3) == 3 << 8,
	   "  one call, 4 entries in order");

	e->fk.nr_inv_log = 0;
	r->entries[2].asid = 0xbad;
	EQ(pvb_iommufd_invalidate(e->ctx, r, NULL, &res), -EINVAL,
	   "rejected entry: the error");
	OK(res.failed_entry == 2 && res.done_entries == 2 &&
		   res.done_cmds == 2 && e->fk.nr_inv_log == 2,
	   "  failed_entry 2, 2 done, nothing after it submitted");

	/* Entry 1 makes 3 commands, its last rejected */
	e->fk.nr_inv_log = 0;
	r->entries[1].asid = 0xbad;
	r->entries[1].ssid = 3;
	r->entries[2].asid = 2;
	EQ(pvb_iommufd_invalidate(e->ctx, r, &(unsigned int){ 3 }, &res),
	   -EINVAL, "rejected command of a multi-command entry");
	OK(res.failed_entry == 1 && res.done_entries == 1 && res.done_cmds == 3,
	   "  mapped back to request entry 1");

	e->fk.inv_max_per_call = 3;
	r->entries[1].asid = 1;
	r->entries[1].ssid = 0;
	EQ(pvb_iommufd_invalidate(e->ctx, r, NULL, &res), 0,
	   "short completion without error");
	OK(res.calls == 2 && res.retries == 1 && res.done_entries == 4,
	   "  the rest is resubmitted (2 calls, 1 retry)");
	e->fk.inv_max_per_call = 0;

	e->fk.inv_eintr_at = (long)e->fk.inv_done + 1;
	EQ(pvb_iommufd_invalidate(e->ctx, r, NULL, &res), 0,
	   "-EINTR after 1 entry");
	OK(res.calls == 2 && res.retries == 1 && res.done_cmds == 4,
	   "  resumed after the handled entry");

	e->fk.inv_max_per_call = 0;
	e->fk.inv_eintr_at = -1;
	{
		/* A kernel that never makes progress */
		struct fake_kernel *fk = &e->fk;
		unsigned long before = fk->nr_inv_calls;

		fk->inv_max_per_call = 0;
		fk->inv_eintr_at = (long)fk->inv_done;
		EQ(pvb_iommufd_invalidate_raw(e->ctx, &(struct fk_inv){ 1, 1 },
					      1, &done, NULL),
		   0, "one -EINTR then success");
		OK(fk->nr_inv_calls == before + 2 && done == 1,
		   "  2 calls, done 1");
	}
	EQ(pvb_iommufd_invalidate_raw(e->ctx, NULL, 0, &done, NULL), 0,
	   "raw: 0 entries checks the data type");
	e->fk.inv_stall = true;
	EQ(pvb_iommufd_invalidate(e->ctx, r, NULL, &res), -EIO,
	   "a kernel that handles nothing without error: -EIO");
	OK(res.calls == PVB_IOMMUFD_INV_RETRIES + 1 && res.failed_entry == 0,
	   "  after %u calls, entry 0 named", PVB_IOMMUFD_INV_RETRIES + 1);
	free(r);
	env_free(e);
}

static void test_invalidate_batches(void)
{
	struct env *e = env_new(&fk_type_cls, 0, 32);
	struct pvb_invalidate *r = req_new(150);
	struct pvb_iommufd_inv_result res;
	unsigned int i;

	for (i = 0; i < 150; i++)
		r->entries[i].ssid = 2;
	attach_s1(e, &table_a);
	EQ(pvb_iommufd_invalidate(e->ctx, r, &(unsigned int){ 2 }, &res), 0,
	   "150 entries of 2 commands");
	OK(res.calls == 2 && e->fk.nr_inv_log == 300 &&
		   e->fk.inv_call_of[255] == 1 && e->fk.inv_call_of[256] == 2,
	   "  split at PVB_IOMMUFD_INV_BATCH (256 + 44)");
	for (i = 0; i < 150; i++)
		r->entries[i].ssid = 0;

	r->nr_entries = 5;
	r->entries[0].scope = VIRTIO_IOMMU_INV_S_CD;
	r->entries[1].scope = VIRTIO_IOMMU_INV_S_CD;
	r->entries[2].scope = VIRTIO_IOMMU_INV_S_ASID;
	r->entries[3].scope = VIRTIO_IOMMU_INV_S_ATC;
	r->entries[4].scope = VIRTIO_IOMMU_INV_S_ASID;
	e->fk.nr_inv_log = 0;
	e->fk.nr_inv_calls = 0;
	EQ(pvb_iommufd_invalidate(e->ctx, r, NULL, &res), 0,
	   "classes CD CD TLB ATC TLB");
	OK(res.calls == 4 && e->fk.inv_call_of[1] == 1 &&
		   e->fk.inv_call_of[2] == 2 && e->fk.inv_call_of[3] == 3 &&
		   e->fk.inv_call_of[4] == 4,
	   "  a call per class run, in order");

	r->entries[3].asid = 0xee;
	e->fk.nr_inv_log = 0;
	EQ(pvb_iommufd_invalidate(e->ctx, r, NULL, &res), -E2BIG,
	   "encoder error on entry 3");
	OK(res.failed_entry == 3 && res.done_entries == 3 &&
		   e->fk.nr_inv_log == 3,
	   "  the entries before it submitted, failed_entry 3");

	e->fk.nr_inv_log = 0;
	EQ(pvb_iommufd_invalidate_all(e->ctx, NULL, true, &res), 0,
	   "invalidate_all");
	for (i = 0; i < 3; i++) {
		struct fk_inv v;

		memcpy(&v, e->fk.inv_log[i], sizeof(v));
		r->entries[i].scope = (uint8_t)(v.op - 0x1000);
	}
	OK(e->fk.nr_inv_log == 3 &&
		   r->entries[0].scope == VIRTIO_IOMMU_INV_S_CD_ALL &&
		   r->entries[1].scope == VIRTIO_IOMMU_INV_S_DOMAIN &&
		   r->entries[2].scope == VIRTIO_IOMMU_INV_S_ATC,
	   "  CD_ALL, DOMAIN, ATC");
	free(r);
	env_free(e);
}

/* vEVENTQ */

static void push(struct env *e, uint32_t flags, uint32_t seq, uint32_t sid)
{
	struct fk_rec rec = { sid, 8 };

	fk_push_event(&e->fk, flags, seq, &rec,
		      flags & IOMMU_VEVENTQ_FLAG_LOST_EVENTS ? 0 : sizeof(rec));
}

static void test_events(void)
{
	struct env *e = env_new(&fk_type, 4, 32);
	struct pvb_iommufd_event ev[4];
	struct pvb_iommufd_stats st;
	uint32_t lost;
	int n;

	EQ(pvb_iommufd_read_events(e->ctx, ev, 4, &lost), -ENODEV,
	   "read_events before the vEVENTQ exists is -ENODEV");
	attach_s1(e, &table_a);
	OK(pvb_iommufd_veventq_fd(e->ctx) >= FK_VEVENTQ_FD, "vEVENTQ fd");
	EQ(pvb_iommufd_read_events(e->ctx, ev, 4, &lost), 0,
	   "empty queue: 0 records");
	push(e, 0, 0, VSID);
	push(e, 0, 1, VSID);
	n = pvb_iommufd_read_events(e->ctx, ev, 4, &lost);
	OK(n == 2 && !lost && ev[0].sequence == 0 && ev[1].sequence == 1 &&
		   ev[1].fault.sid == VSID && ev[1].fault.reason == 8 &&
		   ev[1].code == 7,
	   "2 records decoded, none lost");
	push(e, 0, 2, VSID);
	push(e, IOMMU_VEVENTQ_FLAG_LOST_EVENTS, 5, 0);
	n = pvb_iommufd_read_events(e->ctx, ev, 4, &lost);
	EQ(n * 100 + lost, 103, "LOST_EVENTS header at seq 5 after 2: 3 lost");
	push(e, 0, 6, VSID);
	n = pvb_iommufd_read_events(e->ctx, ev, 4, &lost);
	OK(n == 1 && !lost, "  the next record continues the sequence");
	push(e, 0, 10, VSID);
	n = pvb_iommufd_read_events(e->ctx, ev, 4, &lost);
	OK(n == 1 && lost == 3, "a gap 7..9 in the sequence: 3 lost");
	push(e, 0, SEQ_MAX, VSID);
	push(e, 0, 0, VSID);
	n = pvb_iommufd_read_events(e->ctx, ev, 4, &lost);
	OK(n == 2 && lost == SEQ_MAX - 11, "sequence wraps at INT_MAX to 0");
	push(e, 0, 1, VSID);
	push(e, 0, 2, VSID);
	push(e, 0, 3, VSID);
	n = pvb_iommufd_read_events(e->ctx, ev, 1, &lost);
	OK(n == 1 && pvb_iommufd_read_events(e->ctx, ev, 4, &lost) == 2,
	   "max 1 reads one record, the rest later");
	fk_push_event(&e->fk, 0, 4, "ab", 2);
	EQ(pvb_iommufd_read_events(e->ctx, ev, 4, &lost), -EIO,
	   "a truncated record is -EIO");
	pvb_iommufd_get_stats(e->ctx, &st);
	OK(st.events == 10 && st.lost_events == 6 + SEQ_MAX - 11,
	   "stats: events and lost events counted");
	env_free(e);
	e = env_new(&fk_type, 0, 32);
	attach_s1(e, &table_a);
	OK(pvb_iommufd_veventq_fd(e->ctx) == -1 &&
		   pvb_iommufd_read_events(e->ctx, ev, 4, &lost) == -ENODEV &&
		   !fk_live(&e->fk, FK_VEVENTQ),
	   "depth 0: no vEVENTQ");
	env_free(e);
}

/* Pinning */

static void test_pin_lazy_map(void)
{
	struct env *e = env_new(&fk_type, 0, 32);
	struct pvb_iommufd_domain *dom;
	struct pvb_iommufd_stats st;
	struct pvb_iommufd_ids ids;
	uint32_t dom_ioas;

	pvb_iommufd_domain_new(e->ctx, &dom);
	dom_ioas = pvb_iommufd_domain_ioas(dom);
	pvb_iommufd_dev_attach_domain(e->dev, dom);
	pvb_iommufd_get_ids(e->ctx, &ids);
	OK(!ids.pin_ioas && !fk_pinned(&e->fk, hva(e, 0), RAM_SIZE),
	   "domain + attach: no pinning IOAS, nothing pinned");
	EQ(pvb_iommufd_map(dom, IOVA, RAM_GPA + 4 * PG, 4 * PG,
			   PVB_MAP_READ | PVB_MAP_WRITE),
	   0, "map 4 pages");
	pvb_iommufd_get_ids(e->ctx, &ids);
	OK(ids.pin_ioas && ids.pin_hwpt &&
		   e->fk.obj[ids.pin_hwpt].ref == ids.pin_ioas,
	   "  pinning IOAS and its HWPT created");
	OK(fk_pinned(&e->fk, hva(e, 4), 4 * PG) == 4 &&
		   fk_pinned(&e->fk, hva(e, 0), RAM_SIZE) == 4,
	   "  exactly its 4 pages pinned");
	OK(e->fk.obj[ids.pin_ioas].nr_areas == 4 &&
		   e->fk.obj[dom_ioas].nr_areas == 4 &&
		   e->fk.last_copy_flags ==
			   (IOMMU_IOAS_MAP_FIXED_IOVA |
			    IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE),
	   "  one area per page in the pinning IOAS, copied to the domain");
	pvb_iommufd_get_stats(e->ctx, &st);
	OK(st.pin_calls == 4 && st.pin.misses == 4 && !st.pin.hits &&
		   st.pin.pinned_bytes == 4 * PG,
	   "  stats: 4 pins, 4 misses");
	EQ(pvb_iommufd_unmap(dom, IOVA, 4 * PG, NULL), 0, "unmap");
	pvb_iommufd_get_stats(e->ctx, &st);
	OK(!e->fk.obj[dom_ioas].nr_areas &&
		   fk_pinned(&e->fk, hva(e, 4), 4 * PG) == 4 &&
		   st.pin.cached_bytes == 4 * PG && !st.unpin_calls,
	   "  copy removed, pages stay pinned in the cache");
	EQ(pvb_iommufd_map(dom, IOVA + 0x100000, RAM_GPA + 4 * PG, 4 * PG,
			   PVB_MAP_READ),
	   0, "map the cached pages again");
	pvb_iommufd_get_stats(e->ctx, &st);
	OK(st.pin_calls == 4 && st.pin.hits == 4 && st.pin.misses == 4 &&
		   e->fk.last_copy_flags == (IOMMU_IOAS_MAP_FIXED_IOVA |
					     IOMMU_IOAS_MAP_READABLE),
	   "  4 hits, no new pin, read-only copy");
	env_free(e);
}

static void test_pin_memlock(void)
{
	struct env *e = env_new(&fk_type, 0, 8);
	struct pvb_iommufd_domain *dom;
	struct pvb_iommufd_stats st, st2;
	unsigned long calls;
	int ret;

	pvb_iommufd_domain_new(e->ctx, &dom);
	pvb_iommufd_dev_attach_domain(e->dev, dom);
	EQ(pvb_iommufd_map(dom, IOVA, RAM_GPA, 6 * PG, PVB_MAP_READ), 0,
	   "memlock 8 pages: map 6");
	pvb_iommufd_get_stats(e->ctx, &st);
	calls = e->fk.calls;
	ret = pvb_iommufd_map(dom, IOVA + 0x100000, RAM_GPA + 16 * PG, 4 * PG,
			      PVB_MAP_READ);
	EQ(ret, -ENOMEM, "  map 4 more: -ENOMEM");
	EQ(pvb_iommufd_status(ret), VIRTIO_IOMMU_S_NOMEM,
	   "  the status is VIRTIO_IOMMU_S_NOMEM");
	pvb_iommufd_get_stats(e->ctx, &st2);
	OK(e->fk.calls == calls && !memcmp(&st, &st2, sizeof(st)) &&
		   e->fk.obj[pvb_iommufd_domain_ioas(dom)].nr_areas == 6 &&
		   fk_pinned(&e->fk, hva(e, 0), RAM_SIZE) == 6,
	   "  no call made, the 6 mapped pages untouched");
	EQ(pvb_iommufd_unmap(dom, IOVA, 6 * PG, NULL), 0, "unmap the 6");
	EQ(pvb_iommufd_map(dom, IOVA + 0x100000, RAM_GPA + 16 * PG, 4 * PG,
			   PVB_MAP_READ),
	   0, "  now the 4 fit by evicting cached pages");
	pvb_iommufd_get_stats(e->ctx, &st);
	OK(st.pin.evictions == 2 && st.unpin_calls == 2 &&
		   fk_pinned(&e->fk, hva(e, 0), RAM_SIZE) == 8 &&
		   fk_pinned(&e->fk, hva(e, 0), 2 * PG) == 0,
	   "  2 least recently unmapped pages unpinned, 8 pinned");
	env_free(e);
}

static void test_pin_errors(void)
{
	struct env *e = env_new(&fk_type, 0, 32);
	struct pvb_iommufd_domain *dom;
	struct pvb_iommufd_stats st;
	uint64_t unmapped;

	pvb_iommufd_domain_new(e->ctx, &dom);
	pvb_iommufd_dev_free(e->dev);
	e->dev = NULL;
	EQ(pvb_iommufd_map(dom, IOVA, RAM_GPA, PG, PVB_MAP_READ), -ENODEV,
	   "map without any device is -ENODEV");
	pvb_iommufd_dev_new(e->ctx, e->dev_id, VSID, &fk_dev_ops,
			    FK_DEV(e->dev_id), &e->dev);
	EQ(pvb_iommufd_map(dom, IOVA, RAM_GPA + RAM_SIZE, PG, PVB_MAP_READ),
	   -EINVAL, "map outside guest RAM is -EINVAL");
	EQ(pvb_iommufd_map(dom, IOVA + 1, RAM_GPA, PG, PVB_MAP_READ), -EINVAL,
	   "map misaligned is -EINVAL");
	EQ(pvb_iommufd_map(dom, IOVA, RAM_GPA, PG, 0), -EINVAL,
	   "map without permission is -EINVAL");
	pvb_iommufd_map(dom, IOVA, RAM_GPA, 2 * PG, PVB_MAP_READ);
	pvb_iommufd_map(dom, IOVA + 2 * PG, RAM_GPA + 8 * PG, 2 * PG,
			PVB_MAP_READ);
	EQ(pvb_iommufd_map(dom, IOVA + PG, RAM_GPA + 20 * PG, PG, PVB_MAP_READ),
	   -EEXIST, "map over a mapping is -EEXIST");
	EQ(pvb_iommufd_unmap(dom, IOVA + PG, 2 * PG, &unmapped), -ERANGE,
	   "unmap splitting mappings is -ERANGE");
	EQ(pvb_iommufd_unmap(dom, IOVA + 0x10000, PG, &unmapped), 0,
	   "unmap of nothing is 0");
	EQ(pvb_iommufd_unmap(dom, 0, IOVA + 0x10000, &unmapped), 0,
	   "unmap covering two mappings");
	OK(unmapped == 4 * PG &&
		   !e->fk.obj[pvb_iommufd_domain_ioas(dom)].nr_areas,
	   "  both removed, 4 pages");
	e->fk.fail_at = e->fk.calls + 2; /* the IOAS_COPY after 1 pin */
	e->fk.fail_err = -EFAULT;
	EQ(pvb_iommufd_map(dom, IOVA, RAM_GPA + 30 * PG, PG, PVB_MAP_READ),
	   -EFAULT, "IOMMU_IOAS_COPY failure returned");
	pvb_iommufd_get_stats(e->ctx, &st);
	OK(!e->fk.obj[pvb_iommufd_domain_ioas(dom)].nr_areas &&
		   st.pin.cached_bytes == 5 * PG && st.maps == 2,
	   "  no mapping, the page it pinned is cached");
	e->fk.fail_at = e->fk.calls + 1; /* the pin */
	EQ(pvb_iommufd_map(dom, IOVA, RAM_GPA + 40 * PG, PG, PVB_MAP_READ),
	   -EFAULT, "pin failure returned");
	pvb_iommufd_get_stats(e->ctx, &st);
	OK(st.pin.pinned_bytes == 5 * PG &&
		   fk_pinned(&e->fk, hva(e, 40), PG) == 0,
	   "  nothing pinned for it");
	EQ(pvb_iommufd_map(dom, IOVA, RAM_GPA + 40 * PG, PG, PVB_MAP_READ), 0,
	   "  retry succeeds");
	env_free(e);
}

/* Teardown */

static void test_teardown(void)
{
	struct env *e = env_new(&fk_type, 4, 32);
	struct pvb_iommufd_domain *dom;
	struct pvb_iommufd_dev *d2;
	struct pvb_iommufd_dev_ids dids, dids2;
	struct pvb_iommufd_ids ids;
	uint32_t id2 = fk_add_device(&e->fk), dom_ioas, want[9];
	unsigned int i, n = 0, unmaps;
	bool order = true;

	pvb_iommufd_dev_new(e->ctx, id2, 9, &fk_dev_ops, FK_DEV(id2), &d2);
	attach_s1(e, &table_a);
	pvb_iommufd_domain_new(e->ctx, &dom);
	dom_ioas = pvb_iommufd_domain_ioas(dom);
	pvb_iommufd_dev_attach_domain(d2, dom);
	pvb_iommufd_map(dom, IOVA, RAM_GPA, 2 * PG, PVB_MAP_READ);
	pvb_iommufd_get_ids(e->ctx, &ids);
	pvb_iommufd_dev_get_ids(e->dev, &dids);
	pvb_iommufd_dev_get_ids(d2, &dids2);
	e->fk.nr_destroyed = 0;
	unmaps = fk_count(&e->fk, IOMMU_IOAS_UNMAP);
	pvb_iommufd_free(e->ctx);
	e->ctx = NULL;
	/* Devices first (nested HWPT, vDEVICE), then domains, pins, nest */
	want[n++] = dids.nested_hwpt;
	want[n++] = dids.vdevice;
	want[n++] = dids2.attached; /* the kernel's, at detach */
	want[n++] = dom_ioas;
	want[n++] = ids.pin_hwpt;
	want[n++] = ids.pin_ioas;
	want[n++] = ids.veventq;
	want[n++] = ids.viommu;
	want[n++] = ids.parent_hwpt;
	for (i = 0; i < n; i++)
		if (e->fk.destroyed[i] != want[i])
			order = false;
	OK(order && e->fk.destroyed[n] == ids.ram_ioas &&
		   e->fk.nr_destroyed == n + 1,
	   "free: dependents first, every object destroyed");
	OK(!fk_live_all(&e->fk) && !e->fk.open_fds &&
		   !fk_pinned(&e->fk, hva(e, 0), RAM_SIZE) &&
		   !e->fk.obj[e->dev_id].attached && !e->fk.obj[id2].attached,
	   "  nothing left: objects, fds, pins, attachments");
	EQ(fk_count(&e->fk, IOMMU_IOAS_UNMAP), unmaps,
	   "  pins released with the pinning IOAS, not page by page");
	env_free(e);
}

/* Arm SMMUv3 types and VFIO attach */

static void test_arm(void)
{
	const struct pvb_iommufd_type *t = &pvb_iommufd_type_arm_smmuv3;
	struct env *e = env_new(t, 4, 32);
	const struct pvb_s1_table tab = {
		.s1contextptr = 0x40010000, .s1fmt = 1, .s1cdmax = 4, .s1dss = 1
	};
	struct pvb_nest_cfg cfg = { PVB_NEST_S1, &tab, PVB_STE_EATS };
	const uint32_t sids[] = { VSID };
	struct pvb_arm_caps caps = { .asid_bits = 16,
				     .granules = VIRTIO_IOMMU_ARM_GRAN_4K,
				     .flags = VIRTIO_IOMMU_ARM_F_RIL };
	const struct pvb_smmu_cmd_ctx cctx = { &caps, sids, 1 };
	struct pvb_invalidate *r = req_new(3);
	struct pvb_iommufd_inv_result res;
	struct pvb_iommufd_dev_ids d;
	struct pvb_iommufd_event ev;
	uint64_t ste[2], cmd[2], evt[4] = { 0 };
	uint32_t lost;
	int n;

	OK(t->viommu_type == IOMMU_VIOMMU_TYPE_ARM_SMMUV3 &&
		   t->hwpt_data_type == IOMMU_HWPT_DATA_ARM_SMMUV3 &&
		   t->inv_data_type ==
			   IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3 &&
		   t->veventq_type == IOMMU_VEVENTQ_TYPE_ARM_SMMUV3 &&
		   t->hwpt_data_len == 16 && t->inv_entry_len == 16 &&
		   t->vevent_len == 32,
	   "arm-smmuv3 type: the uAPI data types and sizes");
	EQ(pvb_iommufd_dev_attach_nested(e->dev, &cfg), 0,
	   "arm-smmuv3: attach_nested");
	pvb_iommufd_dev_get_ids(e->dev, &d);
	pvb_smmu_make_s1_ste(&tab, PVB_STE_EATS, ste);
	OK(!memcmp(e->fk.obj[d.nested_hwpt].data, ste, 16) &&
		   e->fk.obj[d.nested_hwpt].data_len == 16,
	   "  nested HWPT data is pvb_smmu_make_s1_ste()");
	cfg.kind = PVB_NEST_ABORT;
	pvb_iommufd_dev_attach_nested(e->dev, &cfg);
	pvb_iommufd_dev_get_ids(e->dev, &d);
	pvb_smmu_make_abort_ste(ste);
	OK(!memcmp(e->fk.obj[d.nested_hwpt].data, ste, 16),
	   "  abort vSTE for PVB_NEST_ABORT");
	r->entries[0].scope = VIRTIO_IOMMU_INV_S_ATC;
	r->entries[0].size = PG;
	r->entries[1].scope = VIRTIO_IOMMU_INV_S_ASID;
	r->entries[1].asid = 5;
	r->entries[2].scope = VIRTIO_IOMMU_INV_S_CD;
	EQ(pvb_iommufd_invalidate(e->ctx, r, &cctx, &res), 0,
	   "arm-smmuv3: invalidate ATC, ASID, CD");
	memcpy(cmd, e->fk.inv_log[1], 16);
	OK(res.calls == 3 && e->fk.nr_inv_log == 3 &&
		   (e->fk.inv_log[0][0] == 0x40) &&
		   (e->fk.inv_log[1][0] == 0x11) && (cmd[0] >> 48) == 5 &&
		   (e->fk.inv_log[2][0] == 0x05),
	   "  ATC_INV, TLBI_NH_ASID(5), CFGI_CD in 3 calls");
	evt[0] = 0x10 | (uint64_t)VSID << 32;
	evt[2] = 0x1234000;
	fk_push_event(&e->fk, 0, 0, evt, sizeof(evt));
	n = pvb_iommufd_read_events(e->ctx, &ev, 1, &lost);
	OK(n == 1 && ev.code == 0x10 && ev.fault.sid == VSID &&
		   ev.fault.reason == VIRTIO_IOMMU_FAULT_R_S1_TRANSLATION &&
		   ev.fault.address == 0x1234000,
	   "  vEVENTQ F_TRANSLATION record decoded");
	free(r);
	env_free(e);
}

static void test_arm_caps_vfio(void)
{
	struct env *e = env_new(&fk_type, 0, 32);
	struct iommu_hw_info_arm_smmuv3 info = { 0 };
	struct pvb_arm_caps caps, want;
	struct pvb_iommufd_dev *vdev;
	struct pvb_iommufd_dev_ids d;
	uint32_t id2 = fk_add_device(&e->fk);
	int fd = FK_VFIO_FD + (int)id2, ret;

	info.idr[0] = 0x0d44101b;
	info.idr[1] = 0x02730010;
	info.idr[3] = 0x00001514;
	info.idr[5] = 0x74;
	memcpy(e->fk.hw_info, &info, sizeof(info));
	e->fk.hw_info_type = 1;
	EQ(pvb_iommufd_arm_caps(e->ctx, e->dev_id, 44, false, &caps), -ENODEV,
	   "arm_caps: not an SMMUv3 is -ENODEV");
	e->fk.hw_info_type = IOMMU_HW_INFO_TYPE_ARM_SMMUV3;
	ret = pvb_iommufd_arm_caps(e->ctx, e->dev_id, 44, false, &caps);
	pvb_smmu_caps_from_idr(info.idr, 44, false, &want);
	OK(!ret && !memcmp(&caps, &want, sizeof(caps)),
	   "arm_caps: IOMMU_GET_HW_INFO IDRs through pvb_smmu_caps_from_idr");

	pvb_iommufd_dev_new(e->ctx, id2, 3, &pvb_iommufd_vfio_dev_ops, &fd,
			    &vdev);
	attach_s1(e, &table_a); /* the nest, from the first device */
	EQ(pvb_iommufd_dev_attach_nested(
		   vdev, &(struct pvb_nest_cfg){ PVB_NEST_BYPASS, NULL, 0 }),
	   0, "vfio ops: attach");
	pvb_iommufd_dev_get_ids(vdev, &d);
	OK(e->fk.nr_vfio_attach == 1 &&
		   e->fk.last_vfio_argsz ==
			   sizeof(struct vfio_device_attach_iommufd_pt) &&
		   e->fk.obj[id2].attached == d.nested_hwpt,
	   "  VFIO_DEVICE_ATTACH_IOMMUFD_PT on the device fd");
	EQ(pvb_iommufd_dev_detach(vdev), 0, "vfio ops: detach");
	OK(e->fk.nr_vfio_detach == 1 && !e->fk.obj[id2].attached &&
		   e->fk.last_vfio_argsz ==
			   sizeof(struct vfio_device_detach_iommufd_pt),
	   "  VFIO_DEVICE_DETACH_IOMMUFD_PT");
	env_free(e);
}

static void test_status(void)
{
	OK(pvb_iommufd_status(0) == VIRTIO_IOMMU_S_OK &&
		   pvb_iommufd_status(-ENOMEM) == VIRTIO_IOMMU_S_NOMEM &&
		   pvb_iommufd_status(-EINVAL) == VIRTIO_IOMMU_S_INVAL &&
		   pvb_iommufd_status(-EEXIST) == VIRTIO_IOMMU_S_INVAL &&
		   pvb_iommufd_status(-ENOENT) == VIRTIO_IOMMU_S_NOENT &&
		   pvb_iommufd_status(-ERANGE) == VIRTIO_IOMMU_S_RANGE &&
		   pvb_iommufd_status(-EOPNOTSUPP) == VIRTIO_IOMMU_S_UNSUPP &&
		   pvb_iommufd_status(-EIO) == VIRTIO_IOMMU_S_DEVERR,
	   "status: errno to virtio-iommu status");
}

static void test_iommufd(void)
{
	fk_type_cls = fk_type;
	fk_type_cls.inv_class = fk_inv_class;
	tap_diag("iommufd: backend against a fake iommufd");
	test_context();
	test_nested();
	test_nested_fail_nth();
	test_replace_fail();
	test_devices();
	test_invalidate();
	test_invalidate_batches();
	test_events();
	test_pin_lazy_map();
	test_pin_memlock();
	test_pin_errors();
	test_teardown();
	test_arm();
	test_arm_caps_vfio();
	test_status();
}

int __real_tap_finish(void);
int __wrap_tap_finish(void);

int __wrap_tap_finish(void)
{
	test_iommufd();
	return __real_tap_finish();
}
