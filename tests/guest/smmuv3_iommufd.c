// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * smmuv3_iommufd: host-backend's iommufd backend (host-backend/src/iommufd*.c)
 * against the real Linux arm-smmu-v3 driver and its ARM_SMMUV3 iommufd types,
 * in a guest whose "hardware" is QEMU's emulated SMMUv3 in nested-stage mode
 * (-M virt,iommu=smmuv3 -global arm-smmuv3.stage=nested), with QEMU's edu
 * PCI device bound to vfio-pci as the VFIO endpoint.
 *
 * This program plays the VMM: an mmap'd buffer is "guest RAM" at IPA
 * RAM_IPA (stage 2, the nest parent), and the test builds in it what a guest
 * would (a CD and a 4KB 3-level stage-1 table, addresses as IPAs). Everything
 * goes through host-backend's API with the calls QEMU's virtio-iommu device
 * makes (pvb_iommufd_new with pvb_iommufd_type_arm_smmuv3, ram_map, arm_caps,
 * dev_new with the VFIO cdev attach operations, dev_attach_nested,
 * invalidate, read_events, dev_detach, free). The edu device's DMA engine
 * (registers in QEMU's hw/misc/edu.c) checks what really reaches memory, a
 * recording ioctl layer checks that every object the backend allocated is
 * destroyed.
 *
 * The edu device completes every transfer whatever the IOMMU does: a write
 * the SMMU aborts is dropped, a read it aborts reads zeroes. Faults are seen
 * in the data and, for the stage-1 ones the kernel forwards, on the vEVENTQ.
 *
 * IOMMU_VIOMMU_ALLOC(ARM_SMMUV3) needs SMMU_IDR3.FWB (S2FWB) or a CANWBS
 * master; QEMU 10.2.2 sets neither, the project's patch 0005 adds FWB (QEMU
 * property arm-smmuv3.fwb, default on). Environment: PV_EXPECT_FWB (from the
 * kernel's pv.expect_fwb=, default 1): 1 runs the nesting tests (fixture
 * "nest"), 0 expects IDR3.FWB clear and the vIOMMU refused (fixture
 * "nofwb"); fixture "smmu" runs in both.
 *
 * Output: TAP from the kselftest harness.
 */
// guest-sources: host-backend/src/*.c
// guest-cflags: -I@TOP@/host-backend/include
// guest-deps: host-backend/include/pvb/*.h host-backend/src/*.h tests/guest/iommufd_rec.h
#define _GNU_SOURCE
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "kselftest_harness.h"

#include "iommufd_rec.h"

#include "pvb/iommufd.h"
#include "pvb/smmu.h"

#define EDU_VENDOR "0x1234"
#define EDU_DEVICE "0x11e8"

#define PG	  4096ULL
/*
 * Guest RAM (stage 2) at IPA 4 MiB: below the edu device's 28-bit DMA mask,
 * so that a bypass STE (IOVA = IPA) reaches it, and away from the SMMUv3
 * driver's software MSI window at 0x8000000.
 */
#define RAM_IPA	  0x400000ULL
#define RAM_PAGES 64
#define RAM_SIZE  (RAM_PAGES * PG)
#define IPA(pg)	  (RAM_IPA + (uint64_t)(pg)*PG)

/* Pages of guest RAM */
#define PG_CD_A	 0 /* CD of table A */
#define PG_CD_B	 1 /* CD of table B */
#define PG_ZERO	 2 /* stays zero: an invalid CD */
#define PG_L1_A	 4 /* table A: IOVA_SRC -> SRC, IOVA_DST -> DST */
#define PG_L2_A	 5
#define PG_L3_A	 6
#define PG_L1_B	 8 /* table B: IOVA_SRC -> SRC, IOVA_DST -> ALT2 */
#define PG_L2_B	 9
#define PG_L3_B	 10
#define PG_SRC	 16
#define PG_DST	 17
#define PG_ALT	 18
#define PG_ALT2	 19
#define PG_GUARD 20

/* Stage-1 input addresses (below edu's 28-bit mask) */
#define IOVA_SRC  0x100000ULL
#define IOVA_DST  0x101000ULL
#define IOVA_HOLE 0x5000000ULL /* never mapped */
/* An IPA outside guest RAM: stage 2 maps nothing there */
#define IPA_NONE  0x7000000ULL

#define ASID_A	  0x11
#define ASID_B	  0x22
#define VSID	  0x42u /* the virtual StreamID (vDEVICE virt_id) */
#define DEPTH	  16 /* vEVENTQ depth */
#define EVS	  64 /* records read at once */
#define XFER	  256 /* bytes per DMA */
/*
 * Bytes of a DMA expected to fault: QEMU splits a failed access into 4-byte
 * ones, each translated and reported again, so one access, one event.
 */
#define FAULT_LEN 4

/* The edu device (QEMU hw/misc/edu.c) */
#define EDU_ID	       0x00
#define EDU_DMA_SRC    0x80
#define EDU_DMA_DST    0x88
#define EDU_DMA_CNT    0x90
#define EDU_DMA_CMD    0x98
#define EDU_BUF	       0x40000ULL
#define EDU_CMD_RUN    0x1
#define EDU_CMD_TO_RAM 0x2

/* SMMU_IDR3.FWB (IHI 0070 6.3.4) */
#define IDR3_FWB (1u << 8)

/* SMMUv3 event numbers (IHI 0070 7.3) */
#define EVT_F_TRANSLATION 0x10
#define EVT_C_BAD_CD	  0x0a

/* VMSAv8-64 descriptors: table, and a page as io-pgtable writes one */
#define D_TABLE 0x3ULL
#define D_PAGE                                                       \
	(0x3ULL | 1ULL << 6 /* AP[1] */ | 3ULL << 8 /* SH inner */ | \
	 1ULL << 10 /* AF */ | 1ULL << 11 /* nG */)

#define T_TIMEOUT 180 /* seconds per test, TCG on a loaded host */

static bool expect_fwb = true;

/*
 * The type under test: pvb_iommufd_type_arm_smmuv3 unchanged, except that
 * while corrupt_ste is set its vSTE has Config = 0b110 (stage 2 only), which
 * a guest may not ask for: the kernel's arm_smmu_validate_vste() refuses it.
 */
static bool corrupt_ste;
static struct pvb_iommufd_type arm_type;

static int arm_encode_hwpt(const struct pvb_nest_cfg *cfg, void *data)
{
	int ret = pvb_iommufd_type_arm_smmuv3.encode_hwpt(cfg, data);
	uint64_t w0;

	if (ret || !corrupt_ste)
		return ret;
	memcpy(&w0, data, sizeof(w0));
	w0 = htole64((le64toh(w0) & ~0xeULL) | 6ULL << 1);
	memcpy(data, &w0, sizeof(w0));
	return 0;
}

/* sysfs and the VFIO cdev */

static int sysfs_read(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

static int sysfs_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n < 0 ? -errno : 0;
}

/* Basename of the symlink @dir/@link, "" if none */
static void link_name(const char *dir, const char *link, char *out, size_t len)
{
	char path[PATH_MAX], target[PATH_MAX];
	ssize_t n;
	const char *base;

	snprintf(path, sizeof(path), "%s/%s", dir, link);
	n = readlink(path, target, sizeof(target) - 1);
	out[0] = 0;
	if (n < 0)
		return;
	target[n] = 0;
	base = strrchr(target, '/');
	if ((size_t)snprintf(out, len, "%s", base ? base + 1 : target) >= len)
		out[0] = 0;
}

/* The PCI address of the first edu device, 0 or -ENODEV */
static int find_edu(char *bdf, size_t len)
{
	DIR *d = opendir("/sys/bus/pci/devices");
	struct dirent *de;
	char path[PATH_MAX], v[32], dv[32];
	int ret = -ENODEV;

	if (!d)
		return -ENODEV;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vendor",
			 de->d_name);
		if (sysfs_read(path, v, sizeof(v)))
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/device",
			 de->d_name);
		if (sysfs_read(path, dv, sizeof(dv)))
			continue;
		if (!strcmp(v, EDU_VENDOR) && !strcmp(dv, EDU_DEVICE)) {
			ret = (size_t)snprintf(bdf, len, "%s", de->d_name) <
					      len ?
				      0 :
				      -ENAMETOOLONG;
			break;
		}
	}
	closedir(d);
	return ret;
}

