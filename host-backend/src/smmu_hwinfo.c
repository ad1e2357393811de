// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * PROBE capabilities of a host SMMUv3 from the IDR words of
 * IOMMU_GET_HW_INFO (struct iommu_hw_info_arm_smmuv3), reading only the
 * fields iommufd documents as valid.
 */
#include <errno.h>
#include <string.h>

#include "pvb/smmu.h"

#include "arm_smmu_v3.h"
#include "bits.h"
#include "s1_table.h"

static uint32_t idr_granules(uint32_t idr5)
{
	uint32_t granules = 0;

	if (idr5 & IDR5_GRAN4K)
		granules |= VIRTIO_IOMMU_ARM_GRAN_4K;
	if (idr5 & IDR5_GRAN16K)
		granules |= VIRTIO_IOMMU_ARM_GRAN_16K;
	if (idr5 & IDR5_GRAN64K)
		granules |= VIRTIO_IOMMU_ARM_GRAN_64K;
	return granules;
}

/* IDR0.STALL_MODEL: 0b00 stall or terminate, 0b01 terminate, 0b10 stall */
static uint32_t idr_stall_flags(uint32_t idr0)
{
	switch (FIELD_GET(IDR0_STALL_MODEL, idr0)) {
	case IDR0_STALL_MODEL_STALL:
		return VIRTIO_IOMMU_ARM_F_STALL;
	case IDR0_STALL_MODEL_FORCE:
		return VIRTIO_IOMMU_ARM_F_STALL |
		       VIRTIO_IOMMU_ARM_F_STALL_FORCE;
	default:
		return 0;
	}
}

/* IDR0.TTENDIAN: 0b00 mixed, 0b10 little, 0b11 big, 0b01 reserved */
static uint32_t idr_endian_flags(uint32_t idr0)
{
	switch (FIELD_GET(IDR0_TTENDIAN, idr0)) {
	case IDR0_TTENDIAN_MIXED:
		return VIRTIO_IOMMU_ARM_F_TT_LE | VIRTIO_IOMMU_ARM_F_TT_BE;
	case IDR0_TTENDIAN_LE:
		return VIRTIO_IOMMU_ARM_F_TT_LE;
	case IDR0_TTENDIAN_BE:
		return VIRTIO_IOMMU_ARM_F_TT_BE;
	default:
		return 0;
	}
}

int pvb_smmu_caps_from_idr(const uint32_t idr[6], uint8_t oas, bool ats,
			   struct pvb_arm_caps *caps)
{
	uint32_t idr0 = idr[0], idr1 = idr[1], idr3 = idr[3], idr5 = idr[5];
	unsigned int ssid_bits = FIELD_GET(IDR1_SSIDSIZE, idr1);

	memset(caps, 0, sizeof(*caps));
	if (!(FIELD_GET(IDR0_TTF, idr0) & IDR0_TTF_AARCH64))
		return -ENOTSUP;
	caps->granules = idr_granules(idr5);
	if (!caps->granules)
		return -ENOTSUP;

	caps->ssid_bits = ssid_bits > PVB_S1CDMAX_MAX ? PVB_S1CDMAX_MAX :
							ssid_bits;
	caps->asid_bits = (idr0 & IDR0_ASID16) ? 16 : 8;
	/* VAX == 0b01: 52-bit VA, with the 64KB granule only */
	caps->ias =
		FIELD_GET(IDR5_VAX, idr5) == IDR5_VAX_52_BIT &&
				(caps->granules & VIRTIO_IOMMU_ARM_GRAN_64K) ?
			52 :
			48;
	caps->oas = oas;
	caps->bbml = FIELD_GET(IDR3_BBML, idr3);
	caps->cd_formats = VIRTIO_IOMMU_ARM_CDTAB_LINEAR;
	if (idr0 & IDR0_CD2L)
		caps->cd_formats |= VIRTIO_IOMMU_ARM_CDTAB_2L_4K |
				    VIRTIO_IOMMU_ARM_CDTAB_2L_64K;
	caps->flags = idr_stall_flags(idr0) | idr_endian_flags(idr0);
	if (idr3 & IDR3_RIL)
		caps->flags |= VIRTIO_IOMMU_ARM_F_RIL;
	if (ats)
		caps->flags |= VIRTIO_IOMMU_ARM_F_ATS;
	return 0;
}
