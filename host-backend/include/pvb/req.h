/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Decoding of the nested extension's requests, ATTACH_TABLE and INVALIDATE.
 *
 * The decoders are pure functions: given the device-readable bytes of a
 * request (from its head up to, not including, the device-writable tail),
 * they make every check of spec/virtio-iommu-nested.md that depends only on
 * those bytes and on the endpoint's capabilities, and return the status the
 * spec gives it, plus the request in host byte order. When a request fails
 * several checks, one of their statuses is returned (section 9.1 lets the
 * device choose).
 *
 * ATTACH_TABLE (section 9.3):
 *  VIRTIO_IOMMU_S_INVAL  - fewer than 68 bytes (NEST-DEV-20); wrong type; a
 *			    reserved byte not zero (NEST-DEV-21); flags not
 *			    zero (NEST-DEV-22); s1fmt > 2 or its bit clear in
 *			    cd_formats, s1cdmax > ssid_bits, s1cdmax 0 with a
 *			    two-level s1fmt, s1dss > 2, s1cir or s1cor > 3,
 *			    s1csh 1 or > 3 (NEST-DEV-26);
 *  VIRTIO_IOMMU_S_UNSUPP - format other than VIRTIO_IOMMU_TABLE_FMT_ARM_SMMUV3,
 *			    0 included (NEST-DEV-25);
 *  VIRTIO_IOMMU_S_RANGE  - s1contextptr not aligned as section 9.1 requires,
 *			    or the table it points to not below 2^oas
 *			    (NEST-DEV-27).
 * Left to the device: domain_range (NEST-DEV-23, RANGE), the endpoint's
 * existence (NEST-DEV-24, NOENT) and TABLE_FORMAT property (NEST-DEV-25,
 * UNSUPP), the table in guest memory (NEST-DEV-27, RANGE: the
 * pvb_attach_table.table_size bytes at s1contextptr), the kind and the
 * configuration of an existing domain (NEST-DEV-28, NEST-DEV-29, INVAL).
 *
 * INVALIDATE (section 13): VIRTIO_IOMMU_S_INVAL for a malformed request, as
 * section 13 defines it (NEST-DEV-53, NEST-DEV-54), VIRTIO_IOMMU_S_OK
 * otherwise. Nothing depends on the endpoint: an ASID or SSID that no
 * endpoint can use is accepted (NEST-DEV-59), only an ssid of 2^20 or more
 * is malformed, and tg and ttl are hints whose encodings alone are checked.
 * Left to the device: the domain's existence (NEST-DEV-51, NOENT) and kind
 * (NEST-DEV-52, INVAL), and the flush of the domain before it reports a
 * malformed request (NEST-DEV-54).
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
 * @table_size: bytes of the table at @table.s1contextptr (a CD, a linear CD
 *		table or a level-1 table, section 9.1), which the device
 *		checks to be guest memory (NEST-DEV-27)
 */
struct pvb_attach_table {
	uint32_t domain;
	uint32_t endpoint;
	struct pvb_s1_table table;
	uint64_t table_size;
};

/**
 * struct pvb_inv_entry - a decoded INVALIDATE entry
 * @scope: VIRTIO_IOMMU_INV_S_*
 * @flags: VIRTIO_IOMMU_INV_F_*
 * @tg: hint, the driver's log2 of the granule of the tables (12, 14, 16),
 *	0 if unknown; unverified, maybe not a granule of the endpoint
 * @ttl: hint, the driver's level of the leaf entries (1..3), 0 if unknown;
 *	 0 when @tg is 0; unverified
 * @asid: ASID (scopes ASID and VA), maybe wider than asid_bits
 * @ssid: SubstreamID (scope CD, and ATC with VIRTIO_IOMMU_INV_F_SSID),
 *	  below 2^20, maybe wider than ssid_bits
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
 * @len: its length: offsetof(struct virtio_iommu_req_attach_table, tail),
 *	 68 bytes; fewer is INVAL, bytes beyond the 68 are ignored
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
 * @caps: not consulted, may be NULL: whether a request is malformed does
 *	  not depend on the endpoints (NEST-DEV-59)
 * @out: the decoded request, valid when VIRTIO_IOMMU_S_OK is returned
 * @diag: optional, filled with the reason of a rejection
 *
 * Every entry is validated before any is acted upon: a request is either
 * wholly valid or malformed.
 *
 * Return: VIRTIO_IOMMU_S_OK or VIRTIO_IOMMU_S_INVAL (malformed).
 */
uint8_t pvb_req_decode_invalidate(const void *buf, size_t len,
				  const struct pvb_arm_caps *caps,
				  struct pvb_invalidate *out,
				  struct pvb_req_diag *diag);

#endif /* PVB_REQ_H */
