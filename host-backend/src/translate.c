// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Stage-1 translation of a transaction: CD selection (STE.S1CDMax and
 * S1DSS, IHI 0070 5.2), CD cache, IOTLB, table walk; and the application of
 * INVALIDATE entries to the software caches.
 */
#include <errno.h>

#include "pvb/s1.h"

#include "bits.h"
#include "s1_internal.h"

#define BYPASS_PAGE_SHIFT 12

/*
 * F_STREAM_DISABLED: S1DSS refuses the traffic, which the spec reports as
 * S1_BAD_CD (section 14, "s1dss refuses the access"; NEST-DEV-61)
 */
static int stream_disabled(struct pvb_fault *fault)
{
	return pvb_fault_set(fault, VIRTIO_IOMMU_FAULT_R_S1_BAD_CD);
}

/* The CD index of @txn, or PVB_S1_BYPASS */
static int select_cd(const struct pvb_s1_table *t, const struct pvb_s1_txn *txn,
		     uint32_t *index, struct pvb_fault *fault)
{
	/* Substreams disabled: one CD, a SubstreamID is C_BAD_SUBSTREAMID */
	if (!t->s1cdmax) {
		if (txn->ssv)
			return pvb_fault_set(fault,
					     VIRTIO_IOMMU_FAULT_R_S1_BAD_CD);
		*index = 0;
		return 0;
	}
	if (txn->ssv) {
		/* With S1DSS == SSID0, substream 0 is reserved */
		if (!txn->ssid && t->s1dss == VIRTIO_IOMMU_ARM_S1DSS_SSID0)
			return stream_disabled(fault);
		*index = txn->ssid;
		return 0;
	}
	switch (t->s1dss) {
	case VIRTIO_IOMMU_ARM_S1DSS_BYPASS:
		return PVB_S1_BYPASS;
	case VIRTIO_IOMMU_ARM_S1DSS_SSID0:
		*index = 0;
		return 0;
	default: /* Terminate; the reserved 0b11 behaves as 0b00 */
		return stream_disabled(fault);
	}
}

int pvb_s1_get_cd(const struct pvb_s1_ctx *ctx, const struct pvb_s1_txn *txn,
		  struct pvb_cd *cd, uint32_t *index, struct pvb_fault *fault)
{
	uint64_t raw[8];
	int ret;

	pvb_fault_init(fault, txn);
	ret = select_cd(&ctx->table, txn, index, fault);
	if (ret)
		return ret;
	if (ctx->cd_cache &&
	    pvb_cd_cache_lookup(ctx->cd_cache, ctx->domain, *index, cd))
		return 0;
	ret = pvb_cd_read(ctx, *index, raw, fault);
	if (ret)
		return ret;
	if (pvb_cd_decode(raw, &ctx->caps, cd))
		return pvb_fault_set(fault, VIRTIO_IOMMU_FAULT_R_S1_BAD_CD);
	if (ctx->cd_cache)
		pvb_cd_cache_insert(ctx->cd_cache, ctx->domain, *index, cd);
	return 0;
}

/* Stage 1 bypassed: identity, checked against the input size (3.4) */
static int translate_bypass(const struct pvb_s1_ctx *ctx,
			    const struct pvb_s1_txn *txn,
			    struct pvb_iotlb_entry *res,
			    struct pvb_fault *fault)
{
	uint64_t page = txn->iova & ~GENMASK_ULL(BYPASS_PAGE_SHIFT - 1, 0);

	if (!pvb_fits_bits(txn->iova, ctx->caps.oas))
		return pvb_fault_set(fault, VIRTIO_IOMMU_FAULT_R_S1_ADDR_SIZE);
	*res = (struct pvb_iotlb_entry){
		.iova = page,
		.out = page,
		.domain = ctx->domain,
		.size_log2 = BYPASS_PAGE_SHIFT,
		.perm = PVB_ACCESS_MASK,
	};
	return PVB_S1_BYPASS;
}

int pvb_s1_translate(const struct pvb_s1_ctx *ctx, const struct pvb_s1_txn *txn,
		     struct pvb_iotlb_entry *res, struct pvb_fault *fault)
{
	struct pvb_cd cd;
	uint32_t index;
	int ret;

	ret = pvb_s1_get_cd(ctx, txn, &cd, &index, fault);
	if (ret == PVB_S1_BYPASS)
		return translate_bypass(ctx, txn, res, fault);
	if (ret)
		return ret;

	if (ctx->iotlb && pvb_iotlb_lookup(ctx->iotlb, ctx->domain, cd.asid,
					   txn->iova, res)) {
		if (!(txn->access & ~res->perm))
			return 0;
		fault->record = cd.flags & PVB_CD_F_R;
		return pvb_fault_set(fault, VIRTIO_IOMMU_FAULT_R_S1_PERMISSION);
	}
	ret = pvb_s1_walk(&cd, &ctx->mem, txn, res, fault);
	if (ret)
		return ret;
	res->domain = ctx->domain;
	res->ssid = index;
	if (ctx->iotlb)
		pvb_iotlb_insert(ctx->iotlb, res);
	return 0;
}

void pvb_s1_invalidate(const struct pvb_s1_ctx *ctx,
		       const struct pvb_inv_entry *e)
{
	struct pvb_cd_cache *cdc = ctx->cd_cache;
	struct pvb_iotlb *tlb = ctx->iotlb;

	switch (e->scope) {
	case VIRTIO_IOMMU_INV_S_DOMAIN:
		if (tlb)
			pvb_iotlb_inv_domain(tlb, ctx->domain);
		break;
	case VIRTIO_IOMMU_INV_S_ASID:
		if (tlb)
			pvb_iotlb_inv_asid(tlb, ctx->domain, e->asid);
		break;
	case VIRTIO_IOMMU_INV_S_VA:
		if (tlb)
			pvb_iotlb_inv_va(tlb, ctx->domain, e->asid, e->addr,
					 e->size,
					 e->flags & VIRTIO_IOMMU_INV_F_LEAF);
		break;
	case VIRTIO_IOMMU_INV_S_CD:
		if (cdc)
			pvb_cd_cache_inv(cdc, ctx->domain, e->ssid);
		if (tlb)
			pvb_iotlb_inv_ssid(tlb, ctx->domain, e->ssid);
		break;
	case VIRTIO_IOMMU_INV_S_CD_ALL:
		if (cdc)
			pvb_cd_cache_inv_domain(cdc, ctx->domain);
		if (tlb)
			pvb_iotlb_inv_domain(tlb, ctx->domain);
		break;
	default: /* ATC: emulated endpoints have no ATC */
		break;
	}
}
