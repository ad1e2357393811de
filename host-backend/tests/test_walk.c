// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Known-answer tests of the stage-1 walker on hand-built tables.
 */
#include <errno.h>

#include "pvb/s1.h"

#include "arch.h"
#include "gmem.h"
#include "suites.h"
#include "tap.h"

#define R  PVB_ACCESS_READ
#define W  PVB_ACCESS_WRITE
#define X  PVB_ACCESS_EXEC
#define RW (R | W)

#define BAD_CD -1000 /* pvb_cd_decode() refused the CD */

/* Where blocks land: aligned to 1GB, so to every block size below */
#define BLOCK_PA 0x0000000540000000ULL
#define PAGE_PA	 0x0000009876540000ULL

struct walk_case {
	struct gmem gm;
	struct t_pt pt;
	uint64_t cd[8];
	struct pvb_arm_caps caps;
	struct pvb_iotlb_entry res;
	struct pvb_fault fault;
};

static void wc_init(struct walk_case *wc, unsigned int g, unsigned int ias,
		    unsigned int start)
{
	gmem_init(&wc->gm);
	pvb_arm_caps_sw(48, &wc->caps);
	t_pt_init(&wc->pt, &wc->gm, g, ias, start);
	t_make_cd(wc->cd, g, ias, T_IPS_48, wc->pt.root, 0x42);
}

static void wc_fini(struct walk_case *wc)
{
	gmem_fini(&wc->gm);
}

static int wc_walk(struct walk_case *wc, uint64_t iova, uint8_t access)
{
	struct pvb_s1_txn txn = { .iova = iova, .access = access };
	struct pvb_mem mem = gmem_mem(&wc->gm);
	struct pvb_cd cd;

	if (pvb_cd_decode(wc->cd, &wc->caps, &cd))
		return BAD_CD;
	wc->gm.reads = 0;
	return pvb_s1_walk(&cd, &mem, &txn, &wc->res, &wc->fault);
}

static bool is_fault(struct walk_case *wc, int ret, uint8_t reason, int level)
{
	if (ret != -EFAULT || wc->fault.reason != reason)
		tap_diag("ret %d reason %u level %d", ret, wc->fault.reason,
			 wc->fault.level);
	return ret == -EFAULT && wc->fault.reason == reason &&
	       (level < 0 || wc->fault.level == level);
}

static uint64_t mask_bits(unsigned int bits)
{
	return bits >= 64 ? ~0ULL : (1ULL << bits) - 1;
}

/* An IOVA using every index bit of every level, within @ias bits */
static uint64_t test_iova(unsigned int ias)
{
	return (0x0000a5a5c3c35a5aULL & mask_bits(ias)) | 1ULL << (ias - 1);
}

/* Every (granule, input size) at both ends of each start level's range */
static const struct geometry {
	unsigned int g, ias, start;
} geometries[] = {
	{ 12, 48, 0 }, { 12, 40, 0 }, { 12, 39, 1 }, { 12, 31, 1 },
	{ 12, 30, 2 }, { 12, 22, 2 }, { 12, 21, 3 }, { 12, 16, 3 },
	{ 14, 48, 0 }, { 14, 47, 1 }, { 14, 37, 1 }, { 14, 36, 2 },
	{ 14, 26, 2 }, { 14, 25, 3 }, { 14, 16, 3 }, { 16, 48, 1 },
	{ 16, 43, 1 }, { 16, 42, 2 }, { 16, 30, 2 }, { 16, 29, 3 },
	{ 16, 17, 3 },
};

/* Levels where a block is legal without FEAT_LPA(2) (D8.3.1) */
static bool block_legal(unsigned int g, unsigned int level)
{
	if (g == 12)
		return level == 1 || level == 2;
	return level == 2;
}

