// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fuzz ATTACH_TABLE decoding and the vSTE built from it. Input: one byte
 * selecting the capabilities, then the device-readable request bytes.
 */
#include <endian.h>

#include "fuzz.h"

/* STE dword masks iommufd accepts (IHI 0070 5.2, written by hand) */
#define STE0_ALLOWED 0xf80fffffffffffffULL
#define STE1_ALLOWED 0x380000ffULL

/* Section 9.1, restated: bytes at S1ContextPtr */
static uint64_t expected_size(const struct pvb_s1_table *t)
{
	unsigned int split = t->s1fmt == 1 ? 6 : 10;

	if (!t->s1cdmax || !t->s1fmt)
		return 64ULL << t->s1cdmax;
	return 8ULL << (t->s1cdmax > split ? t->s1cdmax - split : 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pvb_attach_table out;
	struct pvb_arm_caps caps;
	struct pvb_req_diag diag;
	uint64_t ste[2], w0, w1;
	uint8_t status;

	if (size < 1)
		return 0;
	fuzz_caps(data[0], &caps);
	status = pvb_req_decode_attach_table(data + 1, size - 1, &caps, &out,
					     &diag);
	FUZZ_ASSERT(status == VIRTIO_IOMMU_S_OK ? !diag.msg : !!diag.msg);
	if (status != VIRTIO_IOMMU_S_OK)
		return 0;

	/*
	 * What the decoder accepted is within the advertised limits
	 * (NEST-DEV-20, NEST-DEV-25 to NEST-DEV-27): a table of the size of
	 * section 9.1, aligned to it (64 bytes at least), below 2^oas
	 */
	FUZZ_ASSERT(size - 1 >= 68);
	/* format, at offset 16 of the request */
	FUZZ_ASSERT((data[1 + 16] | data[1 + 17] << 8) ==
		    VIRTIO_IOMMU_TABLE_FMT_ARM_SMMUV3);
	FUZZ_ASSERT(out.table.s1cdmax <= caps.ssid_bits);
	FUZZ_ASSERT(out.table.s1fmt <= 2 && out.table.s1dss <= 2);
	FUZZ_ASSERT(caps.cd_formats & (1u << out.table.s1fmt));
	FUZZ_ASSERT(out.table.s1cdmax || !out.table.s1fmt);
	FUZZ_ASSERT(out.table.s1csh != 1 && out.table.s1csh <= 3);
	FUZZ_ASSERT(out.table_size == expected_size(&out.table));
	FUZZ_ASSERT(!(out.table.s1contextptr &
		      ((out.table_size < 64 ? 64 : out.table_size) - 1)));
	FUZZ_ASSERT(
		!((out.table.s1contextptr + out.table_size - 1) >> caps.oas));

	/* The vSTE carries it back, and nothing iommufd would refuse */
	pvb_smmu_make_s1_ste(&out.table, PVB_STE_EATS, ste);
	w0 = le64toh(ste[0]);
	w1 = le64toh(ste[1]);
	FUZZ_ASSERT(!(w0 & ~STE0_ALLOWED) && !(w1 & ~STE1_ALLOWED));
	FUZZ_ASSERT((w0 & 0xf) == 0xb);
	FUZZ_ASSERT((w0 & 0x000fffffffffffc0ULL) == out.table.s1contextptr);
	FUZZ_ASSERT(((w0 >> 4) & 3) == out.table.s1fmt);
	FUZZ_ASSERT(w0 >> 59 == out.table.s1cdmax);
	FUZZ_ASSERT((w1 & 3) == out.table.s1dss);
	FUZZ_ASSERT(((w1 >> 6) & 3) == out.table.s1csh);
	return 0;
}
