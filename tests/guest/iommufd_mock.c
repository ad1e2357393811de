// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * iommufd_mock: host-backend's iommufd backend (host-backend/src/iommufd*.c)
 * against the kernel's own iommufd mock (CONFIG_IOMMUFD_TEST), in the guest.
 *
 * The mock device (IOMMU_TEST_OP_MOCK_DOMAIN) stands for a VFIO device, the
 * kernel's selftest data types for the SMMUv3 ones, and an mmap'd buffer for
 * guest RAM at GPA RAM_GPA. Everything goes through host-backend's API; the
 * mock's check operations (MD_CHECK_REFS: pinned pages, MD_CHECK_MAP: what
 * a domain maps, MD_CHECK_IOTLB: the nested HWPT's data, DEV_CHECK_CACHE:
 * which invalidations ran, TRIGGER_VEVENT) observe the kernel's side, and a
 * recording ioctl layer checks that every object the backend allocated is
 * destroyed.
 *
 * Output: TAP from the kselftest harness (tools/testing/selftests in the
 * kernel tree, included from there at build time).
 */
// guest-sources: host-backend/src/*.c
// guest-cflags: -I@TOP@/host-backend/include -I@LINUX_SRC@/tools/testing/selftests -I@LINUX_SRC@/drivers/iommu/iommufd
// guest-deps: host-backend/include/pvb/*.h host-backend/src/*.h tests/guest/iommufd_rec.h
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/iommufd.h>

#include "iommufd_test.h" /* drivers/iommu/iommufd: the mock's uAPI */
#include "kselftest_harness.h"

#include "iommufd_rec.h"

#include "pvb/iommufd.h"

#define PG	  4096ULL
#define RAM_GPA	  0x40000000ULL /* inside the mock's aperture [16M, 2G) */
#define RAM_PAGES 64
#define RAM_SIZE  (RAM_PAGES * PG)
#define IOVA	  0x1000000ULL
#define VSID	  0x99u
#define DEPTH	  2 /* vEVENTQ depth */
#define MEMLOCK	  8 /* pin cache limit, pages */
#define CACHE_DEF IOMMU_TEST_DEV_CACHE_DEFAULT

/* The kernel selftest data types, as a pvb_iommufd_type */

static uint32_t tag_of(const struct pvb_nest_cfg *cfg)
{
	switch (cfg->kind) {
	case PVB_NEST_S1:
		return (uint32_t)(cfg->table->s1contextptr >> 12);
	case PVB_NEST_BYPASS:
		return 0xb1b1;
	default:
		return 0xab0;
	}
}

/* The mock fills its nested IOTLB entries with the data's iotlb */
static int st_encode_hwpt(const struct pvb_nest_cfg *cfg, void *data)
{
	struct iommu_hwpt_selftest d = { .iotlb = tag_of(cfg) };

	memcpy(data, &d, sizeof(d));
	return 0;
}

static size_t st_inv_max(const void *inv_ctx)
{
	(void)inv_ctx;
	return 1;
}

/*
 * An ASID, VA or CD entry invalidates the mock device's cache entry of that
 * number (ASID, SSID); the mock rejects a number above 3. Other scopes
 * invalidate all of them. inv_ctx is the vDEVICE's virtual ID.
 */
static int st_encode_inv(const struct pvb_inv_entry *e, const void *inv_ctx,
			 void *out, size_t cap)
{
	struct iommu_viommu_invalidate_selftest c = {
		.vdev_id = *(const uint32_t *)inv_ctx,
	};

	if (!cap)
		return -ENOSPC;
	switch (e->scope) {
	case VIRTIO_IOMMU_INV_S_ASID:
	case VIRTIO_IOMMU_INV_S_VA:
		c.cache_id = e->asid;
		break;
	case VIRTIO_IOMMU_INV_S_CD:
		c.cache_id = e->ssid;
		break;
	default:
		c.flags = IOMMU_TEST_INVALIDATE_FLAG_ALL;
	}
	memcpy(out, &c, sizeof(c));
	return 1;
}

static int st_decode(const void *record, struct pvb_fault *fault)
{
	struct iommu_viommu_event_selftest ev;

	memcpy(&ev, record, sizeof(ev));
	fault->sid = ev.virt_id;
	fault->reason = VIRTIO_IOMMU_FAULT_R_UNKNOWN;
	return 0;
}

