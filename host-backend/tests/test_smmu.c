// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * SMMUv3 codec: vSTE, commands, capabilities from IDR, event records. The
 * expected words are written by hand from IHI 0070.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "pvb/smmu.h"

#include "suites.h"
#include "tap.h"
#include "vsmmu_check.h"

static void test_ste(void)
{
	const struct pvb_s1_table t = {
		.s1contextptr = 0x0000001234567000ULL,
		.s1fmt = VIRTIO_IOMMU_ARM_S1FMT_2L_64K,
		.s1cdmax = 10,
		.s1dss = VIRTIO_IOMMU_ARM_S1DSS_SSID0,
		.s1cir = 1,
		.s1cor = 3,
		.s1csh = 3,
	};
	/* Allowed by iommufd: V, Cfg, S1Fmt, S1ContextPtr, S1CDMax */
	const uint64_t allow0 = 0xf80fffffffffffffULL;
	/* S1DSS, S1CIR, S1COR, S1CSH [7:0], S1STALLD [27], EATS [29:28] */
	const uint64_t allow1 = 0x380000ffULL;
	uint64_t ste[2];

	pvb_smmu_make_s1_ste(&t, 0, ste);
	/* V | Cfg 0b101 << 1 | S1Fmt 2 << 4 | ptr | S1CDMax 10 << 59 */
	EQ(le64toh(ste[0]), 0x500000123456702bULL, "S1 vSTE word 0");
	/* S1DSS 2 | S1CIR 1 << 2 | S1COR 3 << 4 | S1CSH 3 << 6 */
	EQ(le64toh(ste[1]), 0xf6, "S1 vSTE word 1");
	OK(!(le64toh(ste[0]) & ~allow0) && !(le64toh(ste[1]) & ~allow1),
	   "  only iommufd-allowed fields");
	pvb_smmu_make_s1_ste(&t, PVB_STE_EATS, ste);
	EQ(le64toh(ste[1]), 0xf6 | 1ULL << 28, "  EATS 0b01 at [29:28]");
	pvb_smmu_make_s1_ste(&t, PVB_STE_S1STALLD, ste);
	EQ(le64toh(ste[1]), 0xf6 | 1ULL << 27, "  S1STALLD at [27]");
	pvb_smmu_make_abort_ste(ste);
	OK(le64toh(ste[0]) == 0x1 && !ste[1], "abort vSTE: V, Cfg 0b000");
	pvb_smmu_make_bypass_ste(ste);
	OK(le64toh(ste[0]) == 0x9 && !ste[1], "bypass vSTE: V, Cfg 0b100");
}

static const uint32_t sids[] = { 0x10, 0x20 };
static struct pvb_arm_caps ril_caps, noril_caps, gran4k_caps, gran64k_caps;
static const struct pvb_smmu_cmd_ctx ril_ctx = { &ril_caps, sids, 2 };
static const struct pvb_smmu_cmd_ctx noril_ctx = { &noril_caps, sids, 2 };
static const struct pvb_smmu_cmd_ctx gran4k_ctx = { &gran4k_caps, sids, 2 };
static const struct pvb_smmu_cmd_ctx gran64k_ctx = { &gran64k_caps, sids, 2 };
static uint64_t cmds[1024][2];

/* Encode, check every command against the kernel, return the count */
static int enc(const struct pvb_smmu_cmd_ctx *ctx, struct pvb_inv_entry e)
{
	const struct pvb_arm_caps *c = ctx->caps;
	bool ril = c->flags & VIRTIO_IOMMU_ARM_F_RIL;
	int n = pvb_smmu_encode_inv(&e, ctx, cmds, 1024), i;

	for (i = 0; i < n; i++)
		if (!v_kernel_accepts(cmds[i], ril, c->asid_bits, c->ssid_bits,
				      true)) {
			tap_diag("kernel refuses command %d: %016llx %016llx",
				 i, (unsigned long long)le64toh(cmds[i][0]),
				 (unsigned long long)le64toh(cmds[i][1]));
			return -1;
		}
	return n;
}