/*
 * Bind @bdf to vfio-pci (driver_override, unbind, drivers_probe) unless it
 * is bound already; the driver's name is left in @drv.
 */
static int bind_vfio(const char *bdf, char *drv, size_t len)
{
	char dir[PATH_MAX], path[PATH_MAX + 16];
	int ret;

	snprintf(dir, sizeof(dir), "/sys/bus/pci/devices/%s", bdf);
	link_name(dir, "driver", drv, len);
	if (!strcmp(drv, "vfio-pci"))
		return 0;
	snprintf(path, sizeof(path), "%s/driver_override", dir);
	ret = sysfs_write(path, "vfio-pci");
	if (ret)
		return ret;
	if (drv[0]) {
		snprintf(path, sizeof(path), "%s/driver/unbind", dir);
		ret = sysfs_write(path, bdf);
		if (ret)
			return ret;
	}
	ret = sysfs_write("/sys/bus/pci/drivers_probe", bdf);
	if (ret)
		return ret;
	link_name(dir, "driver", drv, len);
	return strcmp(drv, "vfio-pci") ? -ENODEV : 0;
}

/* /dev/vfio/devices/vfioN of a device bound to vfio-pci */
static int vfio_cdev(const char *bdf, char *out, size_t len)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int ret = -ENOENT;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vfio-dev", bdf);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (!strncmp(de->d_name, "vfio", 4)) {
			snprintf(out, len, "/dev/vfio/devices/%s", de->d_name);
			ret = 0;
			break;
		}
	}
	closedir(d);
	return ret;
}

/* Driver of the IOMMU instance @bdf is behind, "" if none */
static void iommu_driver(const char *bdf, char *out, size_t len)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "/sys/bus/pci/devices/%s/iommu/device", bdf);
	link_name(dir, "driver", out, len);
}

/* The test environment: a bound edu device, guest RAM, a backend context */

struct env {
	char bdf[64];
	int iommufd;
	int devfd;
	uint32_t dev_id;
	volatile uint8_t *bar;
	size_t bar_size;
	uint8_t *ram;
	struct rec rec;
	struct pvb_iommufd_sys sys;
	struct pvb_iommufd *ctx;
	struct pvb_iommufd_dev *dev;
	uint32_t idr[6];
	struct pvb_arm_caps caps;
	uint32_t sids[1];
	struct pvb_smmu_cmd_ctx cmd;
};

static uint8_t *page(struct env *e, unsigned int pg)
{
	return e->ram + pg * PG;
}

static void env_init(struct env *e)
{
	memset(e, 0, sizeof(*e));
	e->iommufd = -1;
	e->devfd = -1;
	e->ram = MAP_FAILED;
	e->bar = MAP_FAILED;
}

static void vfio_open(struct __test_metadata *_metadata, struct env *e)
{
	struct vfio_region_info reg = { .argsz = sizeof(reg) };
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	char drv[64], cdev[PATH_MAX];
	uint16_t cmd;
	void *bar;

	ASSERT_EQ(0, find_edu(e->bdf, sizeof(e->bdf)))
	TH_LOG("no edu PCI device (%s:%s): boot with --plain-device edu",
	       EDU_VENDOR, EDU_DEVICE);
	ASSERT_EQ(0, bind_vfio(e->bdf, drv, sizeof(drv)))
	TH_LOG("cannot bind %s to vfio-pci (driver now: '%s')", e->bdf, drv);
	ASSERT_EQ(0, vfio_cdev(e->bdf, cdev, sizeof(cdev)))
	TH_LOG("%s has no VFIO cdev: CONFIG_VFIO_DEVICE_CDEV", e->bdf);
	e->devfd = open(cdev, O_RDWR);
	ASSERT_LE(0, e->devfd) TH_LOG("open %s: %s", cdev, strerror(errno));
	e->iommufd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, e->iommufd) TH_LOG("open /dev/iommu: %s", strerror(errno));
	bind.iommufd = e->iommufd;
	ASSERT_EQ(0, ioctl(e->devfd, VFIO_DEVICE_BIND_IOMMUFD, &bind))
	TH_LOG("VFIO_DEVICE_BIND_IOMMUFD: %s (EPERM: no isolated MSI, "
	       "the machine needs gic-version=3 with an ITS)",
	       strerror(errno));
	e->dev_id = bind.out_devid;

	/* BAR0, mmap'd as the region info says */
	reg.index = VFIO_PCI_BAR0_REGION_INDEX;
	ASSERT_EQ(0, ioctl(e->devfd, VFIO_DEVICE_GET_REGION_INFO, &reg));
	ASSERT_NE(0U, reg.flags & VFIO_REGION_INFO_FLAG_MMAP);
	ASSERT_LE(EDU_DMA_CMD + 8ULL, reg.size);
	bar = mmap(NULL, reg.size, PROT_READ | PROT_WRITE, MAP_SHARED, e->devfd,
		   (off_t)reg.offset);
	ASSERT_NE(MAP_FAILED, bar) TH_LOG("mmap BAR0: %s", strerror(errno));
	e->bar = bar;
	e->bar_size = reg.size;
	ASSERT_EQ(0x010000edU, *(volatile uint32_t *)(e->bar + EDU_ID));

	/* Memory decoding and bus mastering, through the config region */
	reg = (struct vfio_region_info){
		.argsz = sizeof(reg), .index = VFIO_PCI_CONFIG_REGION_INDEX
	};
	ASSERT_EQ(0, ioctl(e->devfd, VFIO_DEVICE_GET_REGION_INFO, &reg));
	ASSERT_EQ(2, pread(e->devfd, &cmd, 2, (off_t)reg.offset + 4));
	cmd |= 0x6; /* PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER */
	ASSERT_EQ(2, pwrite(e->devfd, &cmd, 2, (off_t)reg.offset + 4));
}

static void ctx_open(struct __test_metadata *_metadata, struct env *e)
{
	struct pvb_iommufd_cfg cfg = {
		.iommufd = e->iommufd,
		.type = &arm_type,
		.sys = &e->sys,
		.veventq_depth = DEPTH,
		/* The MAP/UNMAP fallback's limits (0 would pin nothing) */
		.pin = { .cache_bytes = 16 * PG, .memlock_bytes = 32 * PG },
	};
	struct iommu_hw_info_arm_smmuv3 info = { 0 };
	uint32_t type = 0;

	e->sys = (struct pvb_iommufd_sys){
		.ioctl = rec_ioctl,
		.read = pvb_iommufd_sys_default.read,
		.close = pvb_iommufd_sys_default.close,
		.opaque = &e->rec,
	};
	ASSERT_EQ(0, pvb_iommufd_new(&cfg, &e->ctx));
	ASSERT_EQ(0, pvb_iommufd_ram_map(e->ctx, RAM_IPA, RAM_SIZE, e->ram));
	ASSERT_EQ(0, pvb_iommufd_get_hw_info(e->ctx, e->dev_id, &info,
					     sizeof(info), &type));
	ASSERT_EQ((uint32_t)IOMMU_HW_INFO_TYPE_ARM_SMMUV3, type)
	TH_LOG("IOMMU_GET_HW_INFO type %u: not an Arm SMMUv3", type);
	memcpy(e->idr, info.idr, sizeof(e->idr));
	/* As QEMU's device: the guest's OAS, no ATS */
	ASSERT_EQ(0,
		  pvb_iommufd_arm_caps(e->ctx, e->dev_id, 44, false, &e->caps));
	e->sids[0] = VSID;
	e->cmd = (struct pvb_smmu_cmd_ctx){ &e->caps, e->sids, 1 };
	ASSERT_EQ(0, pvb_iommufd_dev_new(e->ctx, e->dev_id, VSID,
					 &pvb_iommufd_vfio_dev_ops, &e->devfd,
					 &e->dev));
}