static const struct pvb_iommufd_type selftest_type = {
	.name = "iommufd-selftest",
	.viommu_type = IOMMU_VIOMMU_TYPE_SELFTEST,
	.hwpt_data_type = IOMMU_HWPT_DATA_SELFTEST,
	.hwpt_data_len = sizeof(struct iommu_hwpt_selftest),
	.encode_hwpt = st_encode_hwpt,
	.inv_data_type = IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST,
	.inv_entry_len = sizeof(struct iommu_viommu_invalidate_selftest),
	.inv_max_per_entry = st_inv_max,
	.encode_inv = st_encode_inv,
	.veventq_type = IOMMU_VEVENTQ_TYPE_SELFTEST,
	.vevent_len = sizeof(struct iommu_viommu_event_selftest),
	.decode_vevent = st_decode,
};

/* The mock */

static int test_cmd(int fd, struct iommu_test_cmd *cmd)
{
	cmd->size = sizeof(*cmd);
	return ioctl(fd, IOMMU_TEST_CMD, cmd) ? -errno : 0;
}

/* Pages of [hva, hva + len) pinned @refs times each (MD_CHECK_REFS) */
static int check_refs(int fd, const void *hva, uint64_t len, uint32_t refs)
{
	struct iommu_test_cmd c = {
		.op = IOMMU_TEST_OP_MD_CHECK_REFS,
		.check_refs = { .length = len,
				.uptr = (uintptr_t)hva,
				.refs = refs },
	};

	return test_cmd(fd, &c);
}

/* The mock domain @hwpt maps [iova, iova + len) to @hva's pages */
static int check_map(int fd, uint32_t hwpt, uint64_t iova, uint64_t len,
		     const void *hva)
{
	struct iommu_test_cmd c = {
		.op = IOMMU_TEST_OP_MD_CHECK_MAP,
		.id = hwpt,
		.check_map = { .iova = iova,
			       .length = len,
			       .uptr = (uintptr_t)hva },
	};

	return test_cmd(fd, &c);
}

static int check_iotlb(int fd, uint32_t hwpt, uint32_t entry, uint32_t val)
{
	struct iommu_test_cmd c = {
		.op = IOMMU_TEST_OP_MD_CHECK_IOTLB,
		.id = hwpt,
		.check_iotlb = { .id = entry, .iotlb = val },
	};

	return test_cmd(fd, &c);
}

static int check_cache(int fd, uint32_t dev_id, uint32_t entry, uint32_t val)
{
	struct iommu_test_cmd c = {
		.op = IOMMU_TEST_OP_DEV_CHECK_CACHE,
		.id = dev_id,
		.check_dev_cache = { .id = entry, .cache = val },
	};

	return test_cmd(fd, &c);
}

static int trigger_vevent(int fd, uint32_t dev_id)
{
	struct iommu_test_cmd c = {
		.op = IOMMU_TEST_OP_TRIGGER_VEVENT,
		.trigger_vevent = { .dev_id = dev_id },
	};

	return test_cmd(fd, &c);
}

static int destroy(int fd, uint32_t id)
{
	struct iommu_destroy d = { .size = sizeof(d), .id = id };

	return ioctl(fd, IOMMU_DESTROY, &d) ? -errno : 0;
}

static bool mock_present(int fd)
{
	return !check_refs(fd, NULL, 0, 0);
}

/*
 * Attach operations of the mock device: IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE
 * (the VFIO cdev's VFIO_DEVICE_ATTACH_IOMMUFD_PT); the mock cannot detach,
 * so detach parks the device on an empty IOAS, where it reaches nothing.
 */
struct mock_dev {
	int fd;
	uint32_t stdev_id;
	uint32_t park_ioas;
};

static int mock_dev_attach(const struct pvb_iommufd_sys *sys, void *opaque,
			   uint32_t *pt_id)
{
	struct mock_dev *m = opaque;
	struct iommu_test_cmd c = {
		.size = sizeof(c),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
		.id = m->stdev_id,
		.mock_domain_replace = { .pt_id = *pt_id },
	};
	int ret = sys->ioctl(sys->opaque, m->fd, IOMMU_TEST_CMD, &c);

	if (!ret)
		*pt_id = c.mock_domain_replace.pt_id;
	return ret;
}

static int mock_dev_detach(const struct pvb_iommufd_sys *sys, void *opaque)
{
	uint32_t pt = ((struct mock_dev *)opaque)->park_ioas;

	return mock_dev_attach(sys, opaque, &pt);
}

static const struct pvb_iommufd_dev_ops mock_ops = { mock_dev_attach,
						     mock_dev_detach };