static bool cmd_is(int i, uint64_t w0, uint64_t w1)
{
	if (le64toh(cmds[i][0]) != w0 || le64toh(cmds[i][1]) != w1)
		tap_diag("cmd %d: %016llx %016llx, want %016llx %016llx", i,
			 (unsigned long long)le64toh(cmds[i][0]),
			 (unsigned long long)le64toh(cmds[i][1]),
			 (unsigned long long)w0, (unsigned long long)w1);
	return le64toh(cmds[i][0]) == w0 && le64toh(cmds[i][1]) == w1;
}

#define INV(...) ((struct pvb_inv_entry){ __VA_ARGS__ })

static void test_cmd_scopes(void)
{
	const uint8_t LEAF = VIRTIO_IOMMU_INV_F_LEAF;
	static uint64_t saved[3][2];

	OK(enc(&ril_ctx, INV(.scope = VIRTIO_IOMMU_INV_S_DOMAIN)) == 1 &&
		   cmd_is(0, 0x10, 0),
	   "DOMAIN: TLBI_NH_ALL");
	OK(enc(&ril_ctx,
	       INV(.scope = VIRTIO_IOMMU_INV_S_ASID, .asid = 0x1234)) == 1 &&
		   cmd_is(0, 0x1234000000000011ULL, 0),
	   "ASID: TLBI_NH_ASID, ASID at [63:48]");
	OK(enc(&ril_ctx,
	       INV(.scope = VIRTIO_IOMMU_INV_S_CD, .ssid = 0x12345)) == 2 &&
		   cmd_is(0, 0x0000001012345005ULL, 0) &&
		   cmd_is(1, 0x0000002012345005ULL, 0),
	   "CD: CFGI_CD per SID, SSID [31:12], SID [63:32], Leaf 0");
	OK(enc(&ril_ctx, INV(.scope = VIRTIO_IOMMU_INV_S_CD_ALL)) == 2 &&
		   cmd_is(0, 0x0000001000000006ULL, 0) &&
		   cmd_is(1, 0x0000002000000006ULL, 0),
	   "CD_ALL: CFGI_CD_ALL per SID");
	/* Pages 7 and 8: the aligned span is pages 0-15, Size 4 */
	OK(enc(&ril_ctx, INV(.scope = VIRTIO_IOMMU_INV_S_ATC, .addr = 0x7000,
			     .size = 0x2000)) == 2 &&
		   cmd_is(0, 0x0000001000000040ULL, 4) &&
		   cmd_is(1, 0x0000002000000040ULL, 4),
	   "ATC: ATC_INV per SID, smallest aligned span");
	OK(enc(&ril_ctx, INV(.scope = VIRTIO_IOMMU_INV_S_ATC,
			     .flags = VIRTIO_IOMMU_INV_F_SSID, .ssid = 5,
			     .addr = 0x10000, .size = 0x10000)) == 2 &&
		   cmd_is(0, 0x0000001000005840ULL, 0x10004),
	   "ATC with SSID: SSV [11], SSID, address [63:12], Size 4");
	OK(enc(&ril_ctx, INV(.scope = VIRTIO_IOMMU_INV_S_ATC, .addr = 0x1000,
			     .size = 0xfffffffffffff000ULL)) == 2 &&
		   cmd_is(0, 0x0000001000000040ULL, 52),
	   "ATC of everything: Size 52, address 0");

	/*
	 * VA with range invalidation: the tg and ttl hints are never
	 * forwarded (NEST-DEV-58); one range per granule of the caps, TTL 0,
	 * NUM [16:12], SCALE [24:20], TG [11:10]
	 */
	OK(enc(&ril_ctx, INV(.scope = VIRTIO_IOMMU_INV_S_VA, .flags = LEAF,
			     .tg = 12, .ttl = 3, .asid = 0x42, .addr = 0x10000,
			     .size = 0x3000)) == 3 &&
		   cmd_is(0, 0x0042000000002012ULL, 0x10401) &&
		   cmd_is(1, 0x0042000000100012ULL, 0x10801) &&
		   cmd_is(2, 0x0042000000100012ULL, 0x10c01),
	   "NEST-DEV-58 VA, RIL, tg 12 ttl 3: 3 pages NUM 2 TG 4KB, one "
	   "16KB and one 64KB granule widened to 2 (SCALE 1), TTL 0, Leaf");
	memcpy(saved, cmds, sizeof(saved));
	OK(enc(&ril_ctx, INV(.scope = VIRTIO_IOMMU_INV_S_VA, .flags = LEAF,
			     .asid = 0x42, .addr = 0x10000, .size = 0x3000)) ==
			   3 &&
		   !memcmp(saved, cmds, sizeof(saved)),
	   "NEST-DEV-58 VA, RIL, no hint: the same commands");
	OK(enc(&ril_ctx, INV(.scope = VIRTIO_IOMMU_INV_S_VA, .flags = LEAF,
			     .tg = 14, .ttl = 1, .asid = 0x42, .addr = 0x10000,
			     .size = 0x3000)) == 3 &&
		   !memcmp(saved, cmds, sizeof(saved)),
	   "NEST-DEV-58 VA, RIL, tg 14 ttl 1: the same commands");
	OK(enc(&ril_ctx,
	       INV(.scope = VIRTIO_IOMMU_INV_S_VA, .tg = 12, .asid = 0x42,
		   .addr = 0x100000, .size = 33 * 0x1000)) == 3 &&
		   cmd_is(0, 0x0042000000110012ULL, 0x100400) &&
		   cmd_is(1, 0x0042000000008012ULL, 0x100800) &&
		   cmd_is(2, 0x0042000000002012ULL, 0x100c00),
	   "VA, RIL: 33 pages widened to 34 (NUM 16, SCALE 1), 9 16KB "
	   "granules (NUM 8), 3 64KB granules (NUM 2), non-leaf");
	OK(enc(&ril_ctx, INV(.scope = VIRTIO_IOMMU_INV_S_VA, .flags = LEAF,
			     .tg = 12, .ttl = 3, .asid = 0x42, .addr = 0x200000,
			     .size = 1000 * 0x1000)) == 6 &&
		   cmd_is(0, 0x004200000031c012ULL, 0x200401) &&
		   cmd_is(1, 0x0042000000802012ULL, 0x2e8401) &&
		   cmd_is(2, 0x004200000011c012ULL, 0x200801) &&
		   cmd_is(3, 0x0042000000602012ULL, 0x2e8801) &&
		   cmd_is(4, 0x004200000001e012ULL, 0x200c01) &&
		   cmd_is(5, 0x0042000000500012ULL, 0x3f0c01),
	   "VA, RIL: 1000 pages as 29 * 2^3 + 3 * 2^8, 250 16KB granules "
	   "as 29 * 2^1 + 3 * 2^6, 63 64KB granules as 31 + 1 * 2^5");
	OK(enc(&ril_ctx, INV(.scope = VIRTIO_IOMMU_INV_S_VA, .tg = 12,
			     .asid = 0x42, .size = 1ULL << 45)) == 1 &&
		   cmd_is(0, 0x0042000000000011ULL, 0),
	   "VA, RIL: 2^33 pages fall back to TLBI_NH_ASID");
	OK(enc(&gran64k_ctx, INV(.scope = VIRTIO_IOMMU_INV_S_VA, .flags = LEAF,
				 .tg = 16, .ttl = 2, .asid = 0x42,
				 .addr = 0x20000000, .size = 0x20000000)) ==
			   1 &&
		   cmd_is(0, 0x0042000000d00012ULL, 0x20000c01),
	   "NEST-DEV-58 VA, RIL, 64KB-only caps: 512MB as SCALE 13, TG 3, "
	   "the ttl 2 hint dropped");
	OK(enc(&gran4k_ctx,
	       INV(.scope = VIRTIO_IOMMU_INV_S_VA, .flags = LEAF, .tg = 16,
		   .asid = 0x42, .addr = 0x5000, .size = 0x2000)) == 1 &&
		   cmd_is(0, 0x0042000000100012ULL, 0x5401),
	   "NEST-DEV-58 VA, RIL, 4KB-only caps, tg 16 hint: 4KB range, "
	   "2 pages as SCALE 1");

	/* No range invalidation: every 4KB page, whatever the hints */
	OK(enc(&noril_ctx, INV(.scope = VIRTIO_IOMMU_INV_S_VA, .flags = LEAF,
			       .tg = 12, .ttl = 3, .asid = 0x42,
			       .addr = 0x10000, .size = 0x3000)) == 3 &&
		   cmd_is(0, 0x0042000000000012ULL, 0x10001) &&
		   cmd_is(2, 0x0042000000000012ULL, 0x12001),
	   "VA, no RIL: one command per page, no TG/TTL");
	OK(enc(&noril_ctx, INV(.scope = VIRTIO_IOMMU_INV_S_VA, .flags = LEAF,
			       .tg = 16, .ttl = 3, .asid = 0x42,
			       .addr = 0x10000, .size = 0x10000)) == 16 &&
		   cmd_is(0, 0x0042000000000012ULL, 0x10001) &&
		   cmd_is(15, 0x0042000000000012ULL, 0x1f001),
	   "NEST-DEV-58 VA, no RIL, tg 16 ttl 3: still one command per 4KB "
	   "page");
	OK(enc(&noril_ctx, INV(.scope = VIRTIO_IOMMU_INV_S_VA, .flags = LEAF,
			       .tg = 12, .ttl = 2, .asid = 0x42,
			       .addr = 0x200000, .size = 0x400000)) == 1 &&
		   cmd_is(0, 0x0042000000000011ULL, 0),
	   "NEST-DEV-58 VA, no RIL, ttl 2 not used for 2MB steps: 1024 "
	   "pages -> NH_ASID");
	OK(enc(&noril_ctx, INV(.scope = VIRTIO_IOMMU_INV_S_VA, .tg = 12,
			       .asid = 0x42, .size = 512 * 0x1000)) == 512,
	   "VA, no RIL: 512 pages is 512 commands");
	OK(enc(&noril_ctx, INV(.scope = VIRTIO_IOMMU_INV_S_VA, .tg = 12,
			       .asid = 0x42, .size = 513 * 0x1000)) == 1 &&
		   cmd_is(0, 0x0042000000000011ULL, 0),
	   "VA, no RIL: 513 pages -> NH_ASID");
}

