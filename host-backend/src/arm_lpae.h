/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * VMSAv8-64 stage-1 translation table format (Arm DDI 0487, chapter D8
 * "The AArch64 Virtual Memory System Architecture"), as far as a device
 * walker needs it. Names follow drivers/iommu/io-pgtable-arm.c.
 */
#ifndef PVB_ARM_LPAE_H
#define PVB_ARM_LPAE_H

#include "bits.h"

#define ARM_LPAE_MAX_LEVELS 4

/* Descriptor type, bits [1:0] (D8.3) */
#define ARM_LPAE_PTE_VALID	BIT_ULL(0)
#define ARM_LPAE_PTE_TYPE_MASK	GENMASK_ULL(1, 0)
#define ARM_LPAE_PTE_TYPE_BLOCK 1 /* levels 0-2; reserved at level 3 */
#define ARM_LPAE_PTE_TYPE_TABLE 3 /* levels 0-2 */
#define ARM_LPAE_PTE_TYPE_PAGE	3 /* level 3 */

/* Leaf attributes (D8.3.2, D8.4) */
#define ARM_LPAE_PTE_AP_UNPRIV BIT_ULL(6) /* AP[1]: EL0 access */
#define ARM_LPAE_PTE_AP_RDONLY BIT_ULL(7) /* AP[2]: read-only */
#define ARM_LPAE_PTE_AF	       BIT_ULL(10)
#define ARM_LPAE_PTE_UXN       BIT_ULL(54)

/* Hierarchical attributes of table descriptors (D8.4.2) */
#define ARM_LPAE_PTE_UXNTABLE	   BIT_ULL(60)
#define ARM_LPAE_PTE_APTABLE_NOEL0 BIT_ULL(61) /* APTable[0] */
#define ARM_LPAE_PTE_APTABLE_RO	   BIT_ULL(62) /* APTable[1] */

/*
 * Output / next-level table address: bits [47:granule]; with the 64KB
 * granule, OA[51:48] is held in bits [15:12] (FEAT_LPA).
 */
#define ARM_LPAE_PTE_ADDR_HI_64K GENMASK_ULL(15, 12)

/* log2 of the region one descriptor at @level maps, for a 2^@g granule */
static inline unsigned int arm_lpae_lvl_shift(unsigned int level,
					      unsigned int g)
{
	return g + (3 - level) * (g - 3);
}

/*
 * First lookup level for an input size of @ias bits (D8.2.7): each level
 * resolves g - 3 bits above the g bits of the page offset.
 */
static inline unsigned int arm_lpae_start_level(unsigned int ias,
						unsigned int g)
{
	return 4 - (ias - 4) / (g - 3);
}

#endif /* PVB_ARM_LPAE_H */
