// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * CD tables (linear, 2-level 4KB and 64KB), STE.S1DSS, the CD cache, and
 * translation through the IOTLB.
 */
#include <errno.h>
#include <string.h>

#include "pvb/s1.h"

#include "arch.h"
#include "gmem.h"
#include "suites.h"
#include "tap.h"

#define IOVA   0x0000001234567000ULL
#define PA     0x0000000abcdef000ULL
#define L1CD_V 1ULL /* L1CD.V, bit 0 (IHI 0070 5.3) */
#define DOMAIN 3

struct cd_env {
	struct gmem gm;
	struct t_pt pt;
	struct pvb_s1_ctx ctx;
	struct pvb_iotlb_entry res;
	struct pvb_fault fault;
};

static void env_init(struct cd_env *env)
{
	memset(env, 0, sizeof(*env));
	gmem_init(&env->gm);
	t_pt_init(&env->pt, &env->gm, 12, 48, 0);
	t_pt_map(&env->pt, IOVA, PA, 3, T_LEAF_RW, 0);
	pvb_arm_caps_sw(48, &env->ctx.caps);
	env->ctx.mem = gmem_mem(&env->gm);
	env->ctx.domain = DOMAIN;
}

static void env_fini(struct cd_env *env)
{
	pvb_iotlb_free(env->ctx.iotlb);
	pvb_cd_cache_free(env->ctx.cd_cache);
	gmem_fini(&env->gm);
}

/* A valid CD for the test tables, ASID @asid, at @gpa */
static void put_cd(struct cd_env *env, uint64_t gpa, uint16_t asid)
{
	uint64_t cd[8];

	t_make_cd(cd, 12, 48, T_IPS_48, env->pt.root, asid);
	t_write_cd(&env->gm, gpa, cd);
}

static int xlate(struct cd_env *env, bool ssv, uint32_t ssid, uint64_t iova,
		 uint8_t access)
{
	struct pvb_s1_txn txn = {
		.iova = iova, .ssid = ssid, .ssv = ssv, .access = access
	};

	env->gm.reads = 0;
	return pvb_s1_translate(&env->ctx, &txn, &env->res, &env->fault);
}

static bool faulted(struct cd_env *env, int ret, uint8_t reason)
{
	if (ret != -EFAULT || env->fault.reason != reason)
		tap_diag("ret %d reason %u", ret, env->fault.reason);
	return ret == -EFAULT && env->fault.reason == reason;
}

static void test_linear(void)
{
	struct cd_env env;
	uint64_t tab;
	int ret;

	env_init(&env);
	/* 8 CDs of 64 bytes, aligned to the table size */
	tab = gmem_alloc(&env.gm, 512, 512);
	put_cd(&env, tab + 5 * 64, 5);
	env.ctx.table =
		(struct pvb_s1_table){ .s1contextptr = tab, .s1cdmax = 3 };
	ret = xlate(&env, true, 5, IOVA + 0x10, PVB_ACCESS_READ);
	OK(ret == 0 && env.res.out == PA, "linear CD table, SSID 5");
	EQ(env.res.asid, 5, "  ASID of CD 5");
	EQ(env.res.ssid, 5, "  filled through CD 5");
	EQ(env.res.domain, DOMAIN, "  domain");
	EQ(env.gm.reads, 1 + 4, "  one CD read, four descriptor reads");

	ret = xlate(&env, true, 8, IOVA, PVB_ACCESS_READ);
	OK(faulted(&env, ret, VIRTIO_IOMMU_FAULT_R_S1_BAD_CD),
	   "SSID 8 >= 2^S1CDMax: bad CD (C_BAD_SUBSTREAMID)");
	OK((env.fault.flags & VIRTIO_IOMMU_FAULT_F_SSID) && env.fault.ssid == 8,
	   "  fault carries the SSID");
	OK(env.gm.reads == 0, "  without reading guest memory");
	ret = xlate(&env, true, 6, IOVA, PVB_ACCESS_READ);
	OK(faulted(&env, ret, VIRTIO_IOMMU_FAULT_R_S1_BAD_CD),
	   "CD 6 with V == 0: bad CD");

	/* The low bits of S1ContextPtr below the table size are RES0 */
	env.ctx.table.s1contextptr = tab | 0x100;
	ret = xlate(&env, true, 5, IOVA, PVB_ACCESS_READ);
	OK(ret == 0 && env.res.asid == 5,
	   "S1ContextPtr bits below the table alignment are ignored");

	env.ctx.table.s1contextptr = 0x0000200000000000ULL;
	ret = xlate(&env, true, 5, IOVA, PVB_ACCESS_READ);
	OK(faulted(&env, ret, VIRTIO_IOMMU_FAULT_R_S1_CD_FETCH),
	   "CD table beyond RAM: CD fetch fault");
	EQ(env.fault.fetch_addr, 0x0000200000000000ULL + 5 * 64,
	   "  fetch address of CD 5");
	env.ctx.table.s1contextptr = 1ULL << 48;
	ret = xlate(&env, true, 5, IOVA, PVB_ACCESS_READ);
	OK(faulted(&env, ret, VIRTIO_IOMMU_FAULT_R_S1_CD_FETCH) &&
		   env.gm.reads == 0,
	   "CD table at 2^oas: CD fetch fault without a read");
	env_fini(&env);
}