/* Without the mock nothing here can run: that is a failure, not a skip */
TEST(kernel_mock)
{
	int fd = open("/dev/iommu", O_RDWR);

	if (fd < 0)
		TH_LOG("no /dev/iommu: the kernel needs CONFIG_IOMMUFD");
	ASSERT_LE(0, fd);
	if (!mock_present(fd))
		TH_LOG("no iommufd mock: the kernel needs CONFIG_IOMMUFD_TEST, "
		       "which depends on FAULT_INJECTION and "
		       "RUNTIME_TESTING_MENU");
	EXPECT_TRUE(mock_present(fd));
	close(fd);
}

/* Fixture: /dev/iommu, a mock device, guest RAM, a backend context */

FIXTURE(mock)
{
	int fd;
	uint32_t dev_id;
	uint8_t *ram;
	struct mock_dev mdev;
	struct rec rec;
	struct pvb_iommufd_sys sys;
	struct pvb_iommufd *ctx;
	struct pvb_iommufd_dev *dev;
	uint32_t vsid;
};

static struct pvb_iommufd *ctx_new(FIXTURE_DATA(mock) * self,
				   const struct pvb_iommufd_type *type)
{
	struct pvb_iommufd_cfg cfg = {
		.iommufd = self->fd,
		.type = type,
		.sys = &self->sys,
		.veventq_depth = DEPTH,
		.pin = { .cache_bytes = MEMLOCK * PG,
			 .memlock_bytes = MEMLOCK * PG },
	};
	struct pvb_iommufd *ctx;

	if (pvb_iommufd_new(&cfg, &ctx))
		return NULL;
	if (pvb_iommufd_ram_map(ctx, RAM_GPA, RAM_SIZE, self->ram)) {
		pvb_iommufd_free(ctx);
		return NULL;
	}
	return ctx;
}

FIXTURE_SETUP(mock)
{
	struct iommu_ioas_alloc ioas = { .size = sizeof(ioas) };
	struct iommu_test_cmd md = { .op = IOMMU_TEST_OP_MOCK_DOMAIN };

	self->fd = open("/dev/iommu", O_RDWR);
	ASSERT_NE(-1, self->fd);
	if (!mock_present(self->fd))
		SKIP(return, "no iommufd mock (CONFIG_IOMMUFD_TEST)");
	/* The mock device, bound and parked on an empty IOAS */
	ASSERT_EQ(0, ioctl(self->fd, IOMMU_IOAS_ALLOC, &ioas));
	md.id = ioas.out_ioas_id;
	ASSERT_EQ(0, test_cmd(self->fd, &md));
	self->mdev = (struct mock_dev){ self->fd, md.mock_domain.out_stdev_id,
					ioas.out_ioas_id };
	self->dev_id = md.mock_domain.out_idev_id;
	self->vsid = VSID;
	/* Guest RAM: small pages, populated */
	self->ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->ram);
	madvise(self->ram, RAM_SIZE, MADV_NOHUGEPAGE);
	memset(self->ram, 0x5a, RAM_SIZE);
	self->sys = (struct pvb_iommufd_sys){
		.ioctl = rec_ioctl,
		.read = pvb_iommufd_sys_default.read,
		.close = pvb_iommufd_sys_default.close,
		.opaque = &self->rec,
	};
	self->ctx = ctx_new(self, &selftest_type);
	ASSERT_NE(NULL, self->ctx);
	ASSERT_EQ(0, pvb_iommufd_dev_new(self->ctx, self->dev_id, VSID,
					 &mock_ops, &self->mdev, &self->dev));
}

FIXTURE_TEARDOWN(mock)
{
	int fd;

	pvb_iommufd_free(self->ctx);
	EXPECT_EQ(0U, self->rec.nr_live);
	EXPECT_EQ(0U, self->rec.stray_destroys);
	EXPECT_EQ(0, destroy(self->fd, self->mdev.stdev_id));
	EXPECT_EQ(0, destroy(self->fd, self->mdev.park_ioas));
	EXPECT_EQ(0, close(self->fd));
	/* Nothing stays pinned once the iommufd is gone */
	fd = open("/dev/iommu", O_RDWR);
	EXPECT_EQ(0, check_refs(fd, self->ram, RAM_SIZE, 0));
	close(fd);
	munmap(self->ram, RAM_SIZE);
}

