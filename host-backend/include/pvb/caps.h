/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What an endpoint's Arm SMMUv3 table format supports: the content of the
 * VIRTIO_IOMMU_PROBE_T_TABLE_FORMAT property, in host byte order.
 *
 * The same structure is the limit against which ATTACH_TABLE and INVALIDATE
 * are validated (pvb/req.h) and the configuration of the software walker
 * (pvb/s1.h). It is derived either from the host SMMUv3 for VFIO endpoints
 * (pvb_smmu_caps_from_idr() in pvb/smmu.h) or from the software walker for
 * emulated endpoints (pvb_arm_caps_sw()).
 */
#ifndef PVB_CAPS_H
#define PVB_CAPS_H

#include <stdint.h>

#include "virtio_iommu_nested.h"

/**
 * struct pvb_arm_caps - Arm SMMUv3 table format limits of an endpoint
 * @ssid_bits: SubstreamID bits (0..20); STE.S1CDMax may not exceed it
 * @asid_bits: ASID bits, 8 or 16
 * @ias: stage-1 input (VA) bits: 48, or 52 which, as SMMU_IDR5.VAX, applies
 *	 to the 64KB granule only
 * @oas: stage-1 output (guest physical) bits, at most 52; bounds every
 *	 context pointer, table address and output address
 * @bbml: break-before-make level, SMMU_IDR3.BBML
 * @cd_formats: VIRTIO_IOMMU_ARM_CDTAB_* supported CD table layouts
 * @granules: VIRTIO_IOMMU_ARM_GRAN_* supported translation granules
 * @flags: VIRTIO_IOMMU_ARM_F_*
 */
struct pvb_arm_caps {
	uint8_t ssid_bits;
	uint8_t asid_bits;
	uint8_t ias;
	uint8_t oas;
	uint8_t bbml;
	uint32_t cd_formats;
	uint32_t granules;
	uint32_t flags;
};

/**
 * pvb_arm_caps_sw() - capabilities of the software walker
 * @oas: guest physical address size in bits (32..52), from the VMM
 * @caps: filled in
 *
 * 20 SSID bits, 16 ASID bits, 48-bit input, all three CD table layouts and
 * granules, range invalidation, little-endian tables; no HTTU, stall or ATS.
 */
void pvb_arm_caps_sw(uint8_t oas, struct pvb_arm_caps *caps);

/**
 * pvb_arm_caps_to_probe() - encode the PROBE property
 * @caps: the endpoint's capabilities
 * @prop: the little-endian VIRTIO_IOMMU_PROBE_T_TABLE_FORMAT property, with
 *	  its header (length excludes the 4-byte header) and zeroed reserved
 *	  fields
 */
void pvb_arm_caps_to_probe(const struct pvb_arm_caps *caps,
			   struct virtio_iommu_probe_table_arm_smmuv3 *prop);

#endif /* PVB_CAPS_H */