static void test_2lvl_4k(void)
{
	struct cd_env env;
	uint64_t l1, l2;
	int ret;

	env_init(&env);
	/* S1CDMax 8: 4 L1CDs, 4KB leaves of 64 CDs */
	l1 = gmem_alloc(&env.gm, 64, 64);
	l2 = gmem_alloc(&env.gm, 4096, 4096);
	gmem_w64(&env.gm, l1 + 1 * 8, l2 | L1CD_V);
	gmem_w64(&env.gm, l1 + 3 * 8, 0x0000100000000000ULL | L1CD_V);
	put_cd(&env, l2 + 6 * 64, 70);
	env.ctx.table = (struct pvb_s1_table){
		.s1contextptr = l1,
		.s1fmt = VIRTIO_IOMMU_ARM_S1FMT_2L_4K,
		.s1cdmax = 8,
	};
	ret = xlate(&env, true, 70, IOVA, PVB_ACCESS_READ);
	OK(ret == 0 && env.res.asid == 70,
	   "2-level 4KB: SSID 70 is L1CD 1, CD 6");
	EQ(env.gm.reads, 2 + 4, "  L1CD and CD reads, then the walk");

	ret = xlate(&env, true, 130, IOVA, PVB_ACCESS_READ);
	OK(faulted(&env, ret, VIRTIO_IOMMU_FAULT_R_S1_BAD_CD),
	   "L1CD 2 with V == 0: bad CD");
	EQ(env.fault.fetch_addr, l1 + 2 * 8, "  address of the L1CD");

	ret = xlate(&env, true, 3 * 64 + 1, IOVA, PVB_ACCESS_READ);
	OK(faulted(&env, ret, VIRTIO_IOMMU_FAULT_R_S1_CD_FETCH),
	   "L2 table beyond RAM: CD fetch fault");
	EQ(env.fault.fetch_addr, 0x0000100000000000ULL + 64,
	   "  address of the CD");

	gmem_w64(&env.gm, l1 + 3 * 8, 1ULL << 50 | L1CD_V);
	ret = xlate(&env, true, 3 * 64, IOVA, PVB_ACCESS_READ);
	OK(faulted(&env, ret, VIRTIO_IOMMU_FAULT_R_S1_CD_FETCH) &&
		   env.gm.reads == 1,
	   "L2Ptr beyond oas: CD fetch fault, only the L1CD read");

	env.gm.hole_start = l1;
	env.gm.hole_end = l1 + 64;
	ret = xlate(&env, true, 70, IOVA, PVB_ACCESS_READ);
	OK(faulted(&env, ret, VIRTIO_IOMMU_FAULT_R_S1_CD_FETCH),
	   "unreadable L1 table: CD fetch fault");
	EQ(env.fault.fetch_addr, l1 + 8, "  address of the L1CD");
	env_fini(&env);
}

