// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz INVALIDATE decoding, its SMMUv3 command encoding, and its
 * application to an IOTLB and CD cache. Input: one byte selecting the
 * capabilities and the number of StreamIDs, then the request bytes.
 */
#include <endian.h>

#include "../tests/vsmmu_check.h"
#include "fuzz.h"

#define MAX_SIDS 3

static uint64_t cmds[VIRTIO_IOMMU_INV_MAX_ENTRIES * PVB_SMMU_MAX_VA_CMDS][2];

/*
 * log2 of the leaves an entry declares: the TTL level of a leaf entry
 * (VMSAv8-64 level sizes), else its granule, else 4KB.
 */
static unsigned int declared_leaf_shift(const struct pvb_inv_entry *e)
{
	bool leaf = e->flags & VIRTIO_IOMMU_INV_F_LEAF;

	if (leaf && e->ttl && !(e->tg == 14 && e->ttl == 1))
		return e->tg + (3 - e->ttl) * (e->tg - 3);
	return e->tg ? e->tg : 12;
}

/*
 * Address range [first, last] a TLBI_NH_VA command invalidates: a range
 * (NUM + 1) * 2^SCALE granules long with TG, else the leaf containing the
 * address.
 */
static void va_cmd_range(const uint64_t cmd[2], unsigned int leaf_shift,
			 uint64_t *first, uint64_t *last)
{
	uint64_t w0 = le64toh(cmd[0]), w1 = le64toh(cmd[1]);
	unsigned int tg = (w1 >> 10) & 3, num = (w0 >> 12) & 31;
	unsigned int scale = (w0 >> 20) & 31;

	*first = w1 & ~0xfffULL;
	if (tg) {
		*last = *first +
			((uint64_t)(num + 1) << (scale + 10 + 2 * tg)) - 1;
		return;
	}
	*first &= ~((1ULL << leaf_shift) - 1);
	*last = *first + (1ULL << leaf_shift) - 1;
}

/* The commands of a VA entry cover its range, or fall back to NH_ASID */
static void check_va_cover(const struct pvb_inv_entry *e,
			   const uint64_t (*c)[2], int n)
{
	uint64_t want_first = e->addr, want_last = e->addr + e->size - 1;
	uint64_t first, last, covered_to;
	int i;

	if (n == 1 && (le64toh(c[0][0]) & 0xff) == 0x11) {
		FUZZ_ASSERT(le64toh(c[0][0]) >> 48 == e->asid);
		return;
	}
	va_cmd_range(c[0], declared_leaf_shift(e), &first, &last);
	FUZZ_ASSERT(first <= want_first);
	covered_to = last;
	for (i = 0; i < n; i++) {
		FUZZ_ASSERT((le64toh(c[i][0]) & 0xff) == 0x12);
		FUZZ_ASSERT(le64toh(c[i][0]) >> 48 == e->asid);
		FUZZ_ASSERT(!!(le64toh(c[i][1]) & 1) ==
			    !!(e->flags & VIRTIO_IOMMU_INV_F_LEAF));
		va_cmd_range(c[i], declared_leaf_shift(e), &first, &last);
		FUZZ_ASSERT(i == 0 || first <= covered_to + 1);
		if (last > covered_to)
			covered_to = last;
		if (last < first) /* wrapped past 2^64: covers the rest */
			covered_to = UINT64_MAX;
	}
	FUZZ_ASSERT(covered_to >= want_last);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t sids[MAX_SIDS] = { 1, 0x1234, 0xffffffff };
	static struct pvb_invalidate req;
	struct pvb_smmu_cmd_ctx ctx;
	struct pvb_arm_caps caps;
	struct pvb_s1_ctx s1 = { .domain = 1 };
	unsigned int i, nr_sids;
	bool ril;
	int n, total = 0;

	if (size < 1)
		return 0;
	fuzz_caps(data[0], &caps);
	nr_sids = (data[0] >> 2) % (MAX_SIDS + 1);
	if (pvb_req_decode_invalidate(data + 1, size - 1, &caps, &req, NULL) !=
	    VIRTIO_IOMMU_S_OK)
		return 0;
	FUZZ_ASSERT(req.nr_entries >= 1 &&
		    req.nr_entries <= VIRTIO_IOMMU_INV_MAX_ENTRIES);

	ctx = (struct pvb_smmu_cmd_ctx){ &caps, sids, nr_sids };
	ril = caps.flags & VIRTIO_IOMMU_ARM_F_RIL;
	for (i = 0; i < req.nr_entries; i++) {
		const struct pvb_inv_entry *e = &req.entries[i];

		n = pvb_smmu_encode_inv(e, &ctx, cmds,
					pvb_smmu_inv_max_cmds(&ctx));
		FUZZ_ASSERT(n >= 0 && (size_t)n <= pvb_smmu_inv_max_cmds(&ctx));
		for (int k = 0; k < n; k++)
			FUZZ_ASSERT(v_kernel_accepts(cmds[k], ril,
						     caps.asid_bits,
						     caps.ssid_bits, true));
		if (e->scope == VIRTIO_IOMMU_INV_S_VA)
			check_va_cover(e, cmds, n);
		total += n;
	}
	n = pvb_smmu_encode_invalidate(&req, &ctx, cmds,
				       sizeof(cmds) / sizeof(cmds[0]));
	FUZZ_ASSERT(n == total);

	/* The software caches accept every valid entry */
	s1.iotlb = pvb_iotlb_new(64);
	s1.cd_cache = pvb_cd_cache_new(8);
	FUZZ_ASSERT(s1.iotlb && s1.cd_cache);
	for (i = 0; i < 64; i++) {
		struct pvb_iotlb_entry e = {
			.iova = (uint64_t)data[i % size] << (12 + i % 20),
			.domain = 1,
			.asid = i & 3,
			.ssid = i & 1,
			.size_log2 = 12 + (i % 4) * 9,
		};

		pvb_iotlb_insert(s1.iotlb, &e);
	}
	for (i = 0; i < req.nr_entries; i++)
		pvb_s1_invalidate(&s1, &req.entries[i]);
	pvb_iotlb_free(s1.iotlb);
	pvb_cd_cache_free(s1.cd_cache);
	return 0;
}
