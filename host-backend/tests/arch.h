/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Architecture constants written by hand for the tests, from Arm DDI 0487
 * (VMSAv8-64 descriptors) and Arm IHI 0070 (SMMUv3 CD); deliberately
 * independent of the library's own definitions so that a wrong bit position
 * in either shows up as a failure.
 */
#ifndef PVB_TEST_ARCH_H
#define PVB_TEST_ARCH_H

#include <stdint.h>

#include "gmem.h"

/* VMSAv8-64 descriptors (DDI 0487 D8.3) */
#define T_VALID		0x1ULL
#define T_TYPE_BLOCK	0x1ULL /* bits[1:0] = 0b01 */
#define T_TYPE_TABLE	0x3ULL /* bits[1:0] = 0b11 at levels 0-2 */
#define T_TYPE_PAGE	0x3ULL /* bits[1:0] = 0b11 at level 3 */
#define T_AP1		0x40ULL /* AP[1], bit 6: EL0 access */
#define T_AP2		0x80ULL /* AP[2], bit 7: read-only */
#define T_SH_IS		0x300ULL /* SH[1:0], bits [9:8] */
#define T_AF		0x400ULL /* bit 10 */
#define T_NG		0x800ULL /* bit 11 */
#define T_PXN		0x0020000000000000ULL /* bit 53 */
#define T_UXN		0x0040000000000000ULL /* bit 54 */
#define T_PXNTABLE	0x0800000000000000ULL /* bit 59 */
#define T_UXNTABLE	0x1000000000000000ULL /* bit 60 */
#define T_APTABLE_NOEL0 0x2000000000000000ULL /* bit 61, APTable[0] */
#define T_APTABLE_RO	0x4000000000000000ULL /* bit 62, APTable[1] */

/* What io-pgtable writes for an IOMMU_READ | IOMMU_WRITE mapping */
#define T_LEAF_RW (T_AF | T_NG | T_SH_IS | T_AP1)
#define T_LEAF_RO (T_LEAF_RW | T_AP2)

/* SMMUv3 CD dword 0 and 1 (IHI 0070 5.4) */
#define T_CD0_T0SZ(x) ((uint64_t)(x)) /* [5:0] */
#define T_CD0_TG0(x)  ((uint64_t)(x) << 6) /* [7:6] */
#define T_CD0_EPD0    (1ULL << 14)
#define T_CD0_ENDI    (1ULL << 15)
#define T_CD0_EPD1    (1ULL << 30)
#define T_CD0_V	      (1ULL << 31)
#define T_CD0_IPS(x)  ((uint64_t)(x) << 32) /* [34:32] */
#define T_CD0_AFFD    (1ULL << 35)
#define T_CD0_WXN     (1ULL << 36)
#define T_CD0_AA64    (1ULL << 41)
#define T_CD0_HD      (1ULL << 42)
#define T_CD0_HA      (1ULL << 43)
#define T_CD0_S	      (1ULL << 44)
#define T_CD0_R	      (1ULL << 45)
#define T_CD0_A	      (1ULL << 46)
#define T_CD0_ASET    (1ULL << 47)
#define T_CD0_ASID(x) ((uint64_t)(x) << 48) /* [63:48] */
#define T_CD1_HAD0    (1ULL << 1)
#define T_IPS_32      0
#define T_IPS_40      2
#define T_IPS_44      4
#define T_IPS_48      5
#define T_IPS_52      6

/* CD.TG0 encoding (5.4): 4KB 0b00, 64KB 0b01, 16KB 0b10 */
static inline unsigned int t_tg0(unsigned int g)
{
	return g == 12 ? 0 : g == 16 ? 1 : 2;
}

/* log2 of the region mapped by a descriptor at @level (D8.2) */
static inline unsigned int t_shift(unsigned int g, unsigned int level)
{
	return g + (3 - level) * (g - 3);
}

/*
 * A CD as arm_smmu_make_s1_cd() builds it: V, AA64, R, A, ASET, EPD1, the
 * given granule, input size, IPS, TTB0 and ASID; MAIR in dword 3.
 */
void t_make_cd(uint64_t cd[8], unsigned int g, unsigned int ias,
	       unsigned int ips, uint64_t ttb0, uint16_t asid);
/* Write the eight dwords of @cd at @gpa */
void t_write_cd(struct gmem *gm, uint64_t gpa, const uint64_t cd[8]);

/* A guest stage-1 table under construction */
struct t_pt {
	struct gmem *gm;
	unsigned int g; /* log2 granule */
	unsigned int ias; /* input bits */
	unsigned int start; /* starting level, given by hand */
	uint64_t root;
};

/* Allocate the starting-level table, aligned to its size */
void t_pt_init(struct t_pt *pt, struct gmem *gm, unsigned int g,
	       unsigned int ias, unsigned int start);
/* Output address field of a descriptor; 64KB puts OA[51:48] in [15:12] */
uint64_t t_oa(const struct t_pt *pt, uint64_t pa);
/*
 * Map @iova with a leaf at @level, block or page, to @pa with @attrs;
 * missing tables are created with @table_attrs. Returns the leaf's address.
 */
uint64_t t_pt_map(struct t_pt *pt, uint64_t iova, uint64_t pa,
		  unsigned int level, uint64_t attrs, uint64_t table_attrs);
/* Address of the descriptor that translates @iova at @level (must exist) */
uint64_t t_pt_desc_addr(struct t_pt *pt, uint64_t iova, unsigned int level);

#endif /* PVB_TEST_ARCH_H */