static void geometry_page(const struct geometry *geo)
{
	uint64_t iova = test_iova(geo->ias);
	struct walk_case wc;
	int ret;

	wc_init(&wc, geo->g, geo->ias, geo->start);
	t_pt_map(&wc.pt, iova, PAGE_PA, 3, T_LEAF_RW, 0);
	ret = wc_walk(&wc, iova, R | W);
	OK(ret == 0, "%uKB ias %u: page walk from level %u", 1 << (geo->g - 10),
	   geo->ias, geo->start);
	EQ(wc.res.out, PAGE_PA, "  output address");
	EQ(wc.res.iova, iova & ~mask_bits(geo->g), "  input page");
	EQ(wc.res.size_log2, geo->g, "  page size");
	EQ(wc.res.perm, R | W | X, "  permissions");
	EQ(wc.res.asid, 0x42, "  ASID");
	EQ(wc.gm.reads, 4 - geo->start, "  one read per level");

	/* Outside the input range */
	ret = wc_walk(&wc, 1ULL << geo->ias, R);
	OK(is_fault(&wc, ret, VIRTIO_IOMMU_FAULT_R_S1_TRANSLATION, geo->start),
	   "  IOVA 2^ias: translation fault");
	OK(wc.gm.reads == 0, "  no read for an out-of-range IOVA");

	/* A level-3 descriptor with type 0b01 is reserved */
	gmem_w64(&wc.gm, t_pt_desc_addr(&wc.pt, iova, 3),
		 t_oa(&wc.pt, PAGE_PA) | T_LEAF_RW | T_TYPE_BLOCK);
	ret = wc_walk(&wc, iova, R);
	OK(is_fault(&wc, ret, VIRTIO_IOMMU_FAULT_R_S1_TRANSLATION, 3),
	   "  block type at level 3: translation fault");
	wc_fini(&wc);
}

static void geometry_block(const struct geometry *geo, unsigned int level)
{
	uint64_t iova = test_iova(geo->ias);
	unsigned int shift = t_shift(geo->g, level);
	struct walk_case wc;
	int ret;

	wc_init(&wc, geo->g, geo->ias, geo->start);
	t_pt_map(&wc.pt, iova, BLOCK_PA, level, T_LEAF_RW, 0);
	ret = wc_walk(&wc, iova, R);
	if (!block_legal(geo->g, level)) {
		OK(is_fault(&wc, ret, VIRTIO_IOMMU_FAULT_R_S1_TRANSLATION,
			    level),
		   "%uKB ias %u: block at level %u is reserved",
		   1 << (geo->g - 10), geo->ias, level);
		wc_fini(&wc);
		return;
	}
	OK(ret == 0, "%uKB ias %u: block at level %u", 1 << (geo->g - 10),
	   geo->ias, level);
	EQ(wc.res.size_log2, shift, "  block size");
	EQ(wc.res.out, BLOCK_PA, "  block output");
	EQ(wc.res.iova, iova & ~mask_bits(shift), "  block input base");
	wc_fini(&wc);
}

static void test_geometries(void)
{
	unsigned int i, level;

	for (i = 0; i < sizeof(geometries) / sizeof(geometries[0]); i++) {
		geometry_page(&geometries[i]);
		for (level = geometries[i].start; level < 3; level++)
			geometry_block(&geometries[i], level);
	}
}

/* One leaf with @attrs below a level-1 table with @tattrs (4KB, 48 bits) */
static int perm_case(struct walk_case *wc, uint64_t attrs, uint64_t tattrs,
		     uint64_t cd0, uint64_t cd1, uint8_t access)
{
	uint64_t iova = 0x12345678000ULL;

	wc_init(wc, 12, 48, 0);
	wc->cd[0] |= cd0;
	wc->cd[1] |= cd1;
	t_pt_map(&wc->pt, iova, PAGE_PA, 3, attrs, tattrs);
	return wc_walk(wc, iova, access);
}

static void expect_perm(uint64_t attrs, uint64_t tattrs, uint64_t cd0,
			uint64_t cd1, uint8_t perm, const char *what)
{
	struct walk_case wc;
	int ret = perm_case(&wc, attrs, tattrs, cd0, cd1, 0);

	OK(ret == 0, "%s: lookup without access check", what);
	EQ(wc.res.perm, perm, "  %s: permissions", what);
	wc_fini(&wc);
}

static void expect_denied(uint64_t attrs, uint64_t tattrs, uint64_t cd0,
			  uint64_t cd1, uint8_t access, const char *what)
{
	struct walk_case wc;
	int ret = perm_case(&wc, attrs, tattrs, cd0, cd1, access);

	OK(is_fault(&wc, ret, VIRTIO_IOMMU_FAULT_R_S1_PERMISSION, 3),
	   "%s: permission fault", what);
	OK((wc.fault.flags & PVB_ACCESS_MASK) == access,
	   "  %s: fault flags carry the access", what);
	wc_fini(&wc);
}