static void env_setup(struct __test_metadata *_metadata, struct env *e)
{
	env_init(e);
	corrupt_ste = false;
	e->ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, e->ram);
	madvise(e->ram, RAM_SIZE, MADV_NOHUGEPAGE);
	memset(e->ram, 0, RAM_SIZE);
	vfio_open(_metadata, e);
	ctx_open(_metadata, e);
}

static void env_teardown(struct __test_metadata *_metadata, struct env *e)
{
	if (e->ctx) {
		pvb_iommufd_free(e->ctx);
		e->ctx = NULL;
		EXPECT_EQ(0U, e->rec.nr_live)
		TH_LOG("%u iommufd objects left alive", e->rec.nr_live);
		EXPECT_EQ(0U, e->rec.stray_destroys);
	}
	if (e->bar != MAP_FAILED)
		munmap((void *)e->bar, e->bar_size);
	if (e->devfd >= 0)
		close(e->devfd);
	if (e->iommufd >= 0)
		close(e->iommufd);
	if (e->ram != MAP_FAILED)
		munmap(e->ram, RAM_SIZE);
}

/* The edu DMA engine */

static uint64_t bar_r64(struct env *e, unsigned int off)
{
	return *(volatile uint64_t *)(e->bar + off);
}

static void bar_w64(struct env *e, unsigned int off, uint64_t v)
{
	*(volatile uint64_t *)(e->bar + off) = v;
}

/*
 * One transfer of @len bytes between the device's buffer and @iova: to RAM
 * (the device writes) or from RAM (it reads); 0 once the device says done.
 */
static int edu_dma(struct env *e, bool to_ram, uint64_t iova, uint64_t len)
{
	struct timespec ts = { 0, 2000000 };
	int i;

	__sync_synchronize();
	bar_w64(e, EDU_DMA_SRC, to_ram ? EDU_BUF : iova);
	bar_w64(e, EDU_DMA_DST, to_ram ? iova : EDU_BUF);
	bar_w64(e, EDU_DMA_CNT, len);
	bar_w64(e, EDU_DMA_CMD, EDU_CMD_RUN | (to_ram ? EDU_CMD_TO_RAM : 0));
	for (i = 0; i < 5000; i++) {
		if (!(bar_r64(e, EDU_DMA_CMD) & EDU_CMD_RUN)) {
			__sync_synchronize();
			return 0;
		}
		nanosleep(&ts, NULL);
	}
	return -ETIMEDOUT;
}

static void fill(uint8_t *p, uint8_t seed, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

static bool filled(const uint8_t *p, uint8_t seed, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != (uint8_t)(seed + i * 7))
			return false;
	return true;
}

/*
 * The device reads @seed's pattern at @src (the test writes it into page
 * @src_pg first) and writes it to @dst: true if it reached page @dst_pg.
 */
static bool copy_len(struct env *e, uint64_t src, unsigned int src_pg,
		     uint64_t dst, unsigned int dst_pg, uint8_t seed,
		     uint64_t len)
{
	fill(page(e, src_pg), seed, len);
	if (edu_dma(e, false, src, len) || edu_dma(e, true, dst, len))
		return false;
	return filled(page(e, dst_pg), seed, len);
}

static bool copy_via(struct env *e, uint64_t src, unsigned int src_pg,
		     uint64_t dst, unsigned int dst_pg, uint8_t seed)
{
	return copy_len(e, src, src_pg, dst, dst_pg, seed, XFER);
}

/* The same with FAULT_LEN bytes, where the copy is expected to fail */
static bool copy_small(struct env *e, uint64_t src, unsigned int src_pg,
		       uint64_t dst, unsigned int dst_pg, uint8_t seed)
{
	return copy_len(e, src, src_pg, dst, dst_pg, seed, FAULT_LEN);
}

/* Stage 1 in guest RAM */

static void pte_set(struct env *e, unsigned int table_pg, unsigned int idx,
		    uint64_t val)
{
	uint64_t v = htole64(val);

	__atomic_store_n((uint64_t *)page(e, table_pg) + idx, v,
			 __ATOMIC_RELEASE);
}

static unsigned int lvl_idx(uint64_t va, unsigned int level)
{
	return (va >> (12 + 9 * (3 - level))) & 0x1ff;
}

/* 39-bit input, 4KB granule: levels 1, 2, 3 */
static void table_build(struct env *e, unsigned int l1, unsigned int l2,
			unsigned int l3, unsigned int dst_pg)
{
	memset(page(e, l1), 0, PG);
	memset(page(e, l2), 0, PG);
	memset(page(e, l3), 0, PG);
	pte_set(e, l1, lvl_idx(IOVA_SRC, 1), IPA(l2) | D_TABLE);
	pte_set(e, l2, lvl_idx(IOVA_SRC, 2), IPA(l3) | D_TABLE);
	pte_set(e, l3, lvl_idx(IOVA_SRC, 3), IPA(PG_SRC) | D_PAGE);
	pte_set(e, l3, lvl_idx(IOVA_DST, 3), IPA(dst_pg) | D_PAGE);
}

/* A CD as arm_smmu_make_s1_cd() writes one, IPS 40 bits */
static void cd_write(struct env *e, unsigned int cd_pg, unsigned int l1,
		     uint16_t asid)
{
	uint64_t cd[8] = { 0 };
	unsigned int i;

	cd[0] = 25 /* T0SZ: 39 bits */ | 0ULL << 6 /* TG0 4KB */ |
		1ULL << 8 /* IRGN0 WBWA */ | 1ULL << 10 /* ORGN0 WBWA */ |
		3ULL << 12 /* SH0 inner */ | 1ULL << 30 /* EPD1 */ |
		2ULL << 32 /* IPS 40 bits */ | 1ULL << 41 /* AA64 */ |
		1ULL << 45 /* R */ | 1ULL << 46 /* A */ |
		1ULL << 47 /* ASET */ | (uint64_t)asid << 48;
	cd[1] = IPA(l1);
	cd[3] = 0x0000000000f404ffULL; /* MAIR: WBRWA, device, NC */
	/* Dword 0 (V) last */
	for (i = 7; i > 0; i--)
		__atomic_store_n((uint64_t *)page(e, cd_pg) + i, htole64(cd[i]),
				 __ATOMIC_RELEASE);
	cd[0] |= 1ULL << 31; /* V */
	__atomic_store_n((uint64_t *)page(e, cd_pg), htole64(cd[0]),
			 __ATOMIC_RELEASE);
}

static struct pvb_s1_table table_at(uint64_t ipa)
{
	/* What the guest driver's ATTACH_TABLE carries: one CD, WBWA, IS */
	return (struct pvb_s1_table){
		.s1contextptr = ipa, .s1cir = 1, .s1cor = 1, .s1csh = 3
	};
}

static int attach_kind(struct env *e, enum pvb_nest_kind kind,
		       const struct pvb_s1_table *t)
{
	struct pvb_nest_cfg cfg = { kind, t, 0 };

	/* As QEMU's device: S1STALLD only where stalls are optional */
	if ((e->caps.flags & VIRTIO_IOMMU_ARM_F_STALL) &&
	    !(e->caps.flags & VIRTIO_IOMMU_ARM_F_STALL_FORCE))
		cfg.ste_flags |= PVB_STE_S1STALLD;
	return pvb_iommufd_dev_attach_nested(e->dev, &cfg);
}

static void fwb_diag(struct __test_metadata *_metadata, struct env *e, int ret)
{
	if (ret == -EOPNOTSUPP && !(e->idr[3] & IDR3_FWB))
		TH_LOG("IOMMU_VIOMMU_ALLOC(ARM_SMMUV3) refused (EOPNOTSUPP): "
		       "the SMMU lacks SMMU_IDR3.FWB (S2FWB) and the device is "
		       "not CANWBS; QEMU needs qemu-device/patches/0005 and "
		       "arm-smmuv3.fwb=on");
}