static const struct pvb_s1_table table_a = { .s1contextptr = RAM_GPA + PG };
static const struct pvb_s1_table table_b = { .s1contextptr = RAM_GPA + 2 * PG };

static int attach_kind(FIXTURE_DATA(mock) * self, enum pvb_nest_kind kind,
		       const struct pvb_s1_table *t)
{
	struct pvb_nest_cfg cfg = { kind, t, 0 };

	return pvb_iommufd_dev_attach_nested(self->dev, &cfg);
}

static uint8_t *page(FIXTURE_DATA(mock) * self, unsigned int n)
{
	return self->ram + n * PG;
}

static struct pvb_iommufd_dev_ids dev_ids(FIXTURE_DATA(mock) * self)
{
	struct pvb_iommufd_dev_ids d;

	pvb_iommufd_dev_get_ids(self->dev, &d);
	return d;
}

static struct pvb_iommufd_ids ctx_ids(FIXTURE_DATA(mock) * self)
{
	struct pvb_iommufd_ids ids;

	pvb_iommufd_get_ids(self->ctx, &ids);
	return ids;
}

static struct pvb_iommufd_stats stats(FIXTURE_DATA(mock) * self)
{
	struct pvb_iommufd_stats st;

	pvb_iommufd_get_stats(self->ctx, &st);
	return st;
}

/* Nesting */

TEST_F(mock, hw_info)
{
	struct iommu_test_hw_info info = { 0 };
	uint32_t type = 0;

	ASSERT_EQ(0, pvb_iommufd_get_hw_info(self->ctx, self->dev_id, &info,
					     sizeof(info), &type));
	EXPECT_EQ(IOMMU_HW_INFO_TYPE_SELFTEST, type);
	EXPECT_EQ(IOMMU_HW_INFO_SELFTEST_REGVAL, info.test_reg);
}

/* Guest RAM is pinned when the nest parent is created, not before */
TEST_F(mock, lazy_stage2)
{
	struct pvb_iommufd_ids ids;

	EXPECT_EQ(0, check_refs(self->fd, self->ram, RAM_SIZE, 0));
	EXPECT_EQ(0U, ctx_ids(self).parent_hwpt);
	ASSERT_EQ(0, attach_kind(self, PVB_NEST_S1, &table_a));
	ids = ctx_ids(self);
	ASSERT_NE(0U, ids.parent_hwpt);
	EXPECT_EQ(0, check_refs(self->fd, self->ram, RAM_SIZE, 1));
	/* The stage 2 maps guest RAM at IOVA = GPA */
	EXPECT_EQ(0, check_map(self->fd, ids.parent_hwpt, RAM_GPA, RAM_SIZE,
			       self->ram));
}

TEST_F(mock, nested_attach)
{
	struct pvb_iommufd_event ev[2];
	struct pvb_iommufd_dev_ids d;
	struct pvb_iommufd_ids ids;
	uint32_t lost, i;

	ASSERT_EQ(0, attach_kind(self, PVB_NEST_S1, &table_a));
	ids = ctx_ids(self);
	d = dev_ids(self);
	EXPECT_NE(0U, ids.viommu);
	EXPECT_NE(0U, ids.veventq);
	EXPECT_NE(0U, d.vdevice);
	ASSERT_NE(0U, d.nested_hwpt);
	EXPECT_EQ(d.nested_hwpt, d.attached);
	/* The nested HWPT got the encoded data */
	for (i = 0; i < MOCK_NESTED_DOMAIN_IOTLB_NUM; i++)
		EXPECT_EQ(0, check_iotlb(self->fd, d.nested_hwpt, i,
					 (RAM_GPA + PG) >> 12));
	/* Attached through the vIOMMU with the vDEVICE's virtual ID */
	ASSERT_EQ(0, trigger_vevent(self->fd, self->dev_id));
	ASSERT_EQ(1, pvb_iommufd_read_events(self->ctx, ev, 2, &lost));
	EXPECT_EQ(VSID, ev[0].fault.sid);
	EXPECT_EQ(0U, lost);
}

