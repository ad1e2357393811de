/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Decoding of the nested extension's requests, ATTACH_TABLE and INVALIDATE.
 *
 * The decoders are pure functions: given the device-readable bytes of a
 * request (from its head up to, not including, the device-writable tail),
 * they validate every field against the endpoint's capabilities and return
 * the virtio status the device writes in the tail, plus the request in host
 * byte order. Whether the domain or the endpoint exist, and whether the
 * domain is a table domain, is for the device to check.
 *
 * Status codes:
 *  VIRTIO_IOMMU_S_INVAL  - malformed: wrong length or type, a reserved field
 *			    or unknown flag set, a reserved encoding (s1fmt,
 *			    s1dss, cache attributes, scope, tg, ttl), a
 *			    misaligned or empty range, a misaligned
 *			    s1contextptr, a field the scope does not use that
 *			    is not zero, format 0;
 *  VIRTIO_IOMMU_S_UNSUPP - well formed but not advertised: a format other
 *			    than VIRTIO_IOMMU_TABLE_FMT_ARM_SMMUV3, a CD table
 *			    layout or a granule (tg) missing from the caps;
 *  VIRTIO_IOMMU_S_RANGE  - a value beyond the advertised limits:
 *			    s1contextptr >= 2^oas, s1cdmax > ssid_bits, an
 *			    ASID or SSID wider than asid_bits / ssid_bits, an
 *			    ATC entry with VIRTIO_IOMMU_INV_F_SSID when
 *			    ssid_bits is 0.
 */
#ifndef PVB_REQ_H
#define PVB_REQ_H

#include <stddef.h>
#include <stdint.h>

#include "caps.h"
#include "virtio_iommu_nested.h"

/**
 * struct pvb_s1_table - an Arm SMMUv3 stage-1 context table, the STE fields
 *			 ATTACH_TABLE carries (IHI 0070 5.2)
 * @s1contextptr: guest physical address of the CD or L1 CD table
 * @s1fmt: VIRTIO_IOMMU_ARM_S1FMT_*; ignored when @s1cdmax is 0
 * @s1cdmax: log2 of the number of CDs; 0 means one CD and no substreams
 * @s1dss: VIRTIO_IOMMU_ARM_S1DSS_*, the fate of transactions without a
 *	   SubstreamID when @s1cdmax is not 0
 * @s1cir: inner cacheability of CD accesses (hint, passed to the host)
 * @s1cor: outer cacheability of CD accesses (hint, passed to the host)
 * @s1csh: shareability of CD accesses (hint, passed to the host)
 */
struct pvb_s1_table {
	uint64_t s1contextptr;
	uint8_t s1fmt;
	uint8_t s1cdmax;
	uint8_t s1dss;
	uint8_t s1cir;
	uint8_t s1cor;
	uint8_t s1csh;
};

/**
 * struct pvb_attach_table - a decoded ATTACH_TABLE request
 * @domain: domain ID
 * @endpoint: endpoint ID
 * @table: the Arm SMMUv3 context table
 */
struct pvb_attach_table {
	uint32_t domain;
	uint32_t endpoint;
	struct pvb_s1_table table;
};

/**
 * struct pvb_inv_entry - a decoded INVALIDATE entry
 * @scope: VIRTIO_IOMMU_INV_S_*
 * @flags: VIRTIO_IOMMU_INV_F_*
 * @tg: log2 of the granule of the leaf entries (12, 14, 16), 0 if unknown
 * @ttl: level of the leaf entries (1..3), 0 if unknown; 0 when @tg is 0
 * @asid: ASID (scopes ASID and VA)
 * @ssid: SubstreamID (scope CD, and ATC with VIRTIO_IOMMU_INV_F_SSID)
 * @addr: first address of the range (scopes VA and ATC), 4KB aligned
 * @size: size of the range, 4KB aligned, not 0; @addr + @size - 1 does not
 *	  overflow
 *
 * Fields a scope does not use are 0.
 */
struct pvb_inv_entry {
	uint8_t scope;
	uint8_t flags;
	uint8_t tg;
	uint8_t ttl;
	uint16_t asid;
	uint32_t ssid;
	uint64_t addr;
	uint64_t size;
};

/**
 * struct pvb_invalidate - a decoded INVALIDATE request
 * @domain: domain ID
 * @nr_entries: number of valid @entries, 1..VIRTIO_IOMMU_INV_MAX_ENTRIES
 * @entries: the entries, in request order
 */
struct pvb_invalidate {
	uint32_t domain;
	uint16_t nr_entries;
	struct pvb_inv_entry entries[VIRTIO_IOMMU_INV_MAX_ENTRIES];
};

/**
 * struct pvb_req_diag - why a request was rejected, for guest-error logs
 * @msg: static description of the first failed check, NULL on success
 * @entry: index of the offending INVALIDATE entry, -1 if none
 */
struct pvb_req_diag {
	const char *msg;
	int entry;
};

/**
 * pvb_req_decode_attach_table() - validate and decode ATTACH_TABLE
 * @buf: the device-readable part of the request, from its head
 * @len: its length; must be offsetof(struct virtio_iommu_req_attach_table,
 *	 tail), 68 bytes
 * @caps: the endpoint's capabilities
 * @out: the decoded request, valid when VIRTIO_IOMMU_S_OK is returned
 * @diag: optional, filled with the reason of a rejection
 *
 * Return: the virtio status (see the top of this header).
 */
uint8_t pvb_req_decode_attach_table(const void *buf, size_t len,
				    const struct pvb_arm_caps *caps,
				    struct pvb_attach_table *out,
				    struct pvb_req_diag *diag);

/**
 * pvb_req_decode_invalidate() - validate and decode INVALIDATE
 * @buf: the device-readable part of the request, from its head
 * @len: its length; must be 16 + 32 * nr_entries
 * @caps: the domain's capabilities
 * @out: the decoded request, valid when VIRTIO_IOMMU_S_OK is returned
 * @diag: optional, filled with the reason of a rejection
 *
 * Every entry is validated before any is acted upon: a request is either
 * wholly valid or rejected.
 *
 * Return: the virtio status (see the top of this header).
 */
uint8_t pvb_req_decode_invalidate(const void *buf, size_t len,
				  const struct pvb_arm_caps *caps,
				  struct pvb_invalidate *out,
				  struct pvb_req_diag *diag);

#endif /* PVB_REQ_H */