/* Table A built, its CD at PG_CD_A, attached; a first DMA works */
static void attach_a(struct __test_metadata *_metadata, struct env *e)
{
	struct pvb_s1_table t = table_at(IPA(PG_CD_A));
	int ret;

	table_build(e, PG_L1_A, PG_L2_A, PG_L3_A, PG_DST);
	cd_write(e, PG_CD_A, PG_L1_A, ASID_A);
	ret = attach_kind(e, PVB_NEST_S1, &t);
	fwb_diag(_metadata, e, ret);
	ASSERT_EQ(0, ret);
	ASSERT_TRUE(copy_via(e, IOVA_SRC, PG_SRC, IOVA_DST, PG_DST, 0x10))
	TH_LOG("DMA through stage 1 + stage 2 did not copy the data");
}

static struct pvb_iommufd_dev_ids dev_ids(struct env *e)
{
	struct pvb_iommufd_dev_ids d;

	pvb_iommufd_dev_get_ids(e->dev, &d);
	return d;
}

static struct pvb_iommufd_ids ctx_ids(struct env *e)
{
	struct pvb_iommufd_ids ids;

	pvb_iommufd_get_ids(e->ctx, &ids);
	return ids;
}

static int destroy(struct env *e, uint32_t id)
{
	struct iommu_destroy d = { .size = sizeof(d), .id = id };

	return ioctl(e->iommufd, IOMMU_DESTROY, &d) ? -errno : 0;
}

/* vEVENTQ records within @ms milliseconds (all pending ones), or -errno */
static int wait_events(struct env *e, struct pvb_iommufd_event *evs,
		       unsigned int max, int ms)
{
	struct pollfd pfd = { .fd = pvb_iommufd_veventq_fd(e->ctx),
			      .events = POLLIN };
	unsigned int n = 0;
	uint32_t lost;
	int r;

	if (pfd.fd < 0)
		return -ENODEV;
	if (poll(&pfd, 1, ms) < 0)
		return -errno;
	/* The kernel's event thread may still be delivering: a little more */
	if (ms)
		usleep(100000);
	while (n < max) {
		r = pvb_iommufd_read_events(e->ctx, evs + n, max - n, &lost);
		if (r <= 0)
			return r < 0 && r != -EAGAIN ? r : (int)n;
		n += r;
	}
	return n;
}

/* Read and forget every record, those still arriving too */
static void drain_events(struct env *e)
{
	struct pvb_iommufd_event ev[EVS];

	while (wait_events(e, ev, EVS, 300) > 0)
		;
}

static void log_event(struct __test_metadata *_metadata,
		      const struct pvb_iommufd_event *ev)
{
	TH_LOG("vEVENTQ #%u: event 0x%02x sid 0x%x reason %u address 0x%llx "
	       "flags 0x%x",
	       ev->sequence, ev->code, ev->fault.sid, ev->fault.reason,
	       (unsigned long long)ev->fault.address, ev->fault.flags);
}

static struct pvb_inv_entry inv_va(uint16_t asid, uint64_t addr)
{
	return (struct pvb_inv_entry){ .scope = VIRTIO_IOMMU_INV_S_VA,
				       .flags = VIRTIO_IOMMU_INV_F_LEAF,
				       .tg = 12,
				       .ttl = 3,
				       .asid = asid,
				       .addr = addr,
				       .size = PG };
}

static struct pvb_inv_entry inv_asid(uint16_t asid)
{
	return (struct pvb_inv_entry){ .scope = VIRTIO_IOMMU_INV_S_ASID,
				       .asid = asid };
}

static struct pvb_inv_entry inv_cd(void)
{
	return (struct pvb_inv_entry){ .scope = VIRTIO_IOMMU_INV_S_CD };
}

/* Tests that need nothing but the device */

/* Without an SMMUv3 (or an edu device behind it) nothing here can run */
TEST(smmuv3_present)
{
	char bdf[64], drv[64];

	ASSERT_EQ(0, find_edu(bdf, sizeof(bdf)))
	TH_LOG("no edu PCI device (%s:%s): boot with --plain-device edu",
	       EDU_VENDOR, EDU_DEVICE);
	iommu_driver(bdf, drv, sizeof(drv));
	EXPECT_STREQ("arm-smmu-v3", drv)
	TH_LOG("edu %s is not behind an Arm SMMUv3 (IOMMU driver '%s'): "
	       "boot with --iommu smmuv3 (-M virt,iommu=smmuv3)",
	       bdf, drv);
	EXPECT_EQ(0, access("/dev/iommu", F_OK))
	TH_LOG("no /dev/iommu: the kernel needs CONFIG_IOMMUFD");
}

TEST(vfio_bind)
{
	char bdf[64], drv[64], cdev[PATH_MAX], grp[64];
	char dir[PATH_MAX];

	ASSERT_EQ(0, find_edu(bdf, sizeof(bdf)));
	snprintf(dir, sizeof(dir), "/sys/bus/pci/devices/%s", bdf);
	link_name(dir, "driver", drv, sizeof(drv));
	link_name(dir, "iommu_group", grp, sizeof(grp));
	TH_LOG("edu %s: driver '%s', IOMMU group %s", bdf, drv, grp);
	ASSERT_EQ(0, bind_vfio(bdf, drv, sizeof(drv)))
	TH_LOG("binding to vfio-pci failed (driver now '%s')", drv);
	EXPECT_STREQ("vfio-pci", drv);
	ASSERT_EQ(0, vfio_cdev(bdf, cdev, sizeof(cdev)))
	TH_LOG("no vfio-dev: the kernel needs CONFIG_VFIO_DEVICE_CDEV");
	EXPECT_EQ(0, access(cdev, R_OK | W_OK))
	TH_LOG("%s: %s", cdev, strerror(errno));
}

/* Fixture smmu: runs with and without FWB */

FIXTURE(smmu)
{
	struct env e;
};

FIXTURE_SETUP(smmu)
{
	env_setup(_metadata, &self->e);
}

FIXTURE_TEARDOWN(smmu)
{
	env_teardown(_metadata, &self->e);
}

TEST_F_TIMEOUT(smmu, hw_info, T_TIMEOUT)
{
	struct env *e = &self->e;
	struct pvb_arm_caps *c = &e->caps;

	TH_LOG("IDR0 0x%08x IDR1 0x%08x IDR3 0x%08x IDR5 0x%08x", e->idr[0],
	       e->idr[1], e->idr[3], e->idr[5]);
	TH_LOG("caps: granules 0x%x asid_bits %u ssid_bits %u ias %u bbml %u "
	       "cd_formats 0x%x flags 0x%x",
	       c->granules, c->asid_bits, c->ssid_bits, c->ias, c->bbml,
	       c->cd_formats, c->flags);
	/* Nested-stage mode: stage 1 and stage 2 (IDR0.S1P, S2P) */
	EXPECT_EQ(3U, e->idr[0] & 3)
	TH_LOG("the SMMU lacks stage 1 or 2: QEMU needs "
	       "-global arm-smmuv3.stage=nested");
	/* The decoder against the register bits, written here by hand */
	EXPECT_EQ(!!(e->idr[5] & (1u << 4)),
		  !!(c->granules & VIRTIO_IOMMU_ARM_GRAN_4K));
	EXPECT_EQ(!!(e->idr[5] & (1u << 6)),
		  !!(c->granules & VIRTIO_IOMMU_ARM_GRAN_64K));
	EXPECT_EQ(e->idr[0] & (1u << 12) ? 16 : 8, c->asid_bits);
	EXPECT_EQ(!!(e->idr[3] & (1u << 10)),
		  !!(c->flags & VIRTIO_IOMMU_ARM_F_RIL));
	EXPECT_EQ(!!(e->idr[0] & (1u << 19)),
		  !!(c->cd_formats & VIRTIO_IOMMU_ARM_CDTAB_2L_4K));
	/* What this test's tables need: 4KB granule, little-endian */
	EXPECT_NE(0U, c->granules & VIRTIO_IOMMU_ARM_GRAN_4K);
	EXPECT_NE(0U, c->flags & VIRTIO_IOMMU_ARM_F_TT_LE);
}

