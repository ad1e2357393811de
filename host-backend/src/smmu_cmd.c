// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * INVALIDATE entries to SMMUv3 commands (IHI 0070 4.3 - 4.5), in the form
 * iommufd accepts on a vIOMMU (arm_vsmmu_validate_user_cmd()).
 */
#include <errno.h>
#include <stdbool.h>

#include "pvb/smmu.h"

#include "arm_smmu_v3.h"
#include "bits.h"

/*
 * Most commands of one range invalidation: at most 2^32 granules, consumed
 * five bits per command; a VA entry has one per granule.
 */
#define RIL_MAX_CMDS 7
_Static_assert(3 * RIL_MAX_CMDS <= PVB_SMMU_MAX_VA_CMDS,
	       "bound of VA commands");

struct cmd_buf {
	uint64_t (*cmds)[2];
	size_t cap;
	size_t n;
};

static int emit(struct cmd_buf *b, uint64_t w0, uint64_t w1)
{
	if (b->n == b->cap)
		return -ENOSPC;
	b->cmds[b->n][0] = cpu_to_le64(w0);
	b->cmds[b->n][1] = cpu_to_le64(w1);
	b->n++;
	return 0;
}

static int emit_nh_asid(struct cmd_buf *b, uint16_t asid)
{
	return emit(b,
		    FIELD_PREP(CMDQ_0_OP, CMDQ_OP_TLBI_NH_ASID) |
			    FIELD_PREP(CMDQ_TLBI_0_ASID, asid),
		    0);
}

/*
 * Range invalidation (SMMUv3.2 RIL) of the entry's range in granules of
 * 2^@tg bytes, TTL 0: each command covers (NUM + 1) * 2^SCALE granules
 * from Address; the granule count is consumed five bits at a time, as the
 * kernel's arm_smmu_cmdq_batch_add_range(). -E2BIG beyond 2^32 granules.
 */
static int emit_va_range(struct cmd_buf *b, const struct pvb_inv_entry *e,
			 unsigned int tg)
{
	uint64_t first = e->addr >> tg;
	uint64_t num_pages = ((e->addr + e->size - 1) >> tg) - first + 1;
	uint64_t iova = first << tg, num, w0, w1;
	unsigned int scale;
	int ret;

	/* SCALE is 5 bits without DS */
	if (num_pages >> (CMDQ_TLBI_RANGE_SCALE_MAX + 1))
		return -E2BIG;
	/* NUM == 0, SCALE == 0 and TTL == 0 is reserved: one page more */
	if ((num_pages & CMDQ_TLBI_RANGE_NUM_MAX) == 1)
		num_pages++;

	w0 = FIELD_PREP(CMDQ_0_OP, CMDQ_OP_TLBI_NH_VA) |
	     FIELD_PREP(CMDQ_TLBI_0_ASID, e->asid);
	w1 = FIELD_PREP(CMDQ_TLBI_1_LEAF,
			!!(e->flags & VIRTIO_IOMMU_INV_F_LEAF)) |
	     /* TG encodes 4KB, 16KB, 64KB as 1, 2, 3 */
	     FIELD_PREP(CMDQ_TLBI_1_TG, (tg - 10) / 2);
	while (num_pages) {
		scale = __builtin_ctzll(num_pages);
		num = (num_pages >> scale) & CMDQ_TLBI_RANGE_NUM_MAX;
		ret = emit(b,
			   w0 | FIELD_PREP(CMDQ_TLBI_0_NUM, num - 1) |
				   FIELD_PREP(CMDQ_TLBI_0_SCALE, scale),
			   w1 | (iova & CMDQ_TLBI_1_VA_MASK));
		if (ret)
			return ret;
		iova += num << (scale + tg);
		num_pages -= num << scale;
	}
	return 0;
}

/*
 * Without range invalidation: one command per 4KB page, TG, TTL, NUM and
 * SCALE zero, each hitting the entry that contains the address whatever
 * its granule and level; too many becomes NH_ASID.
 */