static void test_permissions(void)
{
	const uint64_t leaf = T_AF | T_NG;

	expect_perm(leaf | T_AP1, 0, 0, 0, R | W | X, "AP 0b01 (RW, EL0)");
	expect_perm(leaf | T_AP1 | T_AP2, 0, 0, 0, R | X, "AP 0b11 (RO, EL0)");
	expect_perm(leaf, 0, 0, 0, X, "AP 0b00 (EL1 only)");
	expect_perm(leaf | T_AP2, 0, 0, 0, X, "AP 0b10 (RO, EL1 only)");
	expect_perm(leaf | T_AP1 | T_UXN, 0, 0, 0, R | W, "UXN");
	expect_perm(leaf | T_AP1 | T_PXN, 0, 0, 0, R | W | X,
		    "PXN does not concern unprivileged fetches");
	expect_perm(leaf | T_AP1, T_APTABLE_NOEL0, 0, 0, X, "APTable[0]");
	expect_perm(leaf | T_AP1, T_APTABLE_RO, 0, 0, R | X, "APTable[1]");
	expect_perm(leaf | T_AP1, T_UXNTABLE, 0, 0, R | W, "UXNTable");
	expect_perm(leaf | T_AP1, T_PXNTABLE, 0, 0, R | W | X, "PXNTable");
	expect_perm(leaf | T_AP1, T_APTABLE_RO | T_APTABLE_NOEL0 | T_UXNTABLE,
		    0, T_CD1_HAD0, R | W | X, "HAD0 ignores APTable/UXNTable");
	expect_perm(leaf | T_AP1, 0, T_CD0_WXN, 0, R | W, "WXN on a RW page");
	expect_perm(leaf | T_AP1 | T_AP2, 0, T_CD0_WXN, 0, R | X,
		    "WXN on a RO page");
	expect_perm(leaf | T_AP1, T_APTABLE_RO, T_CD0_WXN, 0, R | X,
		    "WXN, read-only through APTable");
	expect_perm(leaf, 0, T_CD0_WXN, 0, X,
		    "WXN on a page EL0 cannot write (AP 0b00)");

	expect_denied(T_LEAF_RO, 0, 0, 0, W, "write to AP[2] page");
	expect_denied(leaf, 0, 0, 0, R, "read of EL1-only page");
	expect_denied(leaf | T_AP1 | T_UXN, 0, 0, 0, X, "fetch from UXN page");
	expect_denied(T_LEAF_RW, T_APTABLE_RO, 0, 0, R | W,
		      "write below APTable[1]");
	expect_denied(T_LEAF_RW, 0, T_CD0_WXN, 0, X, "fetch with WXN");
}

static void test_leaf_faults(void)
{
	uint64_t iova = 0x12345678000ULL;
	struct walk_case wc;
	int ret;

	/* Invalid leaf, with and without fault recording */
	wc_init(&wc, 12, 48, 0);
	t_pt_map(&wc.pt, iova, PAGE_PA, 3, 0, 0);
	gmem_w64(&wc.gm, t_pt_desc_addr(&wc.pt, iova, 3), 0);
	ret = wc_walk(&wc, iova + 0x123, R);
	OK(is_fault(&wc, ret, VIRTIO_IOMMU_FAULT_R_S1_TRANSLATION, 3),
	   "invalid page descriptor: translation fault at level 3");
	OK(wc.fault.record, "  recorded (CD.R == 1)");
	EQ(wc.fault.address, iova + 0x123, "  fault address");
	EQ(wc.fault.flags, R | VIRTIO_IOMMU_FAULT_F_ADDRESS, "  fault flags");
	wc.cd[0] &= ~T_CD0_R;
	ret = wc_walk(&wc, iova, R);
	OK(ret == -EFAULT && !wc.fault.record, "  CD.R == 0: not recorded");
	wc_fini(&wc);

	/* Invalid table descriptor at the starting level */
	wc_init(&wc, 12, 48, 0);
	ret = wc_walk(&wc, iova, R);
	OK(is_fault(&wc, ret, VIRTIO_IOMMU_FAULT_R_S1_TRANSLATION, 0),
	   "empty level-0 table: translation fault at level 0");
	wc_fini(&wc);

	/* Access flag */
	wc_init(&wc, 12, 48, 0);
	t_pt_map(&wc.pt, iova, PAGE_PA, 3, T_LEAF_RW & ~T_AF, 0);
	ret = wc_walk(&wc, iova, R);
	OK(is_fault(&wc, ret, VIRTIO_IOMMU_FAULT_R_S1_ACCESS, 3),
	   "AF == 0: access flag fault");
	ret = wc_walk(&wc, iova, 0);
	OK(is_fault(&wc, ret, VIRTIO_IOMMU_FAULT_R_S1_ACCESS, 3),
	   "AF == 0: access flag fault on a lookup too");
	wc.cd[0] |= T_CD0_AFFD;
	ret = wc_walk(&wc, iova, R | W);
	OK(ret == 0, "AF == 0 with CD.AFFD: translated");
	/* An access flag fault has priority over a permission fault */
	wc.cd[0] &= ~T_CD0_AFFD;
	gmem_w64(&wc.gm, t_pt_desc_addr(&wc.pt, iova, 3),
		 t_oa(&wc.pt, PAGE_PA) | T_AP1 | T_AP2 | T_TYPE_PAGE);
	ret = wc_walk(&wc, iova, W);
	OK(is_fault(&wc, ret, VIRTIO_IOMMU_FAULT_R_S1_ACCESS, 3),
	   "AF == 0 and read-only: access flag fault first");
	wc_fini(&wc);
}