/* NEST-DEV-59, section 18.2: IDs no endpoint can use give no command */
static void test_cmd_unusable_ids(void)
{
	const uint8_t SSID = VIRTIO_IOMMU_INV_F_SSID;
	struct pvb_arm_caps small = ril_caps;
	const struct pvb_smmu_cmd_ctx ctx = { &small, sids, 2 };

	small.asid_bits = 8;
	small.ssid_bits = 5;
	OK(enc(&ctx, INV(.scope = VIRTIO_IOMMU_INV_S_ASID, .asid = 0x100)) == 0,
	   "NEST-DEV-59 ASID 0x100 with 8-bit ASIDs: no command");
	OK(enc(&ctx, INV(.scope = VIRTIO_IOMMU_INV_S_VA, .asid = 0xffff,
			 .size = 0x1000)) == 0,
	   "NEST-DEV-59 VA ASID 0xffff with 8-bit ASIDs: no command");
	OK(enc(&ctx, INV(.scope = VIRTIO_IOMMU_INV_S_ASID, .asid = 0xff)) ==
			   1 &&
		   cmd_is(0, 0x00ff000000000011ULL, 0),
	   "ASID 0xff with 8-bit ASIDs: TLBI_NH_ASID");
	OK(enc(&ctx, INV(.scope = VIRTIO_IOMMU_INV_S_CD, .ssid = 32)) == 0,
	   "NEST-DEV-59 CD SSID 32 with 5 SSID bits: no command");
	OK(enc(&ctx, INV(.scope = VIRTIO_IOMMU_INV_S_CD, .ssid = 31)) == 2,
	   "CD SSID 31 with 5 SSID bits: CFGI_CD per SID");
	OK(enc(&ctx, INV(.scope = VIRTIO_IOMMU_INV_S_ATC, .flags = SSID,
			 .ssid = 32, .size = 0x1000)) == 0,
	   "NEST-DEV-59 ATC SSID 32 with 5 SSID bits: no command");
	OK(enc(&ctx, INV(.scope = VIRTIO_IOMMU_INV_S_ATC, .size = 0x1000)) == 2,
	   "ATC without SSID: ATC_INV per SID");
	small.ssid_bits = 0;
	OK(enc(&ctx, INV(.scope = VIRTIO_IOMMU_INV_S_ATC, .flags = SSID,
			 .size = 0x1000)) == 0,
	   "NEST-DEV-59 ATC SSID 0 without substreams: no command");
	OK(enc(&ctx, INV(.scope = VIRTIO_IOMMU_INV_S_CD)) == 2 &&
		   cmd_is(0, 0x0000001000000005ULL, 0),
	   "CD SSID 0 without substreams: CFGI_CD SSID 0 (the single CD)");
	OK(enc(&ctx, INV(.scope = VIRTIO_IOMMU_INV_S_CD, .ssid = 1)) == 0,
	   "NEST-DEV-59 CD SSID 1 without substreams: no command");
}