TEST_F(mock, replace)
{
	struct pvb_iommufd_event ev;
	uint32_t a, b, c, lost;

	ASSERT_EQ(0, attach_kind(self, PVB_NEST_S1, &table_a));
	a = dev_ids(self).nested_hwpt;
	ASSERT_EQ(0, attach_kind(self, PVB_NEST_S1, &table_b));
	b = dev_ids(self).nested_hwpt;
	ASSERT_NE(a, b);
	EXPECT_EQ(b, dev_ids(self).attached);
	EXPECT_EQ(0, check_iotlb(self->fd, b, 0, (RAM_GPA + 2 * PG) >> 12));
	/*
	 * The replaced HWPT is gone. The kernel hands out object IDs with
	 * xa_alloc() (lowest free ID, _iommufd_object_alloc()), so a freed ID
	 * is reused by the next object: check it before allocating again.
	 */
	EXPECT_EQ(-ENOENT, destroy(self->fd, a));
	ASSERT_EQ(0, trigger_vevent(self->fd, self->dev_id));
	EXPECT_EQ(1, pvb_iommufd_read_events(self->ctx, &ev, 1, &lost));
	/* Bypass and abort configurations */
	ASSERT_EQ(0, attach_kind(self, PVB_NEST_BYPASS, NULL));
	EXPECT_EQ(-ENOENT, destroy(self->fd, b));
	c = dev_ids(self).nested_hwpt;
	EXPECT_EQ(0, check_iotlb(self->fd, c, 0, 0xb1b1));
	ASSERT_EQ(0, attach_kind(self, PVB_NEST_ABORT, NULL));
	EXPECT_EQ(-ENOENT, destroy(self->fd, c));
	EXPECT_EQ(0,
		  check_iotlb(self->fd, dev_ids(self).nested_hwpt, 0, 0xab0));
}

TEST_F(mock, detach)
{
	uint32_t vdevice;

	ASSERT_EQ(0, attach_kind(self, PVB_NEST_S1, &table_a));
	vdevice = dev_ids(self).vdevice;
	ASSERT_EQ(0, pvb_iommufd_dev_detach(self->dev));
	EXPECT_EQ(0U, dev_ids(self).nested_hwpt);
	EXPECT_EQ(0U, dev_ids(self).attached);
	EXPECT_EQ(vdevice, dev_ids(self).vdevice);
	/* Off the vIOMMU: the mock has no vIOMMU to report to */
	EXPECT_EQ(-ENOENT, trigger_vevent(self->fd, self->dev_id));
	ASSERT_EQ(0, attach_kind(self, PVB_NEST_S1, &table_a));
	EXPECT_EQ(0, trigger_vevent(self->fd, self->dev_id));
}

/* Invalidation on the vIOMMU */

static void cache_expect(struct __test_metadata *_metadata, int fd,
			 uint32_t dev_id, const uint32_t want[4])
{
	uint32_t i;
	int ret;

	for (i = 0; i < MOCK_DEV_CACHE_NUM; i++) {
		ret = check_cache(fd, dev_id, i, want[i]);
		if (ret)
			TH_LOG("mock cache entry %u is not 0x%x", i, want[i]);
		EXPECT_EQ(0, ret);
	}
}

static struct pvb_inv_entry asid_entry(uint16_t asid)
{
	return (struct pvb_inv_entry){ .scope = VIRTIO_IOMMU_INV_S_ASID,
				       .asid = asid };
}

TEST_F(mock, invalidate)
{
	struct pvb_invalidate req = { .nr_entries = 2 };
	struct pvb_iommufd_inv_result res;
	uint32_t done;

	ASSERT_EQ(0, attach_kind(self, PVB_NEST_S1, &table_a));
	cache_expect(_metadata, self->fd, self->dev_id,
		     (uint32_t[]){ CACHE_DEF, CACHE_DEF, CACHE_DEF,
				   CACHE_DEF });
	EXPECT_EQ(0,
		  pvb_iommufd_invalidate_raw(self->ctx, NULL, 0, &done, NULL));
	req.entries[0] = asid_entry(0);
	req.entries[1] = asid_entry(1);
	ASSERT_EQ(0,
		  pvb_iommufd_invalidate(self->ctx, &req, &self->vsid, &res));
	EXPECT_EQ(2U, res.done_entries);
	EXPECT_EQ(-1, res.failed_entry);
	cache_expect(_metadata, self->fd, self->dev_id,
		     (uint32_t[]){ 0, 0, CACHE_DEF, CACHE_DEF });
	ASSERT_EQ(0, pvb_iommufd_invalidate_all(self->ctx, &self->vsid, true,
						&res));
	cache_expect(_metadata, self->fd, self->dev_id,
		     (uint32_t[]){ 0, 0, 0, 0 });
}