static void test_addr_size_faults(void)
{
	uint64_t iova = 0x12345678000ULL;
	struct walk_case wc;
	int ret;

	/* Output beyond CD.IPS */
	wc_init(&wc, 12, 48, 0);
	wc.cd[0] = (wc.cd[0] & ~T_CD0_IPS(7)) | T_CD0_IPS(T_IPS_32);
	t_pt_map(&wc.pt, iova, 0x100000000ULL, 3, T_LEAF_RW, 0);
	ret = wc_walk(&wc, iova, R);
	OK(is_fault(&wc, ret, VIRTIO_IOMMU_FAULT_R_S1_ADDR_SIZE, 3),
	   "output 2^32 with IPS 32 bits: address size fault");
	/* Priority over the access flag */
	gmem_w64(&wc.gm, t_pt_desc_addr(&wc.pt, iova, 3),
		 0x100000000ULL | T_AP1 | T_TYPE_PAGE);
	ret = wc_walk(&wc, iova, R);
	OK(is_fault(&wc, ret, VIRTIO_IOMMU_FAULT_R_S1_ADDR_SIZE, 3),
	   "  and with AF == 0: address size fault first");
	wc_fini(&wc);

	/* Output beyond caps.oas although CD.IPS allows it */
	wc_init(&wc, 12, 48, 0);
	wc.caps.oas = 40;
	t_pt_map(&wc.pt, iova, 1ULL << 41, 3, T_LEAF_RW, 0);
	ret = wc_walk(&wc, iova, R);
	OK(is_fault(&wc, ret, VIRTIO_IOMMU_FAULT_R_S1_ADDR_SIZE, 3),
	   "output 2^41 with oas 40, IPS 48: address size fault");
	wc_fini(&wc);

	/* Next-level table beyond the output size */
	wc_init(&wc, 12, 48, 0);
	wc.cd[0] = (wc.cd[0] & ~T_CD0_IPS(7)) | T_CD0_IPS(T_IPS_40);
	gmem_w64(&wc.gm, t_pt_desc_addr(&wc.pt, iova, 0),
		 (1ULL << 40) | T_TYPE_TABLE);
	ret = wc_walk(&wc, iova, R);
	OK(is_fault(&wc, ret, VIRTIO_IOMMU_FAULT_R_S1_ADDR_SIZE, 0),
	   "level-1 table at 2^40 with IPS 40: address size fault at level 0");
	wc_fini(&wc);

	/* 64KB: OA[51:48] in bits [15:12] without 52-bit output */
	wc_init(&wc, 16, 48, 1);
	t_pt_map(&wc.pt, iova, PAGE_PA | 1ULL << 48, 3, T_LEAF_RW, 0);
	ret = wc_walk(&wc, iova, R);
	OK(is_fault(&wc, ret, VIRTIO_IOMMU_FAULT_R_S1_ADDR_SIZE, 3),
	   "64KB page with OA[48] set, 48-bit output: address size fault");
	wc_fini(&wc);
}

