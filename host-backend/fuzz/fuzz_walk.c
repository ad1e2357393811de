// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz the stage-1 walk over arbitrary guest memory, and its IOTLB
 * caching. Input: struct fuzz_walk_hdr (CD, IOVA, access, capabilities),
 * then guest RAM from address 0.
 */
#include <errno.h>

#include "fuzz.h"

/* Page and block sizes of a granule (VMSAv8-64, FEAT_LPA for 64KB) */
static bool valid_size(unsigned int g, unsigned int shift)
{
	switch (g) {
	case 12:
		return shift == 12 || shift == 21 || shift == 30;
	case 14:
		return shift == 14 || shift == 25;
	default:
		return shift == 16 || shift == 29 || shift == 42;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_mem mem = { 0 };
	struct pvb_mem pmem = { fuzz_read, &mem };
	struct pvb_iotlb_entry res, hit;
	struct fuzz_walk_hdr hdr;
	struct pvb_arm_caps caps;
	struct pvb_fault fault;
	struct pvb_iotlb *tlb;
	struct pvb_s1_txn txn;
	struct pvb_cd cd;
	uint64_t mask;
	int ret;

	if (size < sizeof(hdr))
		return 0;
	memcpy(&hdr, data, sizeof(hdr));
	mem.img = data + sizeof(hdr);
	mem.size = size - sizeof(hdr);
	fuzz_caps(hdr.caps_sel, &caps);
	if (pvb_cd_decode(hdr.cd, &caps, &cd))
		return 0;

	txn = (struct pvb_s1_txn){ .iova = hdr.iova,
				   .access = hdr.access & PVB_ACCESS_MASK };
	ret = pvb_s1_walk(&cd, &pmem, &txn, &res, &fault);
	/* Bounded: one descriptor per level */
	FUZZ_ASSERT(mem.reads <=
		    4 - (cd.flags & PVB_CD_F_EPD0 ? 0 : cd.start_level));
	if (ret) {
		FUZZ_ASSERT(ret == -EFAULT);
		FUZZ_ASSERT(fault.reason >=
				    VIRTIO_IOMMU_FAULT_R_S1_TRANSLATION &&
			    fault.reason <= VIRTIO_IOMMU_FAULT_R_S1_WALK_EABT &&
			    fault.reason != VIRTIO_IOMMU_FAULT_R_S1_BAD_CD &&
			    fault.reason != VIRTIO_IOMMU_FAULT_R_S1_CD_FETCH);
		FUZZ_ASSERT(fault.address == txn.iova && fault.level <= 3);
		return 0;
	}

	FUZZ_ASSERT(valid_size(cd.granule, res.size_log2));
	mask = (1ULL << res.size_log2) - 1;
	FUZZ_ASSERT(res.iova == (txn.iova & ~mask));
	FUZZ_ASSERT(!(res.out & mask) && !(res.out >> cd.oas));
	FUZZ_ASSERT(!(txn.access & ~res.perm) &&
		    !(res.perm & ~PVB_ACCESS_MASK));
	FUZZ_ASSERT(res.asid == cd.asid);

	/* The IOTLB returns the walk's result for any address of the page */
	tlb = pvb_iotlb_new(16);
	FUZZ_ASSERT(tlb);
	res.domain = 2;
	pvb_iotlb_insert(tlb, &res);
	FUZZ_ASSERT(pvb_iotlb_lookup(tlb, 2, cd.asid, res.iova | mask, &hit));
	FUZZ_ASSERT(hit.iova == res.iova && hit.out == res.out &&
		    hit.domain == 2 && hit.asid == res.asid &&
		    hit.size_log2 == res.size_log2 && hit.perm == res.perm);
	pvb_iotlb_inv_va(tlb, 2, cd.asid, txn.iova & ~0xfffULL, 0x1000, true);
	FUZZ_ASSERT(!pvb_iotlb_lookup(tlb, 2, cd.asid, txn.iova, &hit));
	pvb_iotlb_free(tlb);
	return 0;
}