static void test_cmd_batch(void)
{
	struct pvb_invalidate req = { .nr_entries = 3 };
	const struct pvb_smmu_cmd_ctx many = { &ril_caps, sids, 1000 };
	struct pvb_inv_entry e =
		INV(.scope = VIRTIO_IOMMU_INV_S_VA, .tg = 12, .size = 0x3000);

	OK(pvb_smmu_encode_inv(&e, &noril_ctx, cmds, 2) == -ENOSPC,
	   "3 commands into 2: -ENOSPC");
	OK(pvb_smmu_encode_inv(&e, &noril_ctx, cmds, 3) == 3,
	   "3 commands into 3");
	req.entries[0] = e;
	req.entries[1] = INV(.scope = VIRTIO_IOMMU_INV_S_CD_ALL);
	req.entries[2] = INV(.scope = VIRTIO_IOMMU_INV_S_DOMAIN);
	OK(pvb_smmu_encode_invalidate(&req, &noril_ctx, cmds, 1024) == 6 &&
		   cmd_is(3, 0x0000001000000006ULL, 0) && cmd_is(5, 0x10, 0),
	   "a request of 3 entries, in order");
	OK(pvb_smmu_encode_invalidate(&req, &noril_ctx, cmds, 5) == -ENOSPC,
	   "  -ENOSPC when the last entry does not fit");
	OK(pvb_smmu_inv_max_cmds(&noril_ctx) == PVB_SMMU_MAX_VA_CMDS &&
		   pvb_smmu_inv_max_cmds(&many) == 1000,
	   "per-entry bound: 512, or the number of SIDs");
}