static void test_walk_eabt(void)
{
	uint64_t iova = 0x12345678000ULL, ttb;
	struct walk_case wc;
	int ret;

	/* Starting-level table in an MMIO hole */
	wc_init(&wc, 12, 48, 0);
	wc.gm.hole_start = wc.pt.root;
	wc.gm.hole_end = wc.pt.root + 4096;
	ret = wc_walk(&wc, iova, R);
	OK(is_fault(&wc, ret, VIRTIO_IOMMU_FAULT_R_S1_WALK_EABT, 0),
	   "level-0 table unreadable: walk external abort");
	EQ(wc.fault.fetch_addr, wc.pt.root + 8 * ((iova >> 39) & 511),
	   "  fetch address of the descriptor");
	wc.cd[0] &= ~T_CD0_R;
	ret = wc_walk(&wc, iova, R);
	OK(ret == -EFAULT && wc.fault.record, "  recorded even with CD.R == 0");
	wc_fini(&wc);

	/* Next-level table beyond guest RAM, within the output size */
	wc_init(&wc, 12, 48, 0);
	ttb = 0x0000400000000000ULL;
	gmem_w64(&wc.gm, t_pt_desc_addr(&wc.pt, iova, 0), ttb | T_TYPE_TABLE);
	ret = wc_walk(&wc, iova, R);
	OK(is_fault(&wc, ret, VIRTIO_IOMMU_FAULT_R_S1_WALK_EABT, 1),
	   "level-1 table beyond RAM: walk external abort at level 1");
	wc_fini(&wc);

	/* TTB0 itself beyond RAM */
	wc_init(&wc, 12, 48, 0);
	wc.cd[1] = 0x0000100000000000ULL;
	ret = wc_walk(&wc, iova, R);
	OK(is_fault(&wc, ret, VIRTIO_IOMMU_FAULT_R_S1_WALK_EABT, 0),
	   "TTB0 beyond RAM: walk external abort at level 0");
	wc_fini(&wc);
}

static void test_ranges(void)
{
	struct walk_case wc;
	int ret;

	wc_init(&wc, 12, 48, 0);
	ret = wc_walk(&wc, 0xffff800000000000ULL, R);
	OK(is_fault(&wc, ret, VIRTIO_IOMMU_FAULT_R_S1_TRANSLATION, 0),
	   "upper-half (TTB1) address: translation fault");
	ret = wc_walk(&wc, 0x0100000000001000ULL, R);
	OK(is_fault(&wc, ret, VIRTIO_IOMMU_FAULT_R_S1_TRANSLATION, 0),
	   "tagged address (TBI not applied): translation fault");
	wc.cd[0] |= T_CD0_EPD0;
	ret = wc_walk(&wc, 0x1000, R);
	OK(is_fault(&wc, ret, VIRTIO_IOMMU_FAULT_R_S1_TRANSLATION, -1) &&
		   wc.gm.reads == 0,
	   "EPD0: translation fault without a walk");
	wc_fini(&wc);
}

static void test_hostile(void)
{
	/* Indices 5 at every level: the same descriptor each time */
	uint64_t iova = 5ULL << 39 | 5ULL << 30 | 5ULL << 21 | 5ULL << 12;
	struct walk_case wc;
	uint64_t slot;
	int ret;

	wc_init(&wc, 12, 48, 0);
	slot = wc.pt.root + 5 * 8;
	gmem_w64(&wc.gm, slot, wc.pt.root | T_TYPE_TABLE);
	ret = wc_walk(&wc, iova, R);
	OK(is_fault(&wc, ret, VIRTIO_IOMMU_FAULT_R_S1_ACCESS, 3),
	   "self-referencing table: ends at level 3 (page, AF == 0)");
	EQ(wc.gm.reads, 4, "  exactly four reads");
	gmem_w64(&wc.gm, slot, wc.pt.root | T_TYPE_TABLE | T_AF | T_AP1);
	ret = wc_walk(&wc, iova, R);
	OK(ret == 0 && wc.res.out == wc.pt.root && wc.gm.reads == 4,
	   "self-referencing table with AF: maps the table page itself");

	/* All-ones descriptors: a table at 0x0000fffffffff000 */
	gmem_w64(&wc.gm, slot, ~0ULL);
	ret = wc_walk(&wc, iova, R);
	OK(is_fault(&wc, ret, VIRTIO_IOMMU_FAULT_R_S1_WALK_EABT, 1),
	   "all-ones descriptor, 48-bit output: unreadable next table");
	wc.cd[0] = (wc.cd[0] & ~T_CD0_IPS(7)) | T_CD0_IPS(T_IPS_44);
	ret = wc_walk(&wc, iova, R);
	OK(is_fault(&wc, ret, VIRTIO_IOMMU_FAULT_R_S1_ADDR_SIZE, 0),
	   "all-ones descriptor, 44-bit output: address size fault");
	wc_fini(&wc);

	/* TTB0 low bits below the table size are ignored */
	gmem_init(&wc.gm);
	pvb_arm_caps_sw(48, &wc.caps);
	gmem_alloc(&wc.gm, 64, 64); /* the table is not 4KB aligned */
	t_pt_init(&wc.pt, &wc.gm, 12, 40, 0);
	t_make_cd(wc.cd, 12, 40, T_IPS_48, wc.pt.root | 0x8, 1);
	t_pt_map(&wc.pt, 0x8000001000ULL, PAGE_PA, 3, T_LEAF_RW, 0);
	ret = wc_walk(&wc, 0x8000001000ULL, R);
	OK(ret == 0 && wc.res.out == PAGE_PA,
	   "TTB0 bits below the 16-byte level-0 table are ignored");
	wc_fini(&wc);
	wc_init(&wc, 16, 42, 2);
	wc.cd[1] |= 0x8000;
	t_pt_map(&wc.pt, 0x30000000000ULL, PAGE_PA, 3, T_LEAF_RW, 0);
	ret = wc_walk(&wc, 0x30000000000ULL, R);
	OK(ret == 0 && wc.res.out == PAGE_PA,
	   "TTB0 bits below the 64KB level-2 table are ignored");
	wc_fini(&wc);
}