/* The mock rejects cache entry 7: entries after it must not run */
TEST_F(mock, invalidate_partial)
{
	struct pvb_invalidate req = { .nr_entries = 3 };
	struct pvb_iommufd_inv_result res;

	ASSERT_EQ(0, attach_kind(self, PVB_NEST_S1, &table_a));
	req.entries[0] = asid_entry(2);
	req.entries[1] = asid_entry(7);
	req.entries[2] = asid_entry(3);
	EXPECT_EQ(-EINVAL,
		  pvb_iommufd_invalidate(self->ctx, &req, &self->vsid, &res));
	EXPECT_EQ(1, res.failed_entry);
	EXPECT_EQ(1U, res.done_entries);
	EXPECT_EQ(1U, res.done_cmds);
	EXPECT_EQ(1U, res.calls);
	cache_expect(_metadata, self->fd, self->dev_id,
		     (uint32_t[]){ CACHE_DEF, CACHE_DEF, 0, CACHE_DEF });
	EXPECT_EQ(1U, stats(self).inv_failures);
}

/* vEVENTQ */

TEST_F(mock, vevent)
{
	struct pvb_iommufd_event ev[4];
	struct pollfd pfd = { .events = POLLIN };
	uint32_t lost;

	ASSERT_EQ(0, attach_kind(self, PVB_NEST_S1, &table_a));
	pfd.fd = pvb_iommufd_veventq_fd(self->ctx);
	ASSERT_LE(0, pfd.fd);
	EXPECT_EQ(0, pvb_iommufd_read_events(self->ctx, ev, 4, &lost));
	ASSERT_EQ(0, trigger_vevent(self->fd, self->dev_id));
	ASSERT_EQ(0, trigger_vevent(self->fd, self->dev_id));
	EXPECT_EQ(1, poll(&pfd, 1, 1000));
	ASSERT_EQ(2, pvb_iommufd_read_events(self->ctx, ev, 4, &lost));
	EXPECT_EQ(0U, lost);
	EXPECT_EQ(ev[0].sequence + 1, ev[1].sequence);
	EXPECT_EQ(VSID, ev[1].fault.sid);
	EXPECT_EQ(VIRTIO_IOMMU_FAULT_R_UNKNOWN, ev[1].fault.reason);
}

/* Three events in a queue of two: the third is reported lost */
TEST_F(mock, vevent_lost)
{
	struct pvb_iommufd_event ev[4];
	uint32_t lost, seq;

	ASSERT_EQ(0, attach_kind(self, PVB_NEST_S1, &table_a));
	ASSERT_EQ(0, trigger_vevent(self->fd, self->dev_id));
	ASSERT_EQ(0, trigger_vevent(self->fd, self->dev_id));
	ASSERT_EQ(0, trigger_vevent(self->fd, self->dev_id));
	ASSERT_EQ(2, pvb_iommufd_read_events(self->ctx, ev, 4, &lost));
	EXPECT_EQ(1U, lost);
	seq = ev[1].sequence;
	ASSERT_EQ(0, trigger_vevent(self->fd, self->dev_id));
	ASSERT_EQ(1, pvb_iommufd_read_events(self->ctx, ev, 4, &lost));
	EXPECT_EQ(0U, lost);
	EXPECT_EQ(seq + 2, ev[0].sequence);
	EXPECT_EQ(1U, stats(self).lost_events);
}

/* A kernel error midway: what was allocated is destroyed, pins released */
TEST_F(mock, rollback)
{
	struct pvb_iommufd *arm = ctx_new(self, &pvb_iommufd_type_arm_smmuv3);
	struct pvb_nest_cfg cfg = { PVB_NEST_S1, &table_a, 0 };
	struct pvb_iommufd_dev *dev;
	struct pvb_iommufd_ids ids;
	unsigned int live;

	ASSERT_NE(NULL, arm);
	live = self->rec.nr_live;
	ASSERT_EQ(0, pvb_iommufd_dev_new(arm, self->dev_id, VSID, &mock_ops,
					 &self->mdev, &dev));
	/* The nest parent is allocated, then the vIOMMU type is refused */
	EXPECT_EQ(-EOPNOTSUPP, pvb_iommufd_dev_attach_nested(dev, &cfg));
	EXPECT_EQ(1U, rec_count(&self->rec, IOMMU_VIOMMU_ALLOC));
	pvb_iommufd_get_ids(arm, &ids);
	EXPECT_EQ(0U, ids.parent_hwpt);
	EXPECT_EQ(live, self->rec.nr_live);
	EXPECT_EQ(0, check_refs(self->fd, self->ram, RAM_SIZE, 0));
	pvb_iommufd_free(arm);
}