static void test_caps_from_idr(void)
{
	/* QEMU 10.2 emulated SMMUv3 */
	const uint32_t qemu[6] = { 0x0d44101b, 0x02730010, 0,
				   0x00001514, 0,	   0x74 };
	/*
	 * Decoded by hand:
	 * IDR0 0x0d44101b: [3:2] TTF 0b10 (AArch64), [12] ASID16, [19] CD2L 0,
	 *   [22:21] TTENDIAN 0b10 (LE), [25:24] STALL_MODEL 0b01 (no
	 *   stall), [26] TERM_MODEL 1, [28:27] ST_LEVEL 0b01
	 * IDR1 0x02730010: [5:0] SIDSIZE 16, [10:6] SSIDSIZE 0
	 * IDR3 0x00001514: [10] RIL, [12:11] BBML 0b10
	 * IDR5 0x74: [4] GRAN4K, [5] GRAN16K, [6] GRAN64K, [11:10] VAX 0
	 */
	static const uint8_t want_probe[32] = {
		0x08, 0x00, 0x1c, 0x00, /* type 8, length 28 */
		0x01, 0x00, /* format ARM_SMMUV3 */
		0, /* ssid_bits */
		16, /* asid_bits */
		48, /* ias */
		44, /* oas */
		2, /* bbml */
		0, /* reserved0 */
		0x01, 0x00, 0x00, 0x00, /* cd_formats: linear */
		0x07, 0x00, 0x00, 0x00, /* granules: 4K, 16K, 64K */
		0x21, 0x00, 0x00, 0x00, /* flags: RIL, TT_LE */
	};
	struct virtio_iommu_probe_table_arm_smmuv3 prop;
	struct pvb_arm_caps c;
	uint32_t idr[6] = { 0 };

	OK(pvb_smmu_caps_from_idr(qemu, 44, false, &c) == 0,
	   "QEMU SMMUv3 IDRs decode");
	OK(c.ssid_bits == 0 && c.asid_bits == 16 && c.ias == 48 &&
		   c.oas == 44 && c.bbml == 2,
	   "  ssid_bits 0, asid_bits 16, ias 48, oas 44, bbml 2");
	OK(c.cd_formats == VIRTIO_IOMMU_ARM_CDTAB_LINEAR && c.granules == 7 &&
		   c.flags == 0x21,
	   "  linear CD tables, three granules, RIL and TT_LE");
	OK(sizeof(prop) == 32, "PROBE property is 32 bytes");
	pvb_arm_caps_to_probe(&c, &prop);
	OK(!memcmp(&prop, want_probe, sizeof(prop)), "  encoded PROBE bytes");

	/* TTF AArch64, CD2L, STALL_MODEL 0b00, TTENDIAN mixed, 8-bit ASID */
	idr[0] = 0x2 << 2 | 1 << 19;
	idr[1] = 20 << 6;
	idr[5] = 1 << 10 | 1 << 6; /* VAX 52-bit, GRAN64K */
	OK(pvb_smmu_caps_from_idr(idr, 52, true, &c) == 0 && c.asid_bits == 8 &&
		   c.ssid_bits == 20 && c.ias == 52 &&
		   c.granules == VIRTIO_IOMMU_ARM_GRAN_64K && c.bbml == 0,
	   "synthetic IDRs: 8-bit ASID, 20-bit SSID, 52-bit VA (64KB)");
	OK(c.cd_formats == 7 && c.flags == (VIRTIO_IOMMU_ARM_F_STALL |
					    VIRTIO_IOMMU_ARM_F_TT_LE |
					    VIRTIO_IOMMU_ARM_F_TT_BE |
					    VIRTIO_IOMMU_ARM_F_ATS),
	   "  CD2L, stalls, mixed endian, ATS, no RIL");
	idr[0] = 0x2 << 2 | 2 << 24 | 3 << 21;
	idr[5] = 1 << 10 | 1 << 4;
	OK(pvb_smmu_caps_from_idr(idr, 48, false, &c) == 0 &&
		   c.flags == (VIRTIO_IOMMU_ARM_F_STALL |
			       VIRTIO_IOMMU_ARM_F_STALL_FORCE |
			       VIRTIO_IOMMU_ARM_F_TT_BE) &&
		   c.ias == 48,
	   "STALL_MODEL 0b10, TTENDIAN BE, VAX without 64KB: 48-bit VA");
	idr[0] = 0x1 << 2;
	OK(pvb_smmu_caps_from_idr(idr, 48, false, &c) == -ENOTSUP,
	   "AArch32-only tables: not usable");
	idr[0] = 0x2 << 2;
	idr[5] = 0;
	OK(pvb_smmu_caps_from_idr(idr, 48, false, &c) == -ENOTSUP,
	   "no granule: not usable");

	pvb_arm_caps_sw(40, &c);
	OK(c.ssid_bits == 20 && c.asid_bits == 16 && c.ias == 48 &&
		   c.oas == 40 && c.cd_formats == 7 && c.granules == 7 &&
		   c.flags ==
			   (VIRTIO_IOMMU_ARM_F_RIL | VIRTIO_IOMMU_ARM_F_TT_LE),
	   "software walker capabilities");
}

