/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Bit-field and byte-order helpers, in the spirit of the kernel's
 * <linux/bits.h> and <linux/bitfield.h>, so that field definitions can be
 * diffed against drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.h.
 */
#ifndef PVB_BITS_H
#define PVB_BITS_H

#include <stdint.h>

#define BIT_ULL(n)	  (1ULL << (n))
#define GENMASK_ULL(h, l) ((~0ULL >> (63 - (h))) & (~0ULL << (l)))

/* Extract / place a field described by a contiguous, constant mask. */
#define FIELD_GET(mask, reg) (((reg) & (mask)) >> __builtin_ctzll(mask))
#define FIELD_PREP(mask, val) \
	(((uint64_t)(val) << __builtin_ctzll(mask)) & (mask))

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline uint64_t le64_to_cpu(uint64_t v)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return __builtin_bswap64(v);
#else
	return v;
#endif
}

static inline uint32_t le32_to_cpu(uint32_t v)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return __builtin_bswap32(v);
#else
	return v;
#endif
}

static inline uint16_t le16_to_cpu(uint16_t v)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return __builtin_bswap16(v);
#else
	return v;
#endif
}

#define cpu_to_le64 le64_to_cpu
#define cpu_to_le32 le32_to_cpu
#define cpu_to_le16 le16_to_cpu

/* Index of the most significant set bit plus one; 0 for 0 (kernel fls64). */
static inline unsigned int fls64(uint64_t v)
{
	return v ? 64 - __builtin_clzll(v) : 0;
}

/* Whether @value is representable in @bits bits */
static inline int pvb_fits_bits(uint64_t value, unsigned int bits)
{
	return bits >= 64 || !(value >> bits);
}

#endif /* PVB_BITS_H */