static int decode(const uint64_t cd[8], const struct pvb_arm_caps *caps)
{
	struct pvb_cd out;

	return pvb_cd_decode(cd, caps, &out);
}

static void expect_bad_cd(uint64_t set0, uint64_t clear0, uint64_t cd1,
			  const struct pvb_arm_caps *caps, const char *what)
{
	uint64_t cd[8];

	t_make_cd(cd, 12, 48, T_IPS_48, GMEM_BASE, 1);
	cd[0] = (cd[0] & ~clear0) | set0;
	if (cd1)
		cd[1] = cd1;
	OK(decode(cd, caps) == -EINVAL, "bad CD: %s", what);
}

static void test_bad_cd(void)
{
	struct pvb_arm_caps caps, caps8, caps4k;
	uint64_t cd[8];

	pvb_arm_caps_sw(48, &caps);
	caps8 = caps;
	caps8.asid_bits = 8;
	caps4k = caps;
	caps4k.granules = VIRTIO_IOMMU_ARM_GRAN_4K;

	t_make_cd(cd, 12, 48, T_IPS_48, GMEM_BASE, 1);
	OK(decode(cd, &caps) == 0, "reference CD decodes");
	expect_bad_cd(0, T_CD0_V, 0, &caps, "V == 0");
	expect_bad_cd(0, T_CD0_AA64, 0, &caps, "AA64 == 0 (VMSAv8-32)");
	expect_bad_cd(T_CD0_ENDI, 0, 0, &caps, "ENDI (big-endian)");
	expect_bad_cd(T_CD0_HA, 0, 0, &caps, "HA without HTTU");
	expect_bad_cd(T_CD0_HD, 0, 0, &caps, "HD without HTTU");
	expect_bad_cd(T_CD0_S, 0, 0, &caps, "S (stall) without stalls");
	expect_bad_cd(0, T_CD0_A, 0, &caps, "A == 0 (RAZ/WI termination)");
	expect_bad_cd(T_CD0_TG0(3), T_CD0_TG0(3), 0, &caps, "TG0 0b11");
	expect_bad_cd(T_CD0_TG0(2), T_CD0_TG0(3), 0, &caps4k,
		      "16KB granule not supported");
	expect_bad_cd(T_CD0_T0SZ(15), T_CD0_T0SZ(63), 0, &caps,
		      "T0SZ 15 (49-bit VA)");
	expect_bad_cd(T_CD0_T0SZ(49), T_CD0_T0SZ(63), 0, &caps, "T0SZ 49");
	expect_bad_cd(T_CD0_ASID(0x100), 0, 0, &caps8,
		      "ASID[15:8] with 8-bit ASIDs");
	expect_bad_cd(T_CD0_IPS(T_IPS_32), T_CD0_IPS(7), 1ULL << 32, &caps,
		      "TTB0 at 2^32 with IPS 32");

	t_make_cd(cd, 12, 16, T_IPS_48, GMEM_BASE, 0xff);
	OK(decode(cd, &caps8) == 0, "T0SZ 48 (4KB), ASID 0xff on 8 bits: ok");
	t_make_cd(cd, 16, 17, T_IPS_48, GMEM_BASE, 1);
	OK(decode(cd, &caps) == 0, "T0SZ 47 with 64KB: ok");
	t_make_cd(cd, 16, 16, T_IPS_48, GMEM_BASE, 1);
	OK(decode(cd, &caps) == -EINVAL, "bad CD: T0SZ 48 with 64KB");
	t_make_cd(cd, 16, 52, T_IPS_48, GMEM_BASE, 1);
	OK(decode(cd, &caps) == -EINVAL, "bad CD: T0SZ 12 without 52-bit VA");
	caps.ias = 52;
	OK(decode(cd, &caps) == 0, "T0SZ 12 with 64KB and ias 52: ok");
	t_make_cd(cd, 12, 52, T_IPS_48, GMEM_BASE, 1);
	OK(decode(cd, &caps) == -EINVAL,
	   "bad CD: T0SZ 12 with 4KB (needs LPA2)");
	caps.oas = 52;
	t_make_cd(cd, 16, 48, T_IPS_52, 1ULL << 49, 1);
	OK(decode(cd, &caps) == 0, "TTB0 at 2^49, 64KB, 52-bit output: ok");
	t_make_cd(cd, 12, 48, T_IPS_52, 1ULL << 49, 1);
	OK(decode(cd, &caps) == -EINVAL,
	   "bad CD: TTB0 at 2^49 with 4KB (48-bit output only)");

	/* With EPD0, the TTB0 fields are IGNORED; ENDI too if EPD1 */
	t_make_cd(cd, 12, 48, T_IPS_48, GMEM_BASE, 1);
	cd[0] |= T_CD0_EPD0 | T_CD0_TG0(3) | T_CD0_ENDI;
	OK(decode(cd, &caps) == 0, "EPD0|EPD1: TG0 and ENDI ignored");
	cd[0] &= ~T_CD0_EPD1;
	OK(decode(cd, &caps) == -EINVAL, "bad CD: ENDI with EPD1 == 0");
}