static void test_2lvl_64k(void)
{
	struct cd_env env;
	uint64_t l1, l2;
	int ret;

	env_init(&env);
	/* S1CDMax 12: 4 L1CDs, 64KB leaves of 1024 CDs */
	l1 = gmem_alloc(&env.gm, 64, 64);
	l2 = gmem_alloc(&env.gm, 65536, 65536);
	/* L2Ptr[15:12] are RES0 for 64KB leaves: taken as zero */
	gmem_w64(&env.gm, l1 + 1 * 8, l2 | 0x3000 | L1CD_V);
	put_cd(&env, l2 + 6 * 64, 1030);
	env.ctx.table = (struct pvb_s1_table){
		.s1contextptr = l1,
		.s1fmt = VIRTIO_IOMMU_ARM_S1FMT_2L_64K,
		.s1cdmax = 12,
	};
	ret = xlate(&env, true, 1030, IOVA, PVB_ACCESS_READ);
	OK(ret == 0 && env.res.asid == 1030,
	   "2-level 64KB: SSID 1030 is L1CD 1, CD 6");
	ret = xlate(&env, true, 4096, IOVA, PVB_ACCESS_READ);
	OK(faulted(&env, ret, VIRTIO_IOMMU_FAULT_R_S1_BAD_CD),
	   "SSID 4096 with S1CDMax 12: bad CD");
	env_fini(&env);
}

static void test_s1dss(void)
{
	struct cd_env env;
	uint64_t tab;
	int ret;

	env_init(&env);
	tab = gmem_alloc(&env.gm, 512, 512);
	put_cd(&env, tab, 100);
	put_cd(&env, tab + 5 * 64, 105);

	/* Substreams disabled */
	env.ctx.table = (struct pvb_s1_table){ .s1contextptr = tab };
	ret = xlate(&env, false, 0, IOVA, PVB_ACCESS_READ);
	OK(ret == 0 && env.res.asid == 100, "S1CDMax 0: the single CD");
	ret = xlate(&env, true, 0, IOVA, PVB_ACCESS_READ);
	OK(faulted(&env, ret, VIRTIO_IOMMU_FAULT_R_S1_BAD_CD),
	   "S1CDMax 0 and a SubstreamID: bad CD");

	env.ctx.table.s1cdmax = 3;
	env.ctx.table.s1dss = VIRTIO_IOMMU_ARM_S1DSS_TERMINATE;
	ret = xlate(&env, false, 0, IOVA, PVB_ACCESS_READ);
	OK(faulted(&env, ret, VIRTIO_IOMMU_FAULT_R_S1_BAD_CD),
	   "NEST-DEV-47, NEST-DEV-61 S1DSS terminate: no-SSID traffic is "
	   "S1_BAD_CD (F_STREAM_DISABLED)");
	OK(!(env.fault.flags & VIRTIO_IOMMU_FAULT_F_SSID),
	   "  without SSID flag");
	ret = xlate(&env, true, 0, IOVA, PVB_ACCESS_READ);
	OK(ret == 0 && env.res.asid == 100,
	   "S1DSS terminate: SSID 0 uses CD 0");

	env.ctx.table.s1dss = VIRTIO_IOMMU_ARM_S1DSS_BYPASS;
	ret = xlate(&env, false, 0, 0x1234567, PVB_ACCESS_WRITE);
	OK(ret == PVB_S1_BYPASS && env.res.out == 0x1234000 &&
		   env.res.iova == 0x1234000 && env.res.size_log2 == 12,
	   "S1DSS bypass: identity");
	EQ(env.res.perm, PVB_ACCESS_MASK, "  every permission");
	ret = xlate(&env, false, 0, 1ULL << 48, PVB_ACCESS_READ);
	OK(faulted(&env, ret, VIRTIO_IOMMU_FAULT_R_S1_ADDR_SIZE),
	   "S1DSS bypass beyond oas: address size fault");
	ret = xlate(&env, true, 5, IOVA, PVB_ACCESS_READ);
	OK(ret == 0 && env.res.asid == 105, "S1DSS bypass: SSID 5 translates");

	env.ctx.table.s1dss = VIRTIO_IOMMU_ARM_S1DSS_SSID0;
	ret = xlate(&env, false, 0, IOVA, PVB_ACCESS_READ);
	OK(ret == 0 && env.res.asid == 100 && env.res.ssid == 0,
	   "S1DSS SSID0: no-SSID traffic uses CD 0");
	ret = xlate(&env, true, 0, IOVA, PVB_ACCESS_READ);
	OK(faulted(&env, ret, VIRTIO_IOMMU_FAULT_R_S1_BAD_CD),
	   "NEST-DEV-47, NEST-DEV-61 S1DSS SSID0: SSID 0 is terminated, "
	   "S1_BAD_CD");

	env.ctx.table.s1dss = 3;
	ret = xlate(&env, false, 0, IOVA, PVB_ACCESS_READ);
	OK(faulted(&env, ret, VIRTIO_IOMMU_FAULT_R_S1_BAD_CD),
	   "S1DSS 0b11 behaves as terminate: S1_BAD_CD");
	env_fini(&env);
}