/* SMMU_IDR3.FWB is what IOMMU_VIOMMU_ALLOC needs here */
TEST_F_TIMEOUT(smmu, fwb_capability, T_TIMEOUT)
{
	struct env *e = &self->e;
	bool fwb = e->idr[3] & IDR3_FWB;

	TH_LOG("SMMU_IDR3 0x%08x: FWB (S2FWB) %s, expected %s", e->idr[3],
	       fwb ? "set" : "clear", expect_fwb ? "set" : "clear");
	if (expect_fwb && !fwb)
		TH_LOG("the SMMU lacks SMMU_IDR3.FWB (S2FWB): "
		       "IOMMU_VIOMMU_ALLOC(ARM_SMMUV3) will fail with "
		       "EOPNOTSUPP; QEMU needs qemu-device/patches/0005 and "
		       "arm-smmuv3.fwb=on");
	EXPECT_EQ(expect_fwb, fwb);
}

/*
 * The MAP/UNMAP fallback on the real SMMUv3: the device attached to a
 * domain's IOAS, MAP pins lazily into the pinning IOAS and copies, UNMAP
 * removes (the kernel invalidates the TLB before returning).
 */
TEST_F_TIMEOUT(smmu, mapunmap, T_TIMEOUT)
{
	struct env *e = &self->e;
	struct pvb_iommufd_domain *dom;
	struct pvb_iommufd_stats st;
	const uint64_t src = 0x200000, dst = 0x201000;
	uint64_t unmapped = 0;

	ASSERT_EQ(0, pvb_iommufd_domain_new(e->ctx, &dom));
	ASSERT_EQ(0, pvb_iommufd_dev_attach_domain(e->dev, dom));
	EXPECT_NE(0U, dev_ids(e).attached);
	EXPECT_EQ(0U, ctx_ids(e).viommu);
	ASSERT_EQ(0, pvb_iommufd_map(dom, src, IPA(PG_SRC), PG, PVB_MAP_READ));
	ASSERT_EQ(0, pvb_iommufd_map(dom, dst, IPA(PG_DST), PG,
				     PVB_MAP_READ | PVB_MAP_WRITE));
	EXPECT_TRUE(copy_via(e, src, PG_SRC, dst, PG_DST, 0x31));
	pvb_iommufd_get_stats(e->ctx, &st);
	EXPECT_EQ(2U, st.pin_calls);
	EXPECT_EQ(2U, st.maps);
	/* Unmapped: the write is dropped */
	ASSERT_EQ(0, pvb_iommufd_unmap(dom, dst, PG, &unmapped));
	EXPECT_EQ(PG, unmapped);
	EXPECT_FALSE(copy_small(e, src, PG_SRC, dst, PG_DST, 0x32));
	EXPECT_TRUE(filled(page(e, PG_DST), 0x31, XFER));
	/* Read-only: the write is dropped too */
	ASSERT_EQ(0, pvb_iommufd_map(dom, dst, IPA(PG_DST), PG, PVB_MAP_READ));
	EXPECT_FALSE(copy_small(e, src, PG_SRC, dst, PG_DST, 0x33));
	EXPECT_EQ(-EBUSY, pvb_iommufd_domain_free(dom));
	ASSERT_EQ(0, pvb_iommufd_dev_detach(e->dev));
	EXPECT_EQ(0, pvb_iommufd_domain_free(dom));
}

/* Fixture nest: the nesting path (needs the vIOMMU, hence FWB) */

FIXTURE(nest)
{
	struct env e;
};

FIXTURE_SETUP(nest)
{
	env_setup(_metadata, &self->e);
}

FIXTURE_TEARDOWN(nest)
{
	env_teardown(_metadata, &self->e);
}

/* A bypass vSTE: stage 2 alone, IOVA = IPA */
TEST_F_TIMEOUT(nest, bypass, T_TIMEOUT)
{
	struct env *e = &self->e;
	struct pvb_iommufd_ids ids;
	struct pvb_iommufd_dev_ids d;
	int ret;

	/* Bound, not attached: DMA is blocked */
	EXPECT_FALSE(
		copy_small(e, IPA(PG_SRC), PG_SRC, IPA(PG_DST), PG_DST, 0x20));
	ret = attach_kind(e, PVB_NEST_BYPASS, NULL);
	fwb_diag(_metadata, e, ret);
	ASSERT_EQ(0, ret);
	ids = ctx_ids(e);
	d = dev_ids(e);
	EXPECT_NE(0U, ids.parent_hwpt);
	EXPECT_NE(0U, ids.viommu);
	EXPECT_NE(0U, ids.veventq);
	EXPECT_NE(0U, d.vdevice);
	EXPECT_NE(0U, d.nested_hwpt);
	EXPECT_EQ(d.nested_hwpt, d.attached);
	EXPECT_TRUE(copy_via(e, IPA(PG_SRC), PG_SRC, IPA(PG_DST), PG_DST, 0x21))
	TH_LOG("DMA through stage 2 (bypass vSTE) did not copy");
	/* An abort vSTE */
	ASSERT_EQ(0, attach_kind(e, PVB_NEST_ABORT, NULL));
	EXPECT_EQ(-ENOENT, destroy(e, d.nested_hwpt)); /* replaced, gone */
	EXPECT_FALSE(
		copy_small(e, IPA(PG_SRC), PG_SRC, IPA(PG_ALT), PG_ALT, 0x22));
}

/* A CD and a stage-1 table in guest RAM: data both ways, right pages */
TEST_F_TIMEOUT(nest, s1_dma, T_TIMEOUT)
{
	struct env *e = &self->e;
	struct pvb_iommufd_event ev[4];
	int i, n;

	drain_events(e);
	attach_a(_metadata, e);
	/* Device writes: the data lands in DST only */
	EXPECT_TRUE(copy_via(e, IOVA_SRC, PG_SRC, IOVA_DST, PG_DST, 0x40));
	EXPECT_FALSE(filled(page(e, PG_ALT), 0x40, XFER));
	/* Device reads: what the CPU wrote in DST comes back through SRC */
	fill(page(e, PG_DST), 0x41, XFER);
	pte_set(e, PG_L3_A, lvl_idx(IOVA_DST, 3), IPA(PG_ALT) | D_PAGE);
	ASSERT_EQ(0, pvb_iommufd_invalidate(
			     e->ctx,
			     &(struct pvb_invalidate){
				     .nr_entries = 1,
				     .entries = { inv_va(ASID_A, IOVA_DST) } },
			     &e->cmd, NULL));
	pte_set(e, PG_L3_A, lvl_idx(IOVA_SRC, 3), IPA(PG_DST) | D_PAGE);
	ASSERT_EQ(0, pvb_iommufd_invalidate(
			     e->ctx,
			     &(struct pvb_invalidate){
				     .nr_entries = 1,
				     .entries = { inv_va(ASID_A, IOVA_SRC) } },
			     &e->cmd, NULL));
	ASSERT_EQ(0, edu_dma(e, false, IOVA_SRC, XFER));
	ASSERT_EQ(0, edu_dma(e, true, IOVA_DST, XFER));
	EXPECT_TRUE(filled(page(e, PG_ALT), 0x41, XFER));
	/* No fault so far */
	n = wait_events(e, ev, 4, 200);
	for (i = 0; i < n; i++)
		log_event(_metadata, &ev[i]);
	EXPECT_EQ(0, n);
}

/*
 * A remapped PTE: before the invalidation the device may still use the
 * stale TLB entry (not asserted), after TLBI by VA it must use the new one.
 */
