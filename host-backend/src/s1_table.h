/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Geometry of SMMUv3 CD tables, shared by the request decoder (which checks
 * S1ContextPtr) and the CD fetch (which indexes the table).
 */
#ifndef PVB_S1_TABLE_H
#define PVB_S1_TABLE_H

#include "pvb/req.h"

#include "arm_smmu_v3.h"

/* Largest S1CDMax the architecture allows (SMMU_IDR1.SSIDSIZE <= 20) */
#define PVB_S1CDMAX_MAX 20

/* log2 of the CDs in each leaf table of a 2-level CD table (5.2 S1Fmt) */
static inline unsigned int pvb_cd_split(uint8_t s1fmt)
{
	return s1fmt == VIRTIO_IOMMU_ARM_S1FMT_2L_4K ? CTXDESC_SPLIT_4K :
						       CTXDESC_SPLIT_64K;
}

static inline int pvb_cd_table_is_2lvl(const struct pvb_s1_table *t)
{
	return t->s1cdmax && t->s1fmt != VIRTIO_IOMMU_ARM_S1FMT_LINEAR;
}

/* VIRTIO_IOMMU_ARM_GRAN_* bit of a granule of 2^@g bytes, 0 if none */
static inline uint32_t pvb_granule_cap(unsigned int g)
{
	switch (g) {
	case 12:
		return VIRTIO_IOMMU_ARM_GRAN_4K;
	case 14:
		return VIRTIO_IOMMU_ARM_GRAN_16K;
	case 16:
		return VIRTIO_IOMMU_ARM_GRAN_64K;
	default:
		return 0;
	}
}

/*
 * log2 of the alignment of S1ContextPtr (IHI 0070 5.2 S1Fmt): a single CD
 * is 64-byte aligned, a linear table is aligned to its size, an L1 table of
 * 8-byte L1CDs to its size or 64 bytes, whichever is greater.
 */
static inline unsigned int pvb_ctxptr_align(const struct pvb_s1_table *t)
{
	unsigned int l1_shift;

	if (!t->s1cdmax)
		return CTXDESC_CD_SHIFT;
	if (!pvb_cd_table_is_2lvl(t))
		return t->s1cdmax + CTXDESC_CD_SHIFT;
	l1_shift = t->s1cdmax + 3;
	if (l1_shift < pvb_cd_split(t->s1fmt) + CTXDESC_CD_SHIFT)
		return CTXDESC_CD_SHIFT;
	return l1_shift - pvb_cd_split(t->s1fmt);
}

/*
 * Bytes of the table at S1ContextPtr (spec section 9.1): a single CD, a
 * linear table of 2^S1CDMax CDs, or an L1 table of at least one L1CD.
 */
static inline uint64_t pvb_cd_table_size(const struct pvb_s1_table *t)
{
	const uint64_t l1cd_size = sizeof(uint64_t);
	unsigned int split;

	if (!pvb_cd_table_is_2lvl(t))
		return 1ULL << (t->s1cdmax + CTXDESC_CD_SHIFT);
	split = pvb_cd_split(t->s1fmt);
	if (t->s1cdmax <= split)
		return l1cd_size;
	return l1cd_size << (t->s1cdmax - split);
}

#endif /* PVB_S1_TABLE_H */