static void test_caches(void)
{
	struct pvb_inv_entry inv = { 0 };
	struct pvb_iotlb_stats st;
	struct cd_env env;
	uint64_t tab, leaf;
	int ret;

	env_init(&env);
	tab = gmem_alloc(&env.gm, 512, 512);
	put_cd(&env, tab + 5 * 64, 5);
	env.ctx.table =
		(struct pvb_s1_table){ .s1contextptr = tab, .s1cdmax = 3 };
	env.ctx.iotlb = pvb_iotlb_new(64);
	env.ctx.cd_cache = pvb_cd_cache_new(16);

	ret = xlate(&env, true, 5, IOVA, PVB_ACCESS_READ);
	OK(ret == 0 && env.gm.reads == 5, "cold translation: CD and walk");
	ret = xlate(&env, true, 5, IOVA + 0x800, PVB_ACCESS_READ);
	OK(ret == 0 && env.res.out == PA && env.gm.reads == 0,
	   "warm translation: no guest read");
	pvb_iotlb_get_stats(env.ctx.iotlb, &st);
	OK(st.hits == 1 && st.misses == 1 && st.inserts == 1,
	   "  IOTLB counted one miss, one insert, one hit");

	/* Stale until invalidated */
	leaf = t_pt_desc_addr(&env.pt, IOVA, 3);
	gmem_w64(&env.gm, leaf, (PA + 0x1000) | T_LEAF_RW | T_TYPE_PAGE);
	ret = xlate(&env, true, 5, IOVA, PVB_ACCESS_READ);
	OK(ret == 0 && env.res.out == PA, "changed leaf: IOTLB still hits");
	inv = (struct pvb_inv_entry){ .scope = VIRTIO_IOMMU_INV_S_VA,
				      .flags = VIRTIO_IOMMU_INV_F_LEAF,
				      .asid = 5,
				      .addr = IOVA,
				      .size = 0x1000 };
	pvb_s1_invalidate(&env.ctx, &inv);
	ret = xlate(&env, true, 5, IOVA, PVB_ACCESS_READ);
	OK(ret == 0 && env.res.out == PA + 0x1000 && env.gm.reads == 4,
	   "after a VA invalidation: new leaf walked");

	/* Permission fault on an IOTLB hit */
	gmem_w64(&env.gm, leaf, PA | T_LEAF_RO | T_TYPE_PAGE);
	inv.scope = VIRTIO_IOMMU_INV_S_ASID;
	inv.flags = 0;
	inv.addr = inv.size = 0;
	pvb_s1_invalidate(&env.ctx, &inv);
	ret = xlate(&env, true, 5, IOVA, PVB_ACCESS_READ);
	OK(ret == 0 && env.gm.reads == 4, "after an ASID invalidation: walked");
	ret = xlate(&env, true, 5, IOVA, PVB_ACCESS_WRITE);
	OK(faulted(&env, ret, VIRTIO_IOMMU_FAULT_R_S1_PERMISSION) &&
		   env.gm.reads == 0,
	   "write on a read-only IOTLB entry: permission fault");
	OK(env.fault.record && env.fault.ssid == 5 &&
		   (env.fault.flags & PVB_ACCESS_WRITE),
	   "  recorded with SSID and access");

	/* CD cache: stale until a CD invalidation */
	put_cd(&env, tab + 5 * 64, 55);
	pvb_s1_invalidate(
		&env.ctx,
		&(struct pvb_inv_entry){ .scope = VIRTIO_IOMMU_INV_S_DOMAIN });
	ret = xlate(&env, true, 5, IOVA, PVB_ACCESS_READ);
	OK(ret == 0 && env.res.asid == 5 && env.gm.reads == 4,
	   "changed CD: CD cache still hits after a DOMAIN invalidation");
	pvb_s1_invalidate(&env.ctx,
			  &(struct pvb_inv_entry){
				  .scope = VIRTIO_IOMMU_INV_S_CD, .ssid = 5 });
	ret = xlate(&env, true, 5, IOVA, PVB_ACCESS_READ);
	OK(ret == 0 && env.res.asid == 55 && env.gm.reads == 5,
	   "after a CD invalidation: new CD read");
	gmem_w64(&env.gm, tab + 5 * 64, 0);
	pvb_s1_invalidate(&env.ctx, &(struct pvb_inv_entry){
					    .scope = VIRTIO_IOMMU_INV_S_ATC,
					    .addr = 0,
					    .size = 0x1000 });
	ret = xlate(&env, true, 5, IOVA, PVB_ACCESS_READ);
	OK(ret == 0 && env.gm.reads == 0, "ATC invalidation changes nothing");
	pvb_s1_invalidate(
		&env.ctx,
		&(struct pvb_inv_entry){ .scope = VIRTIO_IOMMU_INV_S_CD_ALL });
	ret = xlate(&env, true, 5, IOVA, PVB_ACCESS_READ);
	OK(faulted(&env, ret, VIRTIO_IOMMU_FAULT_R_S1_BAD_CD),
	   "after CD_ALL: the now invalid CD is read");
	env_fini(&env);
}