TEST_F_TIMEOUT(nest, remap_invalidate_va, T_TIMEOUT)
{
	struct env *e = &self->e;
	struct pvb_invalidate req = { .nr_entries = 2 };
	struct pvb_iommufd_inv_result res;

	attach_a(_metadata, e);
	pte_set(e, PG_L3_A, lvl_idx(IOVA_DST, 3), IPA(PG_ALT) | D_PAGE);
	fill(page(e, PG_SRC), 0x50, XFER);
	ASSERT_EQ(0, edu_dma(e, false, IOVA_SRC, XFER));
	ASSERT_EQ(0, edu_dma(e, true, IOVA_DST, XFER));
	TH_LOG("before the invalidation the write went to %s",
	       filled(page(e, PG_DST), 0x50, XFER) ?
		       "the old page (stale TLB)" :
	       filled(page(e, PG_ALT), 0x50, XFER) ? "the new page" :
						     "neither page");
	/* Two pages, one request: the guest driver batches them */
	req.entries[0] = inv_va(ASID_A, IOVA_SRC);
	req.entries[1] = inv_va(ASID_A, IOVA_DST);
	ASSERT_EQ(0, pvb_iommufd_invalidate(e->ctx, &req, &e->cmd, &res));
	EXPECT_EQ(-1, res.failed_entry);
	EXPECT_EQ(2U, res.done_entries);
	EXPECT_LE(2U, res.done_cmds);
	/* Entries of one class go to the kernel in one call */
	EXPECT_EQ(1U, res.calls);
	TH_LOG("TLBI by VA, 2 entries: %u command(s) in %u call(s)",
	       res.done_cmds, res.calls);
	EXPECT_TRUE(copy_via(e, IOVA_SRC, PG_SRC, IOVA_DST, PG_ALT, 0x51))
	TH_LOG("after TLBI_NH_VA the write did not reach the new page");
	EXPECT_FALSE(filled(page(e, PG_DST), 0x51, XFER));
}

/*
 * An unmapped PTE, invalidated by ASID: the write faults, nothing reaches
 * memory, and a stage-1 translation fault with the virtual StreamID and the
 * IOVA arrives on the vEVENTQ.
 */
TEST_F_TIMEOUT(nest, unmap_fault_event, T_TIMEOUT)
{
	struct env *e = &self->e;
	struct pvb_invalidate req = { .nr_entries = 1 };
	struct pvb_iommufd_event ev[EVS];
	struct pvb_iommufd_stats st;
	int i, n, found = 0;

	attach_a(_metadata, e);
	pte_set(e, PG_L3_A, lvl_idx(IOVA_DST, 3), 0);
	TH_LOG("before the invalidation the write %s",
	       copy_small(e, IOVA_SRC, PG_SRC, IOVA_DST, PG_DST, 0x60) ?
		       "used the stale TLB entry" :
		       "faulted");
	drain_events(e);
	req.entries[0] = inv_asid(ASID_A);
	ASSERT_EQ(0, pvb_iommufd_invalidate(e->ctx, &req, &e->cmd, NULL));
	memset(page(e, PG_DST), 0xee, PG);
	EXPECT_FALSE(copy_small(e, IOVA_SRC, PG_SRC, IOVA_DST, PG_DST, 0x61));
	EXPECT_EQ(0xee, page(e, PG_DST)[0]);
	n = wait_events(e, ev, EVS, 3000);
	ASSERT_LE(1, n) TH_LOG("no event on the vEVENTQ after the fault");
	for (i = 0; i < n; i++) {
		log_event(_metadata, &ev[i]);
		if (ev[i].code == EVT_F_TRANSLATION &&
		    ev[i].fault.reason == VIRTIO_IOMMU_FAULT_R_S1_TRANSLATION &&
		    (ev[i].fault.flags & VIRTIO_IOMMU_FAULT_F_ADDRESS) &&
		    ev[i].fault.address == IOVA_DST &&
		    (ev[i].fault.flags & VIRTIO_IOMMU_FAULT_F_WRITE))
			found++;
		/* Every record carries the virtual StreamID */
		EXPECT_EQ(VSID, ev[i].fault.sid);
	}
	EXPECT_EQ(1, found)
	TH_LOG("not one F_TRANSLATION write fault at IOVA 0x%llx",
	       (unsigned long long)IOVA_DST);
	pvb_iommufd_get_stats(e->ctx, &st);
	EXPECT_LE((uint64_t)n, st.events);
	/* A read of an IOVA stage 1 never mapped faults, no invalidation */
	drain_events(e);
	ASSERT_EQ(0, edu_dma(e, false, IOVA_HOLE + 8, FAULT_LEN));
	n = wait_events(e, ev, EVS, 3000);
	found = 0;
	for (i = 0; i < n; i++) {
		log_event(_metadata, &ev[i]);
		if (ev[i].fault.reason == VIRTIO_IOMMU_FAULT_R_S1_TRANSLATION &&
		    ev[i].fault.address == IOVA_HOLE + 8 &&
		    (ev[i].fault.flags & VIRTIO_IOMMU_FAULT_F_READ))
			found++;
	}
	EXPECT_EQ(1, found)
	TH_LOG("not one read fault at IOVA 0x%llx",
	       (unsigned long long)IOVA_HOLE + 8);
}

/*
 * More faults than the vEVENTQ holds: the kernel drops the excess and says
 * so, the backend counts them, and the queue works again once read.
 */
TEST_F_TIMEOUT(nest, vevent_overflow, T_TIMEOUT)
{
	struct env *e = &self->e;
	struct pvb_iommufd_event ev[EVS];
	struct pvb_iommufd_stats st;
	const int faults = DEPTH + 4;
	uint32_t lost = 0, seq;
	int i, n;

	attach_a(_metadata, e);
	drain_events(e);
	for (i = 0; i < faults; i++)
		ASSERT_EQ(0, edu_dma(e, true, IOVA_HOLE + 4 * i, FAULT_LEN));
	/* Let the kernel's event thread deliver them all */
	usleep(500000);
	n = pvb_iommufd_read_events(e->ctx, ev, EVS, &lost);
	TH_LOG("%d faults into a vEVENTQ of %d: %d records, %u lost", faults,
	       DEPTH, n, lost);
	EXPECT_LE(1, n);
	EXPECT_GE(DEPTH, n);
	EXPECT_LE(1U, lost);
	EXPECT_EQ(faults, n + (int)lost);
	ASSERT_LE(1, n);
	seq = ev[n - 1].sequence;
	for (i = 1; i < n; i++)
		EXPECT_EQ(ev[i - 1].sequence + 1, ev[i].sequence);
	pvb_iommufd_get_stats(e->ctx, &st);
	EXPECT_EQ(lost, st.lost_events);
	/* Read out: a new fault comes through, nothing more lost */
	ASSERT_EQ(0, edu_dma(e, true, IOVA_HOLE, FAULT_LEN));
	n = wait_events(e, ev, EVS, 3000);
	ASSERT_EQ(1, n);
	EXPECT_EQ(IOVA_HOLE, ev[0].fault.address);
	EXPECT_LT(seq, ev[0].sequence);
	pvb_iommufd_get_stats(e->ctx, &st);
	EXPECT_EQ(lost, st.lost_events);
}

/*
 * The CD changed in place (new table, new ASID): CFGI_CD + TLBI by the old
 * ASID, as the guest driver sends them in one INVALIDATE request.
 */
TEST_F_TIMEOUT(nest, cd_change, T_TIMEOUT)
{
	struct env *e = &self->e;
	struct pvb_invalidate req = { .nr_entries = 2 };
	struct pvb_iommufd_inv_result res;

	attach_a(_metadata, e);
	table_build(e, PG_L1_B, PG_L2_B, PG_L3_B, PG_ALT2);
	cd_write(e, PG_CD_A, PG_L1_B, ASID_B);
	req.entries[0] = inv_cd();
	req.entries[1] = inv_asid(ASID_A);
	ASSERT_EQ(0, pvb_iommufd_invalidate(e->ctx, &req, &e->cmd, &res));
	EXPECT_EQ(2U, res.done_entries);
	/* CFGI_CD, then TLBI_NH_ASID: two classes, two calls */
	EXPECT_EQ(2U, res.calls);
	EXPECT_EQ(2U, res.done_cmds);
	EXPECT_TRUE(copy_via(e, IOVA_SRC, PG_SRC, IOVA_DST, PG_ALT2, 0x70))
	TH_LOG("after CFGI_CD the device did not use the new CD");
	EXPECT_FALSE(filled(page(e, PG_DST), 0x70, XFER));
}