static int decode_evt(uint64_t w0, uint64_t w1, uint64_t w2, uint64_t w3,
		      struct pvb_fault *f)
{
	const uint64_t evt[4] = { htole64(w0), htole64(w1), htole64(w2),
				  htole64(w3) };

	return pvb_smmu_decode_event(evt, f);
}

static void test_events(void)
{
	const uint64_t RnW = 1ULL << 35, InD = 1ULL << 34, PnU = 1ULL << 33;
	const uint64_t S2 = 1ULL << 39;
	const uint32_t ADDR = VIRTIO_IOMMU_FAULT_F_ADDRESS;
	struct pvb_fault f;

	/* F_TRANSLATION, SSV, SSID 0x123, SID 0x42, read */
	OK(decode_evt(0x0000004200123810ULL, RnW, 0xdead000, 0, &f) == 0x10,
	   "F_TRANSLATION decodes, event 0x10");
	OK(f.reason == VIRTIO_IOMMU_FAULT_R_S1_TRANSLATION && f.sid == 0x42 &&
		   f.ssid == 0x123 && f.address == 0xdead000 && f.record,
	   "  reason S1_TRANSLATION, SID, SSID, address");
	EQ(f.flags,
	   VIRTIO_IOMMU_FAULT_F_READ | ADDR | VIRTIO_IOMMU_FAULT_F_SSID,
	   "  flags READ | ADDRESS | SSID");
	decode_evt(0x13, InD | PnU, 0x1000, 0, &f);
	OK(f.reason == VIRTIO_IOMMU_FAULT_R_S1_PERMISSION &&
		   f.flags == (VIRTIO_IOMMU_FAULT_F_WRITE |
			       VIRTIO_IOMMU_FAULT_F_EXEC | ADDR),
	   "F_PERMISSION, write instruction fetch, no SSID");
	decode_evt(0x11, RnW, 0, 0, &f);
	OK(f.reason == VIRTIO_IOMMU_FAULT_R_S1_ADDR_SIZE,
	   "F_ADDR_SIZE -> S1_ADDR_SIZE");
	decode_evt(0x12, RnW, 0, 0, &f);
	OK(f.reason == VIRTIO_IOMMU_FAULT_R_S1_ACCESS, "F_ACCESS -> S1_ACCESS");
	decode_evt(0x000000420000780aULL, RnW, 0x5000, 0, &f);
	OK(f.reason == VIRTIO_IOMMU_FAULT_R_S1_BAD_CD &&
		   f.flags == VIRTIO_IOMMU_FAULT_F_SSID && f.ssid == 7 &&
		   !f.address,
	   "C_BAD_CD -> S1_BAD_CD, no address");
	decode_evt(0x09, 0, 0, 0x0000123456789ac7ULL, &f);
	OK(f.reason == VIRTIO_IOMMU_FAULT_R_S1_CD_FETCH &&
		   f.fetch_addr == 0x0000123456789ac0ULL,
	   "F_CD_FETCH -> S1_CD_FETCH, FetchAddr [51:3]");
	decode_evt(0x0b, RnW, 0x7000, 0x8000, &f);
	OK(f.reason == VIRTIO_IOMMU_FAULT_R_S1_WALK_EABT &&
		   f.flags == (VIRTIO_IOMMU_FAULT_F_READ | ADDR) &&
		   f.address == 0x7000 && f.fetch_addr == 0x8000,
	   "F_WALK_EABT -> S1_WALK_EABT with address");
	decode_evt(0x08, 0, 0, 0, &f);
	OK(f.reason == VIRTIO_IOMMU_FAULT_R_S1_BAD_CD,
	   "C_BAD_SUBSTREAMID -> S1_BAD_CD");
	decode_evt(0x06, 0, 0, 0, &f);
	OK(f.reason == VIRTIO_IOMMU_FAULT_R_S1_BAD_CD,
	   "NEST-DEV-69 (section 18.3) F_STREAM_DISABLED -> S1_BAD_CD");
	decode_evt(0x04, 0, 0, 0, &f);
	OK(f.reason == VIRTIO_IOMMU_FAULT_R_UNKNOWN, "C_BAD_STE -> UNKNOWN");
	decode_evt(0x20, 0, 0, 0, &f);
	OK(f.reason == VIRTIO_IOMMU_FAULT_R_UNKNOWN,
	   "F_TLB_CONFLICT -> UNKNOWN");
	decode_evt(0x10, S2 | 1ULL << 40, 0, 0, &f);
	OK(f.reason == VIRTIO_IOMMU_FAULT_R_S1_WALK_EABT,
	   "stage-2 F_TRANSLATION, CLASS TT -> S1_WALK_EABT");
	decode_evt(0x10, S2, 0, 0, &f);
	OK(f.reason == VIRTIO_IOMMU_FAULT_R_S1_CD_FETCH,
	   "stage-2 F_TRANSLATION, CLASS CD -> S1_CD_FETCH");
	decode_evt(0x13, S2 | 2ULL << 40, 0, 0, &f);
	OK(f.reason == VIRTIO_IOMMU_FAULT_R_UNKNOWN,
	   "stage-2 F_PERMISSION, CLASS IN -> UNKNOWN");
}

void test_smmu(void)
{
	pvb_arm_caps_sw(48, &ril_caps);
	noril_caps = ril_caps;
	noril_caps.flags &= ~VIRTIO_IOMMU_ARM_F_RIL;
	gran4k_caps = ril_caps;
	gran4k_caps.granules = VIRTIO_IOMMU_ARM_GRAN_4K;
	gran64k_caps = ril_caps;
	gran64k_caps.granules = VIRTIO_IOMMU_ARM_GRAN_64K;
	test_ste();
	test_cmd_scopes();
	test_cmd_unusable_ids();
	test_cmd_batch();
	test_caps_from_idr();
	test_events();
}
