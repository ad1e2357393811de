/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Arm SMMUv3 codec for VFIO endpoints nested through iommufd: the vSTE of
 * IOMMU_HWPT_ALLOC (struct iommu_hwpt_arm_smmuv3), the commands of
 * IOMMU_HWPT_INVALIDATE on a vIOMMU (struct
 * iommu_viommu_arm_smmuv3_invalidate), the PROBE property from
 * IOMMU_GET_HW_INFO (struct iommu_hw_info_arm_smmuv3), and the records of a
 * vEVENTQ (struct iommu_vevent_arm_smmuv3).
 *
 * Every 64-bit word exchanged with iommufd is little-endian, as the uAPI
 * requires; every function here is pure.
 */
#ifndef PVB_SMMU_H
#define PVB_SMMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "caps.h"
#include "fault.h"
#include "req.h"

/* Flags of pvb_smmu_make_s1_ste() */
#define PVB_STE_EATS (1u << 0) /* STE.EATS = 0b01: full ATS */
#define PVB_STE_S1STALLD \
	(1u << 1) /* STE.S1STALLD: no stall; only legal
				     * when the host's STALL_MODEL is 0b00 */

/**
 * pvb_smmu_make_s1_ste() - build the vSTE of a nested HWPT
 * @table: the context table from ATTACH_TABLE
 * @flags: PVB_STE_*
 * @ste: dwords 0 and 1, little-endian: V, Config = S1 translate, S1Fmt,
 *	 S1ContextPtr, S1CDMax; S1DSS, S1CIR, S1COR, S1CSH and, per @flags,
 *	 EATS and S1STALLD. Nothing else is set (iommufd's allow-mask).
 */
void pvb_smmu_make_s1_ste(const struct pvb_s1_table *table, unsigned int flags,
			  uint64_t ste[2]);

/** pvb_smmu_make_abort_ste() - vSTE that aborts all traffic (V, Cfg 0) */
void pvb_smmu_make_abort_ste(uint64_t ste[2]);

/**
 * pvb_smmu_make_bypass_ste() - vSTE that bypasses stage 1 (V, Cfg 0b100);
 * the nested HWPT then translates as its stage-2 parent
 */
void pvb_smmu_make_bypass_ste(uint64_t ste[2]);

/*
 * Upper bound of TLBI_NH_VA commands emitted for one VA entry without range
 * invalidation; a larger range becomes one TLBI_NH_ASID (as the kernel's
 * arm_smmu_inv_size_too_big() for the 4KB granule).
 */
#define PVB_SMMU_MAX_VA_CMDS 512

/**
 * struct pvb_smmu_cmd_ctx - how to encode a domain's invalidations
 * @caps: the host-derived capabilities of the domain (RIL, granules,
 *	  asid_bits, ssid_bits)
 * @sids: virtual StreamIDs (vDEVICE IDs) of the domain's VFIO endpoints,
 *	  targets of CFGI_CD, CFGI_CD_ALL and ATC_INV
 * @nr_sids: number of @sids
 */
struct pvb_smmu_cmd_ctx {
	const struct pvb_arm_caps *caps;
	const uint32_t *sids;
	unsigned int nr_sids;
};

/**
 * pvb_smmu_inv_max_cmds() - most commands one entry can produce
 * @ctx: the encoding context
 *
 * Return: a bound to size the array given to pvb_smmu_encode_inv().
 */
size_t pvb_smmu_inv_max_cmds(const struct pvb_smmu_cmd_ctx *ctx);