/* Teardown: every object destroyed, every pin released, fd still open */
TEST_F(mock, free_all)
{
	struct pvb_iommufd_domain *dom;
	struct pvb_iommufd_dev *dev2;
	struct iommu_test_cmd md = { .op = IOMMU_TEST_OP_MOCK_DOMAIN,
				     .id = self->mdev.park_ioas };
	struct mock_dev m2;
	uint32_t ids[16], n = 0, i;

	ASSERT_EQ(0, test_cmd(self->fd, &md));
	m2 = (struct mock_dev){ self->fd, md.mock_domain.out_stdev_id,
				self->mdev.park_ioas };
	ASSERT_EQ(0, pvb_iommufd_dev_new(self->ctx, md.mock_domain.out_idev_id,
					 0x77, &mock_ops, &m2, &dev2));
	ASSERT_EQ(0, attach_kind(self, PVB_NEST_S1, &table_a));
	ASSERT_EQ(0, pvb_iommufd_domain_new(self->ctx, &dom));
	ASSERT_EQ(0, pvb_iommufd_dev_attach_domain(dev2, dom));
	ASSERT_EQ(0, pvb_iommufd_map(dom, IOVA, RAM_GPA, 2 * PG,
				     PVB_MAP_READ | PVB_MAP_WRITE));
	for (i = 0; i < self->rec.nr_live; i++)
		ids[n++] = self->rec.live[i];
	/*
	 * RAM IOAS, nest parent, vIOMMU, vEVENTQ, vDEVICE, nested HWPT,
	 * domain IOAS, pinning IOAS and HWPT (the second device's HWPT on
	 * the domain's IOAS is the kernel's, made by the attach)
	 */
	EXPECT_EQ(9U, n);
	pvb_iommufd_free(self->ctx);
	self->ctx = NULL;
	EXPECT_EQ(0U, self->rec.nr_live);
	for (i = 0; i < n; i++)
		EXPECT_EQ(-ENOENT, destroy(self->fd, ids[i]));
	EXPECT_EQ(0, check_refs(self->fd, self->ram, RAM_SIZE, 0));
	EXPECT_EQ(0, destroy(self->fd, m2.stdev_id));
}

/* MAP/UNMAP fallback: lazy pinning */

static struct pvb_iommufd_domain *domain_attached(FIXTURE_DATA(mock) * self)
{
	struct pvb_iommufd_domain *dom;

	if (pvb_iommufd_domain_new(self->ctx, &dom))
		return NULL;
	if (pvb_iommufd_dev_attach_domain(self->dev, dom)) {
		pvb_iommufd_domain_free(dom);
		return NULL;
	}
	return dom;
}

TEST_F(mock, pin_lazy)
{
	ASSERT_NE(NULL, domain_attached(self));
	EXPECT_EQ(0U, ctx_ids(self).pin_ioas);
	EXPECT_EQ(1U, rec_count(&self->rec, IOMMU_IOAS_MAP)); /* RAM IOAS */
	EXPECT_EQ(0, check_refs(self->fd, self->ram, RAM_SIZE, 0));
}

TEST_F(mock, pin_map_range)
{
	struct pvb_iommufd_domain *dom = domain_attached(self);
	struct pvb_iommufd_stats st;

	ASSERT_NE(NULL, dom);
	ASSERT_EQ(0, pvb_iommufd_map(dom, IOVA, RAM_GPA + 4 * PG, 4 * PG,
				     PVB_MAP_READ | PVB_MAP_WRITE));
	EXPECT_EQ(0, check_refs(self->fd, page(self, 4), 4 * PG, 1));
	EXPECT_EQ(0, check_refs(self->fd, page(self, 0), 4 * PG, 0));
	EXPECT_EQ(0, check_refs(self->fd, page(self, 8), RAM_SIZE - 8 * PG, 0));
	EXPECT_EQ(0, check_map(self->fd, dev_ids(self).attached, IOVA, 4 * PG,
			       page(self, 4)));
	st = stats(self);
	EXPECT_EQ(4U, st.pin_calls);
	EXPECT_EQ(4U, st.pin.misses);
	EXPECT_EQ(4 * PG, st.pin.pinned_bytes);
}

