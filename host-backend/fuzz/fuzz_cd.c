// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz CD fetch (linear and 2-level tables, S1DSS) and CD decoding over
 * arbitrary guest memory. Input: struct fuzz_cd_hdr, then guest RAM from
 * address 0.
 */
#include <errno.h>

#include "fuzz.h"

static void check_cd(const struct pvb_cd *cd, const struct pvb_arm_caps *caps)
{
	if (cd->flags & PVB_CD_F_EPD0)
		return;
	FUZZ_ASSERT(cd->granule == 12 || cd->granule == 14 ||
		    cd->granule == 16);
	FUZZ_ASSERT(cd->ias >= 16 || (cd->granule == 16 && cd->ias >= 17));
	FUZZ_ASSERT(cd->ias <= caps->ias && cd->ias <= 52);
	FUZZ_ASSERT(cd->oas <= caps->oas && cd->oas >= 32);
	FUZZ_ASSERT(cd->start_level <= 3);
	FUZZ_ASSERT(!(cd->ttb0 >> cd->oas));
	FUZZ_ASSERT(!(cd->asid >> caps->asid_bits));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_mem mem = { 0 };
	struct pvb_s1_ctx ctx = { .domain = 9 };
	struct pvb_cd cd, cd2;
	struct fuzz_cd_hdr hdr;
	struct pvb_s1_txn txn;
	struct pvb_fault fault;
	uint32_t index, index2;
	int ret, ret2;

	if (size < sizeof(hdr))
		return 0;
	memcpy(&hdr, data, sizeof(hdr));
	mem.img = data + sizeof(hdr);
	mem.size = size - sizeof(hdr);
	fuzz_caps(hdr.caps_sel, &ctx.caps);
	ctx.mem = (struct pvb_mem){ fuzz_read, &mem };
	ctx.table = (struct pvb_s1_table){
		.s1contextptr = hdr.s1contextptr,
		.s1fmt = hdr.s1fmt % 3,
		.s1cdmax = hdr.s1cdmax % 21,
		.s1dss = hdr.s1dss & 3,
	};
	txn = (struct pvb_s1_txn){ .iova = hdr.s1contextptr,
				   .ssid = hdr.ssid & 0xfffff,
				   .ssv = hdr.ssv & 1,
				   .access = hdr.ssv >> 1 & PVB_ACCESS_MASK };

	ret = pvb_s1_get_cd(&ctx, &txn, &cd, &index, &fault);
	/* A CD fetch is at most an L1CD and a CD */
	FUZZ_ASSERT(mem.reads <= 2);
	FUZZ_ASSERT(ret == 0 || ret == PVB_S1_BYPASS || ret == -EFAULT);
	if (ret == -EFAULT)
		FUZZ_ASSERT(fault.reason != VIRTIO_IOMMU_FAULT_R_UNKNOWN &&
			    fault.address == txn.iova);
	if (ret)
		return 0;
	check_cd(&cd, &ctx.caps);

	/* Through the CD cache: the same CD, without reading memory */
	ctx.cd_cache = pvb_cd_cache_new(4);
	FUZZ_ASSERT(ctx.cd_cache);
	ret = pvb_s1_get_cd(&ctx, &txn, &cd2, &index2, &fault);
	mem.reads = 0;
	ret2 = pvb_s1_get_cd(&ctx, &txn, &cd2, &index2, &fault);
	FUZZ_ASSERT(ret == 0 && ret2 == 0 && mem.reads == 0);
	FUZZ_ASSERT(index2 == index && cd.ttb0 == cd2.ttb0 &&
		    cd.mair == cd2.mair && cd.asid == cd2.asid &&
		    cd.granule == cd2.granule && cd.ias == cd2.ias &&
		    cd.oas == cd2.oas && cd.start_level == cd2.start_level &&
		    cd.flags == cd2.flags);
	pvb_cd_cache_free(ctx.cd_cache);
	return 0;
}