static void test_fault_event(void)
{
	struct pvb_fault f = {
		.reason = VIRTIO_IOMMU_FAULT_R_S1_PERMISSION,
		.flags = VIRTIO_IOMMU_FAULT_F_WRITE |
			 VIRTIO_IOMMU_FAULT_F_ADDRESS |
			 VIRTIO_IOMMU_FAULT_F_SSID,
		.ssid = 0x12345,
		.address = 0x1122334455667788ULL,
	};
	/* reason, 3 reserved, flags, endpoint, SSID, address (LE) */
	static const uint8_t want[24] = {
		9,    0,    0,	  0,	0x02, 0x03, 0,	  0,
		0x07, 0,    0,	  0,	0x45, 0x23, 0x01, 0,
		0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,
	};
	struct virtio_iommu_fault evt;

	OK(sizeof(evt) == sizeof(want), "virtio fault is 24 bytes");
	pvb_fault_to_virtio(&f, 7, &evt);
	OK(!memcmp(&evt, want, sizeof(want)), "fault event bytes");
	f.flags = VIRTIO_IOMMU_FAULT_F_READ;
	pvb_fault_to_virtio(&f, 7, &evt);
	OK(!evt.address && !memcmp(evt.reserved2, "\0\0\0\0", 4),
	   "fault event without address or SSID leaves them zero");
}

void test_cd(void)
{
	test_linear();
	test_2lvl_4k();
	test_2lvl_64k();
	test_s1dss();
	test_caches();
	test_fault_event();
}
