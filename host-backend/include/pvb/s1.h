/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Software stage-1 translation through a guest's Arm SMMUv3 context
 * descriptors and VMSAv8-64 translation tables (Arm IHI 0070 chapter 5,
 * Arm DDI 0487 chapter D8), for emulated endpoints.
 *
 * Model. Device traffic is unprivileged (PnU == 0, as a PCIe transaction
 * without a privileged PASID prefix) and uses the EL1&0 stage-1 rules:
 *  - reads need AP[1] == 1 (io-pgtable sets ARM_LPAE_PTE_AP_UNPRIV on every
 *    IOMMU mapping), writes need AP[1] == 1 and AP[2] == 0 (io-pgtable's
 *    ARM_LPAE_PTE_AP_RDONLY), instruction fetches need UXN == 0 and, with
 *    CD.WXN, a region EL0 cannot write;
 *  - APTable[0], APTable[1] and UXNTable of table descriptors restrict the
 *    levels below, unless CD.HAD0 is set; PXN and PXNTable only concern
 *    privileged fetches and are ignored;
 *  - the walker does not update descriptors (no HTTU): a leaf with AF == 0
 *    takes an Access flag fault unless CD.AFFD is set, and a CD with HA or
 *    HD set is ILLEGAL (BAD_CD), as SMMU_IDR0.HTTU == 0 mandates;
 *  - the walker behaves as SMMU_IDR0.TERM_MODEL == 1 and STALL_MODEL ==
 *    0b01: a CD with A == 0 or S == 1 is ILLEGAL;
 *  - only TTB0 is walked. Addresses at or above 2^(64 - T0SZ), the TTB1
 *    half included, take a Translation fault as if CD.EPD1 were 1; TBI is
 *    not applied (the top byte is part of the address).
 *  - big-endian tables (CD.ENDI) are not supported: BAD_CD.
 *  - T0SZ is valid from 64 - ias (16, or 12 with the 64KB granule when
 *    caps.ias is 52) to 48 (47 for 64KB), i.e. small translation tables
 *    (SMMU_IDR3.STT) are supported; outside that range the CD is ILLEGAL, as
 *    in SMMUv3.1.
 *  - the output size is min(CD.IPS, caps.oas), further capped at 48 bits
 *    unless the 64KB granule is used; 52-bit output uses descriptor bits
 *    [15:12] as OA[51:48] (FEAT_LPA), and enables 4TB level-1 blocks with
 *    the 64KB granule when caps.oas is 52.
 *
 * Priority of walk faults follows the architecture: Translation, then
 * Address size (next-level table or output address beyond the output
 * size), then Access flag, then Permission. Every guest read goes through
 * &struct pvb_mem; a failed table read is a WALK_EABT, a failed CD or L1CD
 * read a CD_FETCH. A walk reads at most four descriptors: a table whose
 * descriptors point back at itself ends at level 3.
 *
 * Not thread-safe when an IOTLB or CD cache is attached to the context: the
 * caller serialises.
 */
#ifndef PVB_S1_H
#define PVB_S1_H

#include <stdbool.h>
#include <stdint.h>

#include "caps.h"
#include "cd_cache.h"
#include "fault.h"
#include "iotlb.h"
#include "mem.h"
#include "req.h"

/* pvb_s1_get_cd() and pvb_s1_translate(): stage 1 is bypassed (S1DSS) */
#define PVB_S1_BYPASS 1

/* Flags of struct pvb_cd */
#define PVB_CD_F_EPD0 (1 << 0) /* TTB0 walks disabled: Translation fault */
#define PVB_CD_F_AFFD (1 << 1) /* Access flag faults disabled */
#define PVB_CD_F_HAD0 (1 << 2) /* hierarchical attributes disabled */
#define PVB_CD_F_WXN  (1 << 3) /* writable implies execute-never */
#define PVB_CD_F_R    (1 << 4) /* record translation faults */
#define PVB_CD_F_LPA  (1 << 5) /* 4TB level-1 blocks with the 64KB granule */

/**
 * struct pvb_cd - a decoded, valid context descriptor
 * @ttb0: base of the starting-level table, aligned to its size
 * @mair: MAIR (CD.MAIR1:MAIR0), for memory attributes; unused by the walker
 * @asid: ASID
 * @granule: log2 of the translation granule: 12, 14 or 16
 * @ias: input address bits, 64 - T0SZ
 * @oas: effective output address bits
 * @start_level: first lookup level, 0..3
 * @flags: PVB_CD_F_*
 */
struct pvb_cd {
	uint64_t ttb0;
	uint64_t mair;
	uint16_t asid;
	uint8_t granule;
	uint8_t ias;
	uint8_t oas;
	uint8_t start_level;
	uint8_t flags;
};

/**
 * struct pvb_s1_txn - a transaction to translate
 * @iova: input address
 * @ssid: SubstreamID, meaningful when @ssv is set
 * @ssv: the transaction carries a SubstreamID (PASID)
 * @access: PVB_ACCESS_* the transaction needs; 0 looks the translation up
 *	    without a permission check
 */
struct pvb_s1_txn {
	uint64_t iova;
	uint32_t ssid;
	bool ssv;
	uint8_t access;
};

