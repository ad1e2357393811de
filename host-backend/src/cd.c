// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Context descriptor fetch (linear and 2-level CD tables, IHI 0070 5.2 and
 * 5.3) and decode (IHI 0070 5.4).
 */
#include <errno.h>

#include "pvb/s1.h"

#include "arm_lpae.h"
#include "arm_smmu_v3.h"
#include "bits.h"
#include "s1_internal.h"
#include "s1_table.h"

static int cd_fault(struct pvb_fault *fault, uint8_t reason,
		    uint64_t fetch_addr)
{
	fault->level = -1;
	fault->record = true;
	fault->fetch_addr = fetch_addr;
	return pvb_fault_set(fault, reason);
}

/* Read @n little-endian dwords at @addr, which must lie below 2^@oas */
static int read_dwords(const struct pvb_mem *mem, uint8_t oas, uint64_t addr,
		       uint64_t *buf, unsigned int n)
{
	unsigned int i;

	if (!pvb_fits_bits(addr, oas) ||
	    !pvb_fits_bits(addr + n * sizeof(*buf) - 1, oas))
		return -ERANGE;
	if (mem->read(mem->opaque, addr, buf, n * sizeof(*buf)))
		return -EIO;
	for (i = 0; i < n; i++)
		buf[i] = le64_to_cpu(buf[i]);
	return 0;
}

/* Address of the CD at @index in a 2-level table, through its L1CD */
static int cd_l2_addr(const struct pvb_s1_ctx *ctx, uint64_t base,
		      uint32_t index, uint64_t *addr, struct pvb_fault *fault)
{
	unsigned int split = pvb_cd_split(ctx->table.s1fmt);
	uint64_t l1_addr = base + (uint64_t)(index >> split) * sizeof(uint64_t);
	uint64_t l1, l2;

	if (read_dwords(&ctx->mem, ctx->caps.oas, l1_addr, &l1, 1))
		return cd_fault(fault, VIRTIO_IOMMU_FAULT_R_S1_CD_FETCH,
				l1_addr);
	/* An invalid L1CD is C_BAD_SUBSTREAMID (5.3.1) */
	if (!(l1 & CTXDESC_L1_DESC_V))
		return cd_fault(fault, VIRTIO_IOMMU_FAULT_R_S1_BAD_CD, l1_addr);
	l2 = l1 & CTXDESC_L1_DESC_L2PTR_MASK;
	/* 64KB leaf tables: L2Ptr[15:12] are RES0, taken as zero */
	if (split == CTXDESC_SPLIT_64K)
		l2 &= ~GENMASK_ULL(15, 12);
	*addr = l2 + ((uint64_t)(index & GENMASK_ULL(split - 1, 0))
		      << CTXDESC_CD_SHIFT);
	return 0;
}

int pvb_cd_read(const struct pvb_s1_ctx *ctx, uint32_t index, uint64_t cd[8],
		struct pvb_fault *fault)
{
	const struct pvb_s1_table *t = &ctx->table;
	uint64_t base, addr;
	int ret;

	/* SubstreamID >= 2^S1CDMax is C_BAD_SUBSTREAMID (5.2 S1CDMax) */
	if (t->s1cdmax > PVB_S1CDMAX_MAX || index >> t->s1cdmax)
		return cd_fault(fault, VIRTIO_IOMMU_FAULT_R_S1_BAD_CD, 0);
	/* RES0 low bits of S1ContextPtr are treated as zero */
	base = t->s1contextptr & ~GENMASK_ULL(pvb_ctxptr_align(t) - 1, 0);

	if (pvb_cd_table_is_2lvl(t)) {
		ret = cd_l2_addr(ctx, base, index, &addr, fault);
		if (ret)
			return ret;
	} else {
		addr = base + ((uint64_t)index << CTXDESC_CD_SHIFT);
	}
	if (read_dwords(&ctx->mem, ctx->caps.oas, addr, cd, CTXDESC_CD_DWORDS))
		return cd_fault(fault, VIRTIO_IOMMU_FAULT_R_S1_CD_FETCH, addr);
	return 0;
}

/* Granule of CD.TG0 (5.4): 0b00 4KB, 0b01 64KB, 0b10 16KB, 0b11 reserved */
static unsigned int tg0_granule(unsigned int tg0)
{
	switch (tg0) {
	case CTXDESC_CD_0_TCR_TG0_4K:
		return 12;
	case CTXDESC_CD_0_TCR_TG0_64K:
		return 16;
	case CTXDESC_CD_0_TCR_TG0_16K:
		return 14;
	default:
		return 0;
	}
}

/*
 * Output size of CD.IPS (5.4): 0b110 is 52 bits in SMMUv3.1, 0b111 is
 * reserved and behaves as 0b110 up to SMMUv3.3.
 */