TEST_F(mock, pin_cached_remap)
{
	struct pvb_iommufd_domain *dom = domain_attached(self);
	struct pvb_iommufd_stats st;
	unsigned int maps;
	uint64_t unmapped;

	ASSERT_NE(NULL, dom);
	ASSERT_EQ(0, pvb_iommufd_map(dom, IOVA, RAM_GPA + 4 * PG, 4 * PG,
				     PVB_MAP_READ | PVB_MAP_WRITE));
	ASSERT_EQ(0, pvb_iommufd_unmap(dom, IOVA, 4 * PG, &unmapped));
	EXPECT_EQ(4 * PG, unmapped);
	EXPECT_NE(0, check_map(self->fd, dev_ids(self).attached, IOVA, PG,
			       page(self, 4)));
	/* Unmapped, still pinned once: in the pin cache */
	EXPECT_EQ(0, check_refs(self->fd, page(self, 4), 4 * PG, 1));
	EXPECT_EQ(4 * PG, stats(self).pin.cached_bytes);
	maps = rec_count(&self->rec, IOMMU_IOAS_MAP);
	ASSERT_EQ(0, pvb_iommufd_map(dom, IOVA + 0x100000, RAM_GPA + 4 * PG,
				     4 * PG, PVB_MAP_READ));
	st = stats(self);
	EXPECT_EQ(4U, st.pin.hits);
	EXPECT_EQ(4U, st.pin.misses);
	EXPECT_EQ(4U, st.pin_calls);
	EXPECT_EQ(maps, rec_count(&self->rec, IOMMU_IOAS_MAP));
	/* The kernel pinned nothing more either */
	EXPECT_EQ(0, check_refs(self->fd, page(self, 4), 4 * PG, 1));
	EXPECT_EQ(0, check_map(self->fd, dev_ids(self).attached,
			       IOVA + 0x100000, 4 * PG, page(self, 4)));
}

TEST_F(mock, pin_memlock)
{
	struct pvb_iommufd_domain *dom = domain_attached(self);
	struct pvb_iommufd_stats st, st2;
	int ret;

	ASSERT_NE(NULL, dom);
	ASSERT_EQ(0, pvb_iommufd_map(dom, IOVA, RAM_GPA, 6 * PG,
				     PVB_MAP_READ | PVB_MAP_WRITE));
	st = stats(self);
	ret = pvb_iommufd_map(dom, IOVA + 0x100000, RAM_GPA + 16 * PG, 4 * PG,
			      PVB_MAP_READ);
	EXPECT_EQ(-ENOMEM, ret);
	EXPECT_EQ(VIRTIO_IOMMU_S_NOMEM, pvb_iommufd_status(ret));
	/* Nothing lost, nothing pinned for the failed MAP */
	st2 = stats(self);
	EXPECT_EQ(0, memcmp(&st, &st2, sizeof(st)));
	EXPECT_EQ(0, check_map(self->fd, dev_ids(self).attached, IOVA, 6 * PG,
			       page(self, 0)));
	EXPECT_EQ(0, check_refs(self->fd, page(self, 0), 6 * PG, 1));
	EXPECT_EQ(0, check_refs(self->fd, page(self, 16), 4 * PG, 0));
	/* Unmapped pages are evicted, least recently unmapped first */
	ASSERT_EQ(0, pvb_iommufd_unmap(dom, IOVA, 6 * PG, NULL));
	ASSERT_EQ(0, pvb_iommufd_map(dom, IOVA + 0x100000, RAM_GPA + 16 * PG,
				     4 * PG, PVB_MAP_READ));
	EXPECT_EQ(2U, stats(self).pin.evictions);
	EXPECT_EQ(0, check_refs(self->fd, page(self, 0), 2 * PG, 0));
	EXPECT_EQ(0, check_refs(self->fd, page(self, 2), 4 * PG, 1));
	EXPECT_EQ(0, check_refs(self->fd, page(self, 16), 4 * PG, 1));
}

int main(int argc, char **argv)
{
	printf("# not tested here: the ARM_SMMUV3 data types on an SMMUv3 "
	       "(IOMMU_VIOMMU_TYPE_ARM_SMMUV3, IOMMU_HWPT_DATA_ARM_SMMUV3 "
	       "vSTE, IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3 commands, "
	       "IOMMU_VEVENTQ_TYPE_ARM_SMMUV3 records) and the VFIO cdev "
	       "attach: they need SMMUv3 hardware (or QEMU's emulated SMMUv3 "
	       "with FWB) and a VFIO device; here the mock refuses the "
	       "ARM_SMMUV3 vIOMMU (checked by mock.rollback)\n");
	fflush(stdout);
	return test_harness_run(argc, argv);
}