/**
 * struct pvb_s1_ctx - everything a translation needs, one per table domain
 * @table: the context table given by ATTACH_TABLE
 * @caps: the endpoint's capabilities, normally pvb_arm_caps_sw()
 * @mem: guest memory
 * @domain: domain ID, the tag of IOTLB and CD cache entries
 * @iotlb: optional IOTLB
 * @cd_cache: optional CD cache
 */
struct pvb_s1_ctx {
	struct pvb_s1_table table;
	struct pvb_arm_caps caps;
	struct pvb_mem mem;
	uint32_t domain;
	struct pvb_iotlb *iotlb;
	struct pvb_cd_cache *cd_cache;
};

/**
 * pvb_cd_read() - fetch the raw CD of a given index
 * @ctx: the domain
 * @index: CD index (the SubstreamID, or 0)
 * @cd: the eight CD dwords, host byte order
 * @fault: on failure, @fault->reason is BAD_CD (index beyond S1CDMax, L1CD
 *	   with V == 0: the architecture's C_BAD_SUBSTREAMID) or CD_FETCH (a
 *	   read failed or an L2 table lies beyond caps.oas), and
 *	   @fault->fetch_addr the address concerned; other fields are left
 *	   for the caller
 *
 * Return: 0 or -EFAULT.
 */
int pvb_cd_read(const struct pvb_s1_ctx *ctx, uint32_t index, uint64_t cd[8],
		struct pvb_fault *fault);

/**
 * pvb_cd_decode() - check and decode a CD
 * @cd: the eight CD dwords, host byte order
 * @caps: the endpoint's capabilities
 * @out: the decoded CD
 *
 * Return: 0, or -EINVAL when the CD is invalid or ILLEGAL (C_BAD_CD): V or
 * AA64 clear, ENDI, HA, HD or S set, A clear, TG0 reserved or not in
 * caps.granules, T0SZ out of range, ASID wider than caps.asid_bits, TTB0
 * beyond the effective output size (IHI 0070 5.4 TTB0).
 */
int pvb_cd_decode(const uint64_t cd[8], const struct pvb_arm_caps *caps,
		  struct pvb_cd *out);

/**
 * pvb_s1_get_cd() - find the CD of a transaction
 * @ctx: the domain
 * @txn: the transaction
 * @cd: the decoded CD
 * @index: the CD index used
 * @fault: filled on failure
 *
 * Applies STE.S1CDMax and STE.S1DSS (IHI 0070 5.2): without substreams
 * (S1CDMax == 0) traffic uses CD 0 and a SubstreamID is a BAD_CD; otherwise
 * SSID-less traffic is terminated (the architecture's F_STREAM_DISABLED,
 * reason VIRTIO_IOMMU_FAULT_R_S1_BAD_CD as the spec's section 14 says),
 * bypasses stage 1 or uses CD 0 (then a transaction with SubstreamID 0 is
 * terminated likewise). Uses and fills the CD cache when @ctx has one.
 *
 * Return: 0, PVB_S1_BYPASS, or -EFAULT with @fault filled.
 */
int pvb_s1_get_cd(const struct pvb_s1_ctx *ctx, const struct pvb_s1_txn *txn,
		  struct pvb_cd *cd, uint32_t *index, struct pvb_fault *fault);

/**
 * pvb_s1_walk() - walk the VMSAv8-64 tables of a CD
 * @cd: the decoded CD
 * @mem: guest memory
 * @txn: the transaction
 * @res: on success, the translation (page or block); @res->domain and
 *	 @res->ssid are left 0 for the caller
 * @fault: filled on failure
 *
 * Return: 0, or -EFAULT with @fault filled.
 */
int pvb_s1_walk(const struct pvb_cd *cd, const struct pvb_mem *mem,
		const struct pvb_s1_txn *txn, struct pvb_iotlb_entry *res,
		struct pvb_fault *fault);

/**
 * pvb_s1_translate() - translate a transaction
 * @ctx: the domain
 * @txn: the transaction
 * @res: the translation of the page or block containing @txn->iova
 * @fault: filled on failure
 *
 * Finds the CD (pvb_s1_get_cd()), looks the IOTLB up, walks on a miss and
 * inserts the result. A permission failure on an IOTLB hit is reported as
 * the walk would. With PVB_S1_BYPASS, @res is the identity 4KB page with
 * every permission; an input address beyond caps.oas is then an ADDR_SIZE
 * fault.
 *
 * Return: 0, PVB_S1_BYPASS, or -EFAULT with @fault filled.
 */
int pvb_s1_translate(const struct pvb_s1_ctx *ctx, const struct pvb_s1_txn *txn,
		     struct pvb_iotlb_entry *res, struct pvb_fault *fault);

/**
 * pvb_s1_invalidate() - apply an INVALIDATE entry to the software caches
 * @ctx: the domain whose IOTLB and CD cache (either may be NULL) to update
 * @entry: the decoded entry
 *
 * DOMAIN, ASID and VA drop IOTLB entries; CD drops the cached CD and the
 * IOTLB entries walked through it; CD_ALL drops every cached CD and IOTLB
 * entry of the domain; ATC does nothing (emulated endpoints have no ATC).
 */
void pvb_s1_invalidate(const struct pvb_s1_ctx *ctx,
		       const struct pvb_inv_entry *entry);

#endif /* PVB_S1_H */
