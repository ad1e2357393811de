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
 * Address range [first, last] a TLBI_NH_VA command invalidates: a range
 * (NUM + 1) * 2^SCALE granules long with TG, else at least the 4KB page
 * containing the address (the entry that contains it, whatever its size).
 */
static void va_cmd_range(const uint64_t cmd[2], uint64_t *first, uint64_t *last)
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
	*last = *first + 0xfff;
}

/*
 * The commands of a VA entry carry no hint (TTL 0, NEST-DEV-58) and cover
 * its range: with RIL, once in each granule of the caps (TG 1, 2, 3 for
 * VIRTIO_IOMMU_ARM_GRAN_4K, 16K, 64K), else page by page with TG 0; or
 * they fall back to NH_ASID.
 */
static void check_va_cover(const struct pvb_inv_entry *e,
			   const struct pvb_arm_caps *caps,
			   const uint64_t (*c)[2], int n)
{
	bool ril = caps->flags & VIRTIO_IOMMU_ARM_F_RIL;
	uint64_t want_last = e->addr + e->size - 1;
	uint64_t first, last, next;
	unsigned int tg, cmd_tg;
	bool done;
	int i;

	if (n == 1 && (le64toh(c[0][0]) & 0xff) == 0x11) {
		FUZZ_ASSERT(le64toh(c[0][0]) >> 48 == e->asid);
		return;
	}
	for (i = 0; i < n; i++) {
		FUZZ_ASSERT((le64toh(c[i][0]) & 0xff) == 0x12);
		FUZZ_ASSERT(le64toh(c[i][0]) >> 48 == e->asid);
		FUZZ_ASSERT(!!(le64toh(c[i][1]) & 1) ==
			    !!(e->flags & VIRTIO_IOMMU_INV_F_LEAF));
		FUZZ_ASSERT(!(le64toh(c[i][1]) & 0x300)); /* TTL */
	}
	for (tg = 0; tg <= 3; tg++) {
		bool want = ril ? tg && (caps->granules & (1u << (tg - 1))) :
				  !tg;

		next = e->addr;
		done = false;
		for (i = 0; i < n; i++) {
			cmd_tg = (le64toh(c[i][1]) >> 10) & 3;
			if (cmd_tg != tg)
				continue;
			FUZZ_ASSERT(want);
			va_cmd_range(c[i], &first, &last);
			FUZZ_ASSERT(done || first <= next);
			if (last < first) { /* wrapped past 2^64 */
				done = true;
			} else if (!done && last >= next) {
				next = last + 1;
				done = !next;
			}
		}
		FUZZ_ASSERT(!want || done || next > want_last);
	}
}

/* An ASID or SSID no endpoint can use (NEST-DEV-59): no command at all */
static bool entry_unusable(const struct pvb_inv_entry *e,
			   const struct pvb_arm_caps *caps)
{
	bool wide_asid = e->asid >> caps->asid_bits;
	bool wide_ssid = e->ssid >> caps->ssid_bits;

	switch (e->scope) {
	case VIRTIO_IOMMU_INV_S_ASID:
	case VIRTIO_IOMMU_INV_S_VA:
		return wide_asid;
	case VIRTIO_IOMMU_INV_S_CD:
		return wide_ssid;
	case VIRTIO_IOMMU_INV_S_ATC:
		return (e->flags & VIRTIO_IOMMU_INV_F_SSID) &&
		       (!caps->ssid_bits || wide_ssid);
	default:
		return false;
	}
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
		for (int k = 0; k < n; k++) {
			uint64_t w0 = le64toh(cmds[k][0]);

			FUZZ_ASSERT(v_kernel_accepts(cmds[k], ril,
						     caps.asid_bits,
						     caps.ssid_bits, true));
			/* CFGI_CD, ATC_INV: no SSID beyond ssid_bits */
			if ((w0 & 0xff) == 0x05 || (w0 & 0xff) == 0x40)
				FUZZ_ASSERT(!((w0 >> 12 & 0xfffff) >>
					      caps.ssid_bits));
		}
		if (entry_unusable(e, &caps))
			FUZZ_ASSERT(n == 0);
		else if (e->scope == VIRTIO_IOMMU_INV_S_VA)
			check_va_cover(e, &caps, cmds, n);
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
