// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Capabilities of the software walker and PROBE property encoding.
 */
#include <string.h>

#include "pvb/caps.h"

#include "bits.h"

void pvb_arm_caps_sw(uint8_t oas, struct pvb_arm_caps *caps)
{
	*caps = (struct pvb_arm_caps){
		.ssid_bits = 20,
		.asid_bits = 16,
		.ias = 48,
		.oas = oas,
		/* The IOTLB tolerates both old and new translations */
		.bbml = 2,
		.cd_formats = VIRTIO_IOMMU_ARM_CDTAB_LINEAR |
			      VIRTIO_IOMMU_ARM_CDTAB_2L_4K |
			      VIRTIO_IOMMU_ARM_CDTAB_2L_64K,
		.granules = VIRTIO_IOMMU_ARM_GRAN_4K |
			    VIRTIO_IOMMU_ARM_GRAN_16K |
			    VIRTIO_IOMMU_ARM_GRAN_64K,
		/* Invalidation is software: ranges are free */
		.flags = VIRTIO_IOMMU_ARM_F_RIL | VIRTIO_IOMMU_ARM_F_TT_LE,
	};
}

void pvb_arm_caps_to_probe(const struct pvb_arm_caps *caps,
			   struct virtio_iommu_probe_table_arm_smmuv3 *prop)
{
	memset(prop, 0, sizeof(*prop));
	prop->head.type = cpu_to_le16(VIRTIO_IOMMU_PROBE_T_TABLE_FORMAT);
	prop->head.length = cpu_to_le16(sizeof(*prop) - sizeof(prop->head));
	prop->format = cpu_to_le16(VIRTIO_IOMMU_TABLE_FMT_ARM_SMMUV3);
	prop->ssid_bits = caps->ssid_bits;
	prop->asid_bits = caps->asid_bits;
	prop->ias = caps->ias;
	prop->oas = caps->oas;
	prop->bbml = caps->bbml;
	prop->cd_formats = cpu_to_le32(caps->cd_formats);
	prop->granules = cpu_to_le32(caps->granules);
	prop->flags = cpu_to_le32(caps->flags);
}