static int emit_va_pages(struct cmd_buf *b, const struct pvb_inv_entry *e)
{
	const unsigned int step = 12;
	uint64_t first, n, i, w0, w1;
	int ret;

	first = e->addr >> step;
	n = ((e->addr + e->size - 1) >> step) - first + 1;
	if (n > PVB_SMMU_MAX_VA_CMDS)
		return emit_nh_asid(b, e->asid);

	w0 = FIELD_PREP(CMDQ_0_OP, CMDQ_OP_TLBI_NH_VA) |
	     FIELD_PREP(CMDQ_TLBI_0_ASID, e->asid);
	w1 = FIELD_PREP(CMDQ_TLBI_1_LEAF,
			!!(e->flags & VIRTIO_IOMMU_INV_F_LEAF));
	for (i = 0; i < n; i++) {
		ret = emit(b, w0,
			   w1 | (((first + i) << step) & CMDQ_TLBI_1_VA_MASK));
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * A VA entry. Its tg and ttl are the driver's hints, which nothing here can
 * check against the CDs, and a host SMMU may skip the entries of another
 * granule or level than a command's TG and TTL: no command carries them
 * (NEST-DEV-58, section 13). With range invalidation the range is
 * invalidated once in each granule of the capabilities, TTL 0: a CD with
 * another TG0 is ILLEGAL, so every cached entry has one of them.
 */
static int emit_va(struct cmd_buf *b, const struct pvb_inv_entry *e,
		   const struct pvb_arm_caps *caps)
{
	static const struct {
		uint32_t cap;
		unsigned int shift;
	} granules[] = {
		{ VIRTIO_IOMMU_ARM_GRAN_4K, 12 },
		{ VIRTIO_IOMMU_ARM_GRAN_16K, 14 },
		{ VIRTIO_IOMMU_ARM_GRAN_64K, 16 },
	};
	size_t start = b->n;
	unsigned int i;
	int ret;

	if (!(caps->flags & VIRTIO_IOMMU_ARM_F_RIL))
		return emit_va_pages(b, e);
	for (i = 0; i < ARRAY_SIZE(granules); i++) {
		if (!(caps->granules & granules[i].cap))
			continue;
		ret = emit_va_range(b, e, granules[i].shift);
		if (ret == -E2BIG) {
			/* Beyond 2^32 granules: the whole ASID */
			b->n = start;
			return emit_nh_asid(b, e->asid);
		}
		if (ret)
			return ret;
	}
	/* No granule known: the whole ASID */
	if (b->n == start)
		return emit_nh_asid(b, e->asid);
	return 0;
}

/*
 * ATC invalidations cover 2^Size 4KB pages aligned to their size: take the
 * smallest such span containing the range, as the kernel's
 * arm_smmu_atc_inv_to_cmd(). Page numbers have 52 bits, so Size is at most
 * 52, which is "everything" (the kernel's ATC_INV_SIZE_ALL).
 */
static void atc_span(const struct pvb_inv_entry *e, uint64_t *addr,
		     unsigned int *size)
{
	uint64_t page_start = e->addr >> 12;
	uint64_t page_end = (e->addr + e->size - 1) >> 12;
	unsigned int log2_span = fls64(page_start ^ page_end);

	*addr = (page_start >> log2_span << log2_span) << 12;
	*size = log2_span;
}

/* One command per StreamID of the domain */
static int emit_per_sid(struct cmd_buf *b, const struct pvb_smmu_cmd_ctx *ctx,
			uint64_t w0, uint64_t w1, uint64_t sid_mask)
{
	unsigned int i;
	int ret;

	for (i = 0; i < ctx->nr_sids; i++) {
		ret = emit(b, w0 | FIELD_PREP(sid_mask, ctx->sids[i]), w1);
		if (ret)
			return ret;
	}
	return 0;
}

static int emit_atc(struct cmd_buf *b, const struct pvb_inv_entry *e,
		    const struct pvb_smmu_cmd_ctx *ctx)
{
	uint64_t addr, w0 = FIELD_PREP(CMDQ_0_OP, CMDQ_OP_ATC_INV);
	unsigned int size;

	if (e->flags & VIRTIO_IOMMU_INV_F_SSID)
		w0 |= CMDQ_0_SSV | FIELD_PREP(CMDQ_ATC_0_SSID, e->ssid);
	atc_span(e, &addr, &size);
	return emit_per_sid(b, ctx, w0,
			    FIELD_PREP(CMDQ_ATC_1_SIZE, size) |
				    (addr & CMDQ_ATC_1_ADDR_MASK),
			    CMDQ_ATC_0_SID);
}

/*
 * Whether the entry names an ASID or SSID that no endpoint can use: nothing
 * is cached for it, it is not an error (NEST-DEV-59), and the kernel would
 * refuse the whole batch with -EIO for such a field (section 18.2).
 */
static bool entry_unusable(const struct pvb_inv_entry *e,
			   const struct pvb_arm_caps *caps)
{
	switch (e->scope) {
	case VIRTIO_IOMMU_INV_S_ASID:
	case VIRTIO_IOMMU_INV_S_VA:
		return !pvb_fits_bits(e->asid, caps->asid_bits);
	case VIRTIO_IOMMU_INV_S_CD:
		/* SSID 0 names the single CD when S1CDMax is 0 */
		return !pvb_fits_bits(e->ssid, caps->ssid_bits);
	case VIRTIO_IOMMU_INV_S_ATC:
		return (e->flags & VIRTIO_IOMMU_INV_F_SSID) &&
		       (!caps->ssid_bits ||
			!pvb_fits_bits(e->ssid, caps->ssid_bits));
	default:
		return false;
	}
}

static int encode_entry(struct cmd_buf *b, const struct pvb_inv_entry *e,
			const struct pvb_smmu_cmd_ctx *ctx)
{
	if (entry_unusable(e, ctx->caps))
		return 0;
	switch (e->scope) {
	case VIRTIO_IOMMU_INV_S_DOMAIN:
		return emit(b, FIELD_PREP(CMDQ_0_OP, CMDQ_OP_TLBI_NH_ALL), 0);
	case VIRTIO_IOMMU_INV_S_ASID:
		return emit_nh_asid(b, e->asid);
	case VIRTIO_IOMMU_INV_S_VA:
		return emit_va(b, e, ctx->caps);
	case VIRTIO_IOMMU_INV_S_CD:
		/* Leaf == 0: also drops a cached L1CD (5.3.1) */
		return emit_per_sid(b, ctx,
				    FIELD_PREP(CMDQ_0_OP, CMDQ_OP_CFGI_CD) |
					    FIELD_PREP(CMDQ_CFGI_0_SSID,
						       e->ssid),
				    0, CMDQ_CFGI_0_SID);
	case VIRTIO_IOMMU_INV_S_CD_ALL:
		return emit_per_sid(b, ctx,
				    FIELD_PREP(CMDQ_0_OP, CMDQ_OP_CFGI_CD_ALL),
				    0, CMDQ_CFGI_0_SID);
	case VIRTIO_IOMMU_INV_S_ATC:
		return emit_atc(b, e, ctx);
	default:
		return -EINVAL;
	}
}

size_t pvb_smmu_inv_max_cmds(const struct pvb_smmu_cmd_ctx *ctx)
{
	/* VA entries emit one command per page or fewer; others per SID */
	return ctx->nr_sids > PVB_SMMU_MAX_VA_CMDS ? ctx->nr_sids :
						     PVB_SMMU_MAX_VA_CMDS;
}

int pvb_smmu_encode_inv(const struct pvb_inv_entry *entry,
			const struct pvb_smmu_cmd_ctx *ctx, uint64_t (*cmds)[2],
			size_t cap)
{
	struct cmd_buf b = { .cmds = cmds, .cap = cap };
	int ret = encode_entry(&b, entry, ctx);

	return ret ? ret : (int)b.n;
}

int pvb_smmu_encode_invalidate(const struct pvb_invalidate *req,
			       const struct pvb_smmu_cmd_ctx *ctx,
			       uint64_t (*cmds)[2], size_t cap)
{
	struct cmd_buf b = { .cmds = cmds, .cap = cap };
	unsigned int i;
	int ret;

	for (i = 0; i < req->nr_entries; i++) {
		ret = encode_entry(&b, &req->entries[i], ctx);
		if (ret)
			return ret;
	}
	return b.n;
}