/* ATTACH_TABLE again: a new nested HWPT replaces the old one */
TEST_F_TIMEOUT(nest, replace, T_TIMEOUT)
{
	struct env *e = &self->e;
	struct pvb_s1_table t = table_at(IPA(PG_CD_B));
	struct pvb_iommufd_dev_ids a, b;
	unsigned int live;

	attach_a(_metadata, e);
	a = dev_ids(e);
	live = e->rec.nr_live;
	table_build(e, PG_L1_B, PG_L2_B, PG_L3_B, PG_ALT2);
	cd_write(e, PG_CD_B, PG_L1_B, ASID_B);
	ASSERT_EQ(0, attach_kind(e, PVB_NEST_S1, &t));
	b = dev_ids(e);
	EXPECT_NE(a.nested_hwpt, b.nested_hwpt);
	EXPECT_EQ(b.nested_hwpt, b.attached);
	EXPECT_EQ(a.vdevice, b.vdevice);
	EXPECT_EQ(live, e->rec.nr_live);
	EXPECT_EQ(-ENOENT, destroy(e, a.nested_hwpt));
	EXPECT_TRUE(copy_via(e, IOVA_SRC, PG_SRC, IOVA_DST, PG_ALT2, 0x80));
	EXPECT_FALSE(filled(page(e, PG_DST), 0x80, XFER));
}

/*
 * A vSTE the kernel refuses (Config = stage 2 only): an error, nothing
 * allocated left behind, the device still on its old nested HWPT. At the
 * first attach of the context, the nest parent, vIOMMU and vEVENTQ go too.
 */
TEST_F_TIMEOUT(nest, bad_ste, T_TIMEOUT)
{
	struct env *e = &self->e;
	struct pvb_s1_table t = table_at(IPA(PG_CD_A));
	struct pvb_iommufd_dev_ids before, after;
	struct pvb_iommufd_ids ids;
	unsigned int live = e->rec.nr_live;
	int ret;

	table_build(e, PG_L1_A, PG_L2_A, PG_L3_A, PG_DST);
	cd_write(e, PG_CD_A, PG_L1_A, ASID_A);
	corrupt_ste = true;
	ret = attach_kind(e, PVB_NEST_S1, &t);
	TH_LOG("first attach with a bad vSTE: %d (%s)", ret, strerror(-ret));
	EXPECT_GT(0, ret);
	ids = ctx_ids(e);
	EXPECT_EQ(0U, ids.parent_hwpt);
	EXPECT_EQ(0U, ids.viommu);
	EXPECT_EQ(0U, ids.veventq);
	EXPECT_EQ(0U, dev_ids(e).vdevice);
	EXPECT_EQ(0U, dev_ids(e).attached);
	EXPECT_EQ(-1, pvb_iommufd_veventq_fd(e->ctx));
	EXPECT_EQ(live, e->rec.nr_live);
	EXPECT_FALSE(copy_small(e, IOVA_SRC, PG_SRC, IOVA_DST, PG_DST, 0x90));

	corrupt_ste = false;
	attach_a(_metadata, e);
	before = dev_ids(e);
	live = e->rec.nr_live;
	corrupt_ste = true;
	ret = attach_kind(e, PVB_NEST_S1, &t);
	corrupt_ste = false;
	TH_LOG("replacing attach with a bad vSTE: %d (%s)", ret,
	       strerror(-ret));
	EXPECT_GT(0, ret);
	after = dev_ids(e);
	EXPECT_EQ(before.nested_hwpt, after.nested_hwpt);
	EXPECT_EQ(before.attached, after.attached);
	EXPECT_EQ(before.vdevice, after.vdevice);
	EXPECT_EQ(live, e->rec.nr_live);
	EXPECT_TRUE(copy_via(e, IOVA_SRC, PG_SRC, IOVA_DST, PG_DST, 0x91))
	TH_LOG("the device lost its translation after a refused vSTE");
	/* A configuration the encoder refuses never reaches the kernel */
	live = rec_count(&e->rec, IOMMU_HWPT_ALLOC);
	EXPECT_EQ(-EINVAL, attach_kind(e, (enum pvb_nest_kind)99, NULL));
	EXPECT_EQ(live, rec_count(&e->rec, IOMMU_HWPT_ALLOC));
	EXPECT_TRUE(copy_via(e, IOVA_SRC, PG_SRC, IOVA_DST, PG_DST, 0x92));
}

/*
 * Bad CD pointers: the kernel does not read the CD, so the vSTE is taken;
 * the SMMU then refuses the configuration. An invalid CD gives C_BAD_CD on
 * the vEVENTQ; a CD outside stage 2 gives a stage-2 fault, which the
 * kernel keeps to itself. Either way no DMA gets through, and a good table
 * afterwards works again.
 */
TEST_F_TIMEOUT(nest, bad_cd, T_TIMEOUT)
{
	struct env *e = &self->e;
	struct pvb_s1_table zero = table_at(IPA(PG_ZERO));
	struct pvb_s1_table none = table_at(IPA_NONE);
	struct pvb_iommufd_event ev[EVS];
	int i, n, found = 0;

	attach_a(_metadata, e);
	drain_events(e);
	ASSERT_EQ(0, attach_kind(e, PVB_NEST_S1, &zero));
	memset(page(e, PG_DST), 0, PG);
	EXPECT_FALSE(copy_small(e, IOVA_SRC, PG_SRC, IOVA_DST, PG_DST, 0xa0));
	n = wait_events(e, ev, EVS, 3000);
	for (i = 0; i < n; i++) {
		log_event(_metadata, &ev[i]);
		if (ev[i].code == EVT_C_BAD_CD && ev[i].fault.sid == VSID &&
		    ev[i].fault.reason == VIRTIO_IOMMU_FAULT_R_S1_BAD_CD)
			found++;
	}
	/* One for the read, one for the write */
	EXPECT_EQ(2, found)
	TH_LOG("C_BAD_CD records for vSID 0x%x: %d", VSID, found);

	drain_events(e);
	ASSERT_EQ(0, attach_kind(e, PVB_NEST_S1, &none));
	EXPECT_FALSE(copy_small(e, IOVA_SRC, PG_SRC, IOVA_DST, PG_DST, 0xa1));
	n = wait_events(e, ev, EVS, 1000);
	for (i = 0; i < n; i++)
		log_event(_metadata, &ev[i]);
	EXPECT_EQ(0, n)
	TH_LOG("a stage-2 fault (CD fetch) reached the vEVENTQ; the "
	       "kernel forwards stage-1 events only");

	attach_a(_metadata, e);
}

/* Detach: off the nested HWPT, DMA blocked, the vDEVICE kept */
TEST_F_TIMEOUT(nest, detach, T_TIMEOUT)
{
	struct env *e = &self->e;
	struct pvb_iommufd_dev_ids d;

	attach_a(_metadata, e);
	d = dev_ids(e);
	ASSERT_EQ(0, pvb_iommufd_dev_detach(e->dev));
	EXPECT_EQ(0U, dev_ids(e).nested_hwpt);
	EXPECT_EQ(0U, dev_ids(e).attached);
	EXPECT_EQ(d.vdevice, dev_ids(e).vdevice);
	EXPECT_EQ(-ENOENT, destroy(e, d.nested_hwpt));
	memset(page(e, PG_DST), 0, PG);
	EXPECT_FALSE(copy_small(e, IOVA_SRC, PG_SRC, IOVA_DST, PG_DST, 0xb0));
	/* And back */
	attach_a(_metadata, e);
}

/*
 * Invalidation errors: the SMMU has no ATS, so the kernel refuses ATC_INV
 * (EIO). The entries before it were handled, the failed one is named,
 * invalidate_all() recovers, and the vIOMMU still works.
 */