/**
 * pvb_smmu_encode_inv() - encode one INVALIDATE entry as SMMUv3 commands
 * @entry: a decoded, valid entry
 * @ctx: the encoding context
 * @cmds: output, little-endian command dwords
 * @cap: number of commands @cmds can hold
 *
 * Scopes: DOMAIN -> TLBI_NH_ALL; ASID -> TLBI_NH_ASID; VA -> TLBI_NH_VA;
 * CD -> CFGI_CD (non-leaf, so a changed L1CD is covered too) per StreamID;
 * CD_ALL -> CFGI_CD_ALL per StreamID; ATC -> ATC_INV per StreamID, covering
 * the range with the smallest aligned power of two. VMID is never set: the
 * kernel fills it.
 *
 * The tg and ttl hints are never forwarded, since nothing checks them
 * against the CDs (NEST-DEV-58): with VIRTIO_IOMMU_ARM_F_RIL in caps, a VA
 * entry becomes range commands with TTL 0, split as the kernel's
 * arm_smmu_cmdq_batch_add_range(), once per granule of caps; without it,
 * one command per 4KB page up to PVB_SMMU_MAX_VA_CMDS; beyond either, one
 * TLBI_NH_ASID.
 *
 * An entry whose ASID (ASID, VA) or SSID (CD, ATC with
 * VIRTIO_IOMMU_INV_F_SSID) no endpoint can use, being wider than caps'
 * asid_bits or ssid_bits, produces no command (NEST-DEV-59, section 18.2).
 *
 * Return: the number of commands written, possibly 0, or -ENOSPC when @cap
 * is too small (the content of @cmds is then undefined).
 */
int pvb_smmu_encode_inv(const struct pvb_inv_entry *entry,
			const struct pvb_smmu_cmd_ctx *ctx, uint64_t (*cmds)[2],
			size_t cap);

/**
 * pvb_smmu_encode_invalidate() - encode a whole INVALIDATE request
 * @req: the decoded request
 * @ctx: the encoding context
 * @cmds: output, little-endian command dwords, in entry order
 * @cap: number of commands @cmds can hold
 *
 * Return: the number of commands written, or -ENOSPC.
 */
int pvb_smmu_encode_invalidate(const struct pvb_invalidate *req,
			       const struct pvb_smmu_cmd_ctx *ctx,
			       uint64_t (*cmds)[2], size_t cap);

/**
 * pvb_smmu_caps_from_idr() - capabilities of a host SMMUv3
 * @idr: SMMU_IDR0..5 as IOMMU_GET_HW_INFO returns them (host order)
 * @oas: guest physical address size in bits, chosen by the VMM (the IDR5
 *	 OAS field is not among the fields iommufd declares valid)
 * @ats: the endpoint is described to the guest as ATS capable
 * @caps: filled in
 *
 * Reads only the fields iommufd documents as valid: IDR0 STALL_MODEL,
 * TTENDIAN, CD2L, ASID16, TTF; IDR1 SSIDSIZE; IDR3 BBML, RIL; IDR5 VAX and
 * GRAN*. ST_LEVEL, TERM_MODEL and SIDSIZE concern the host side only and
 * have no PROBE field. HTTU is not exposed by iommufd: no HA/HD.
 *
 * Return: 0, or -ENOTSUP when the SMMU has no VMSAv8-64 stage 1 (TTF) or no
 * granule.
 */
int pvb_smmu_caps_from_idr(const uint32_t idr[6], uint8_t oas, bool ats,
			   struct pvb_arm_caps *caps);

/**
 * pvb_smmu_decode_event() - decode a host SMMUv3 event record
 * @evt: the four little-endian dwords of a vEVENTQ ARM_SMMUV3 record
 * @fault: the fault: StreamID (the virtual SID), SubstreamID, and for
 *	   F_WALK_EABT and F_TRANSLATION..F_PERMISSION the input address and
 *	   access (RnW, InD). Reasons: F_TRANSLATION, F_ADDR_SIZE, F_ACCESS,
 *	   F_PERMISSION, C_BAD_CD, F_CD_FETCH, F_WALK_EABT map to the
 *	   VIRTIO_IOMMU_FAULT_R_S1_* of the same name; C_BAD_SUBSTREAMID and
 *	   F_STREAM_DISABLED to S1_BAD_CD (spec sections 14 and 18.3), as the
 *	   software walker reports them; a stage-2 fault (S2 == 1) during a CD
 *	   or table fetch to S1_CD_FETCH / S1_WALK_EABT, any other to
 *	   R_UNKNOWN.
 *
 * Return: the event number, EVTQ_0_ID.
 */
int pvb_smmu_decode_event(const uint64_t evt[4], struct pvb_fault *fault);

#endif /* PVB_SMMU_H */