static unsigned int ips_bits(unsigned int ips)
{
	static const uint8_t bits[] = { 32, 36, 40, 42, 44, 48, 52, 52 };

	return bits[ips & 7];
}

/* CD fields a walker-only implementation must refuse (C_BAD_CD) */
static int cd_check_model(uint64_t w0, const struct pvb_arm_caps *caps)
{
	bool walks_off = (w0 & CTXDESC_CD_0_TCR_EPD0) &&
			 (w0 & CTXDESC_CD_0_TCR_EPD1);

	if (!(w0 & CTXDESC_CD_0_V) || !(w0 & CTXDESC_CD_0_AA64))
		return -EINVAL;
	/* HTTU == 0: HA and HD are ILLEGAL */
	if (w0 & (CTXDESC_CD_0_TCR_HA | CTXDESC_CD_0_TCR_HD))
		return -EINVAL;
	/* STALL_MODEL == 0b01 forbids S, TERM_MODEL == 1 requires A (5.5) */
	if ((w0 & CTXDESC_CD_0_S) || !(w0 & CTXDESC_CD_0_A))
		return -EINVAL;
	/* Little-endian tables only (TTENDIAN == 0b10) */
	if ((w0 & CTXDESC_CD_0_ENDI) && !walks_off)
		return -EINVAL;
	if (!pvb_fits_bits(FIELD_GET(CTXDESC_CD_0_ASID, w0), caps->asid_bits))
		return -EINVAL;
	return 0;
}

/* Decode the TTB0 translation regime: granule, sizes, table base */
static int cd_decode_tt0(uint64_t w0, uint64_t w1,
			 const struct pvb_arm_caps *caps, struct pvb_cd *out)
{
	unsigned int g = tg0_granule(FIELD_GET(CTXDESC_CD_0_TCR_TG0, w0));
	unsigned int t0sz = FIELD_GET(CTXDESC_CD_0_TCR_T0SZ, w0);
	unsigned int va_max, oas, table_shift, level;

	if (!g || !(caps->granules & pvb_granule_cap(g)))
		return -EINVAL;
	/* T0SZ from 64 - VA size (52 needs VAX and 64KB) to 48 (47 for 64KB) */
	va_max = (g == 16 && caps->ias >= 52) ? 52 : 48;
	if (caps->ias < va_max)
		va_max = caps->ias;
	if (t0sz < 64 - va_max || t0sz > (g == 16 ? 47u : 48u))
		return -EINVAL;
	/* eff_IPS = MIN(CD.IPS, OAS); 52-bit output needs the 64KB granule */
	oas = ips_bits(FIELD_GET(CTXDESC_CD_0_TCR_IPS, w0));
	if (oas > caps->oas)
		oas = caps->oas;
	if (g != 16 && oas > 48)
		oas = 48;

	out->granule = g;
	out->ias = 64 - t0sz;
	out->oas = oas;
	level = arm_lpae_start_level(out->ias, g);
	out->start_level = level;
	/* A TTB0 beyond eff_IPS is ILLEGAL (5.4 TTB0) */
	out->ttb0 = w1 & CTXDESC_CD_1_TTB0_MASK;
	if (!pvb_fits_bits(out->ttb0, oas))
		return -EINVAL;
	/* Low bits below the table size, at least 64 bytes at 52 bits, are 0 */
	table_shift = out->ias - arm_lpae_lvl_shift(level, g) + 3;
	if (oas == 52 && table_shift < 6)
		table_shift = 6;
	out->ttb0 &= ~GENMASK_ULL(table_shift - 1, 0);
	return 0;
}

int pvb_cd_decode(const uint64_t cd[8], const struct pvb_arm_caps *caps,
		  struct pvb_cd *out)
{
	uint64_t w0 = cd[0], w1 = cd[1];

	*out = (struct pvb_cd){
		.asid = FIELD_GET(CTXDESC_CD_0_ASID, w0),
		.mair = FIELD_GET(CTXDESC_CD_3_MAIR, cd[3]),
	};
	if (cd_check_model(w0, caps))
		return -EINVAL;
	if (w0 & CTXDESC_CD_0_AFFD)
		out->flags |= PVB_CD_F_AFFD;
	if (w0 & CTXDESC_CD_0_WXN)
		out->flags |= PVB_CD_F_WXN;
	if (w0 & CTXDESC_CD_0_R)
		out->flags |= PVB_CD_F_R;
	if (w1 & CTXDESC_CD_1_HAD0)
		out->flags |= PVB_CD_F_HAD0;
	if (caps->oas >= 52)
		out->flags |= PVB_CD_F_LPA;
	/* With EPD0, T0SZ, TG0 and TTB0 are IGNORED */
	if (w0 & CTXDESC_CD_0_TCR_EPD0) {
		out->flags |= PVB_CD_F_EPD0;
		return 0;
	}
	return cd_decode_tt0(w0, w1, caps, out);
}