TEST_F_TIMEOUT(nest, invalidate_error, T_TIMEOUT)
{
	struct env *e = &self->e;
	struct pvb_invalidate req = { .nr_entries = 3 };
	struct pvb_iommufd_inv_result res;
	struct pvb_iommufd_stats st;
	int ret;

	attach_a(_metadata, e);
	ASSERT_EQ(0U, e->idr[0] & (1u << 10)) TH_LOG("the SMMU has ATS");
	req.entries[0] = inv_va(ASID_A, IOVA_DST);
	req.entries[1] = (struct pvb_inv_entry){
		.scope = VIRTIO_IOMMU_INV_S_ATC, .addr = 0, .size = PG
	};
	req.entries[2] = inv_asid(ASID_A);
	ret = pvb_iommufd_invalidate(e->ctx, &req, &e->cmd, &res);
	TH_LOG("ATC_INV on an SMMU without ATS: %d (%s), failed entry %d", ret,
	       strerror(-ret), res.failed_entry);
	EXPECT_EQ(-EIO, ret);
	EXPECT_EQ(1, res.failed_entry);
	EXPECT_EQ(1U, res.done_entries);
	pvb_iommufd_get_stats(e->ctx, &st);
	EXPECT_EQ(1U, st.inv_failures);
	ASSERT_EQ(0, pvb_iommufd_invalidate_all(e->ctx, &e->cmd, false, &res));
	EXPECT_EQ(2U, res.done_entries);
	/* The whole vIOMMU invalidated: a remap is seen */
	pte_set(e, PG_L3_A, lvl_idx(IOVA_DST, 3), IPA(PG_ALT) | D_PAGE);
	ASSERT_EQ(0, pvb_iommufd_invalidate_all(e->ctx, &e->cmd, false, NULL));
	EXPECT_TRUE(copy_via(e, IOVA_SRC, PG_SRC, IOVA_DST, PG_ALT, 0xc0));
}

/* From a MAP/UNMAP domain to nested and back */
TEST_F_TIMEOUT(nest, domain_to_nested, T_TIMEOUT)
{
	struct env *e = &self->e;
	struct pvb_iommufd_domain *dom;

	ASSERT_EQ(0, pvb_iommufd_domain_new(e->ctx, &dom));
	ASSERT_EQ(0, pvb_iommufd_dev_attach_domain(e->dev, dom));
	ASSERT_EQ(0, pvb_iommufd_map(dom, IOVA_SRC, IPA(PG_SRC), PG,
				     PVB_MAP_READ | PVB_MAP_WRITE));
	ASSERT_EQ(0, pvb_iommufd_map(dom, IOVA_DST, IPA(PG_ALT), PG,
				     PVB_MAP_READ | PVB_MAP_WRITE));
	EXPECT_TRUE(copy_via(e, IOVA_SRC, PG_SRC, IOVA_DST, PG_ALT, 0xd0));
	attach_a(_metadata, e);
	EXPECT_FALSE(filled(page(e, PG_ALT), 0x10, XFER));
	EXPECT_EQ(0, pvb_iommufd_dev_attach_domain(e->dev, dom));
	EXPECT_EQ(0U, dev_ids(e).nested_hwpt);
	EXPECT_TRUE(copy_via(e, IOVA_SRC, PG_SRC, IOVA_DST, PG_ALT, 0xd1));
}

/* Teardown destroys every object, the vEVENTQ fd included */
TEST_F_TIMEOUT(nest, free_all, T_TIMEOUT)
{
	struct env *e = &self->e;
	uint32_t ids[64];
	unsigned int n, i;
	int evfd;

	attach_a(_metadata, e);
	evfd = pvb_iommufd_veventq_fd(e->ctx);
	ASSERT_LE(0, evfd);
	/* RAM IOAS, nest parent, vIOMMU, vEVENTQ, vDEVICE, nested HWPT */
	n = e->rec.nr_live;
	EXPECT_EQ(6U, n);
	memcpy(ids, e->rec.live, n * sizeof(ids[0]));
	pvb_iommufd_free(e->ctx);
	e->ctx = NULL;
	EXPECT_EQ(0U, e->rec.nr_live);
	EXPECT_EQ(0U, e->rec.stray_destroys);
	for (i = 0; i < n; i++)
		EXPECT_EQ(-ENOENT, destroy(e, ids[i]))
	TH_LOG("object %u still exists", ids[i]);
	EXPECT_EQ(-1, fcntl(evfd, F_GETFD));
	/* The device was detached: blocked */
	memset(page(e, PG_DST), 0, PG);
	EXPECT_FALSE(copy_small(e, IOVA_SRC, PG_SRC, IOVA_DST, PG_DST, 0xe0));
	/* A new context on the same iommufd works from scratch */
	memset(&e->rec, 0, sizeof(e->rec));
	ctx_open(_metadata, e);
	attach_a(_metadata, e);
}

/* Fixture nofwb: the stock QEMU registers, without SMMU_IDR3.FWB */

FIXTURE(nofwb)
{
	struct env e;
};

FIXTURE_SETUP(nofwb)
{
	env_setup(_metadata, &self->e);
}

FIXTURE_TEARDOWN(nofwb)
{
	env_teardown(_metadata, &self->e);
}

/*
 * The expected failure: IOMMU_VIOMMU_ALLOC refused, reported as such, the
 * nest parent rolled back, the device left as it was.
 */
TEST_F_TIMEOUT(nofwb, viommu_refused_without_fwb, T_TIMEOUT)
{
	struct env *e = &self->e;
	struct pvb_s1_table t = table_at(IPA(PG_CD_A));
	struct pvb_iommufd_ids ids;
	int ret;

	ASSERT_EQ(0U, e->idr[3] & IDR3_FWB)
	TH_LOG("SMMU_IDR3.FWB is set: boot with "
	       "-global arm-smmuv3.fwb=off");
	table_build(e, PG_L1_A, PG_L2_A, PG_L3_A, PG_DST);
	cd_write(e, PG_CD_A, PG_L1_A, ASID_A);
	ret = attach_kind(e, PVB_NEST_S1, &t);
	EXPECT_EQ(-EOPNOTSUPP, ret);
	EXPECT_EQ(VIRTIO_IOMMU_S_UNSUPP, pvb_iommufd_status(ret));
	EXPECT_EQ(1U, rec_count(&e->rec, IOMMU_VIOMMU_ALLOC));
	if (ret == -EOPNOTSUPP)
		TH_LOG("expected failure: IOMMU_VIOMMU_ALLOC(ARM_SMMUV3) "
		       "refused with EOPNOTSUPP: the SMMU lacks "
		       "SMMU_IDR3.FWB (S2FWB) and the device is not CANWBS, "
		       "so there is no nesting (QEMU's device falls back to "
		       "MAP/UNMAP)");
	ids = ctx_ids(e);
	EXPECT_EQ(0U, ids.parent_hwpt);
	EXPECT_EQ(0U, ids.viommu);
	EXPECT_EQ(0U, dev_ids(e).vdevice);
	EXPECT_EQ(0U, dev_ids(e).attached);
	EXPECT_EQ(1U, e->rec.nr_live); /* the RAM IOAS */
	EXPECT_FALSE(copy_small(e, IOVA_SRC, PG_SRC, IOVA_DST, PG_DST, 0xf0));
}

int main(int argc, char **argv)
{
	const char *fwb = getenv("PV_EXPECT_FWB");
	char **args = calloc(argc + 3, sizeof(*args));
	int i;

	arm_type = pvb_iommufd_type_arm_smmuv3;
	arm_type.encode_hwpt = arm_encode_hwpt;
	expect_fwb = !(fwb && !strcmp(fwb, "0"));
	for (i = 0; i < argc; i++)
		args[i] = argv[i];
	/* Each mode runs its own fixture of the two */
	args[argc++] = "-F";
	args[argc++] = expect_fwb ? "nofwb" : "nest";
	printf("# SMMU_IDR3.FWB expected %s: %s\n",
	       expect_fwb ? "set" : "clear",
	       expect_fwb ? "the nesting tests run (fixture nest)" :
			    "the vIOMMU must be refused (fixture nofwb)");
	fflush(stdout);
	return test_harness_run(argc, args);
}