static void test_52bit(void)
{
	uint64_t iova = 0x000a123456780000ULL, pa = 0x000a000012340000ULL;
	struct walk_case wc;
	int ret;

	gmem_init(&wc.gm);
	pvb_arm_caps_sw(52, &wc.caps);
	wc.caps.ias = 52;
	/* 64KB, 52-bit VA: level 1 holds 2^10 entries */
	t_pt_init(&wc.pt, &wc.gm, 16, 52, 1);
	t_make_cd(wc.cd, 16, 52, T_IPS_52, wc.pt.root, 7);
	t_pt_map(&wc.pt, iova, pa, 3, T_LEAF_RW, 0);
	ret = wc_walk(&wc, iova, R);
	OK(ret == 0, "64KB 52-bit VA and PA: page walk");
	EQ(wc.res.out, pa, "  OA[51:48] from descriptor bits [15:12]");
	EQ(wc.gm.reads, 3, "  three levels");

	/* 4TB level-1 block with FEAT_LPA */
	t_pt_map(&wc.pt, 0x0004000000000000ULL, 0x000b000000000000ULL, 1,
		 T_LEAF_RW, 0);
	ret = wc_walk(&wc, 0x0004012345678000ULL, R);
	OK(ret == 0 && wc.res.size_log2 == 42 &&
		   wc.res.out == 0x000b000000000000ULL,
	   "64KB level-1 4TB block with 52-bit PA");

	/* The same tables with a 48-bit effective output size */
	wc.caps.oas = 48;
	ret = wc_walk(&wc, iova, R);
	OK(is_fault(&wc, ret, VIRTIO_IOMMU_FAULT_R_S1_ADDR_SIZE, 3),
	   "OA above 2^48 with oas 48: address size fault");
	ret = wc_walk(&wc, 0x0004012345678000ULL, R);
	OK(is_fault(&wc, ret, VIRTIO_IOMMU_FAULT_R_S1_TRANSLATION, 1),
	   "4TB block without FEAT_LPA: translation fault");
	wc_fini(&wc);
}

void test_walk(void)
{
	test_geometries();
	test_permissions();
	test_leaf_faults();
	test_addr_size_faults();
	test_walk_eabt();
	test_ranges();
	test_hostile();
	test_bad_cd();
	test_52bit();
}
