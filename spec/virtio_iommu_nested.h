/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Virtio-iommu nested (page-table sharing) extension: wire format.
 *
 * This is the single definition of the extension's wire format. It extends
 * the standard <linux/virtio_iommu.h> (virtio 1.4, section 5.13) and never
 * redefines anything in it. The Linux driver, the QEMU device and the host
 * backend all use this file unchanged; the normative text is
 * spec/virtio-iommu-nested.md.
 *
 * All multi-byte fields are little-endian. Every structure is naturally
 * aligned (no packing attribute is needed or used); sizes and offsets are
 * checked by tests/unit/test_spec_layout.c.
 *
 * Users that cannot include <linux/virtio_iommu.h> (QEMU uses its own copy
 * under standard-headers/) define VIRTIO_IOMMU_NESTED_NO_STD_INCLUDE after
 * providing the standard definitions and the __u8/__le16/__le32/__le64 types.
 */
#ifndef _UAPI_LINUX_VIRTIO_IOMMU_NESTED_H
#define _UAPI_LINUX_VIRTIO_IOMMU_NESTED_H

#ifndef VIRTIO_IOMMU_NESTED_NO_STD_INCLUDE
#include <linux/types.h>
#include <linux/virtio_iommu.h>
#endif

/*
 * Feature bit. Bits 5 and 6 are the standard's MMIO and BYPASS_CONFIG;
 * 7, 8 and 9 are claimed by published drafts (MQ and ATTACH_TABLE of the
 * 2023 pgtables branch, the Qualcomm ATTACH_TABLE, POSTED_MAP). 10 is the
 * first bit nobody has used. See spec section "Numbering".
 */
#define VIRTIO_IOMMU_F_NESTED			10

/*
 * Request types. 6, 7 and 8 are ATTACH_TABLE, INVALIDATE and PAGE_RESP in
 * every draft, each with a different layout; 9 and 10 are unused, so a
 * device may one day offer a standardised draft beside this one without
 * ambiguity.
 */
#define VIRTIO_IOMMU_T_ATTACH_TABLE		0x09
#define VIRTIO_IOMMU_T_INVALIDATE		0x0a

/* PROBE property type: 2..7 are claimed by drafts; 8 is free. */
#define VIRTIO_IOMMU_PROBE_T_TABLE_FORMAT	0x8

/* Table formats (PROBE property and ATTACH_TABLE). 0 is invalid. */
#define VIRTIO_IOMMU_TABLE_FMT_ARM_SMMUV3	1

/*
 * PROBE property VIRTIO_IOMMU_PROBE_T_TABLE_FORMAT for the Arm SMMUv3 format:
 * SMMUv3 context-descriptor table + VMSAv8-64 stage-1 translation tables.
 * An endpoint may report several TABLE_FORMAT properties, one per format.
 */
struct virtio_iommu_probe_table_format {
	struct virtio_iommu_probe_property	head;
	__le16					format;
	__le16					reserved0;
};

/* cd_formats: context-descriptor table formats (STE.S1Fmt values, as bits) */
#define VIRTIO_IOMMU_ARM_CDTAB_LINEAR		(1 << 0)
#define VIRTIO_IOMMU_ARM_CDTAB_2L_4K		(1 << 1)
#define VIRTIO_IOMMU_ARM_CDTAB_2L_64K		(1 << 2)

/* granules: stage-1 translation granules */
#define VIRTIO_IOMMU_ARM_GRAN_4K		(1 << 0)
#define VIRTIO_IOMMU_ARM_GRAN_16K		(1 << 1)
#define VIRTIO_IOMMU_ARM_GRAN_64K		(1 << 2)

/* flags */
#define VIRTIO_IOMMU_ARM_F_RIL			(1 << 0) /* range invalidation */
#define VIRTIO_IOMMU_ARM_F_HA			(1 << 1) /* HW access flag */
#define VIRTIO_IOMMU_ARM_F_HD			(1 << 2) /* HW dirty state */
#define VIRTIO_IOMMU_ARM_F_STALL		(1 << 3) /* stalls supported */
#define VIRTIO_IOMMU_ARM_F_STALL_FORCE		(1 << 4) /* stalls forced */
#define VIRTIO_IOMMU_ARM_F_TT_LE		(1 << 5) /* LE translation tables */
#define VIRTIO_IOMMU_ARM_F_TT_BE		(1 << 6) /* BE translation tables */
#define VIRTIO_IOMMU_ARM_F_ATS			(1 << 7) /* ATC present */
#define VIRTIO_IOMMU_ARM_F_MASK			0xff

struct virtio_iommu_probe_table_arm_smmuv3 {
	struct virtio_iommu_probe_property	head;
	__le16					format;
	__u8					ssid_bits;
	__u8					asid_bits;
	__u8					ias;
	__u8					oas;
	__u8					bbml;
	__u8					reserved0;
	__le32					cd_formats;
	__le32					granules;
	__le32					flags;
	__le32					reserved1;
	__le32					reserved2;
};

/*
 * ATTACH_TABLE: attach an endpoint to a table domain described by a table
 * in guest memory. The format-specific part is 40 bytes at offset 24.
 * The request is 72 bytes; the tail is at offset 68.
 */
#define VIRTIO_IOMMU_ATTACH_TABLE_F_MASK	0

/* Arm SMMUv3: values of the STE fields of the same name. */
#define VIRTIO_IOMMU_ARM_S1FMT_LINEAR		0
#define VIRTIO_IOMMU_ARM_S1FMT_2L_4K		1
#define VIRTIO_IOMMU_ARM_S1FMT_2L_64K		2

#define VIRTIO_IOMMU_ARM_S1DSS_TERMINATE	0
#define VIRTIO_IOMMU_ARM_S1DSS_BYPASS		1
#define VIRTIO_IOMMU_ARM_S1DSS_SSID0		2

struct virtio_iommu_table_arm_smmuv3 {
	__le64					s1contextptr;
	__u8					s1fmt;
	__u8					s1cdmax;
	__u8					s1dss;
	__u8					s1cir;
	__u8					s1cor;
	__u8					s1csh;
	__u8					reserved[26];
};

struct virtio_iommu_req_attach_table {
	struct virtio_iommu_req_head		head;
	__le32					domain;
	__le32					endpoint;
	__le32					flags;
	__le16					format;
	__u8					reserved[6];
	union {
		struct virtio_iommu_table_arm_smmuv3	arm_smmuv3;
		__u8					desc[40];
	};
	__u8					reserved1[4];
	struct virtio_iommu_req_tail		tail;
};

/*
 * INVALIDATE: a batch of invalidation entries for one table domain. The
 * device-writable tail follows the last entry.
 */
#define VIRTIO_IOMMU_INV_S_DOMAIN		1 /* all TLB entries */
#define VIRTIO_IOMMU_INV_S_ASID			2 /* TLB entries of asid */
#define VIRTIO_IOMMU_INV_S_VA			3 /* asid + [addr, addr+size) */
#define VIRTIO_IOMMU_INV_S_CD			4 /* cached CD of ssid */
#define VIRTIO_IOMMU_INV_S_CD_ALL		5 /* all cached CDs */
#define VIRTIO_IOMMU_INV_S_ATC			6 /* device ATCs */

#define VIRTIO_IOMMU_INV_F_LEAF			(1 << 0) /* VA: leaf only */
#define VIRTIO_IOMMU_INV_F_SSID			(1 << 1) /* ATC: ssid valid */
#define VIRTIO_IOMMU_INV_F_MASK			0x3

#define VIRTIO_IOMMU_INV_MAX_ENTRIES		256

struct virtio_iommu_inv_entry {
	__u8					scope;
	__u8					flags;
	__u8					tg;
	__u8					ttl;
	__le16					asid;
	__le16					reserved0;
	__le32					ssid;
	__le32					reserved1;
	__le64					addr;
	__le64					size;
};

struct virtio_iommu_req_invalidate {
	struct virtio_iommu_req_head		head;
	__le32					domain;
	__le16					nr_entries;
	__le16					reserved0;
	__le32					reserved1;
	struct virtio_iommu_inv_entry		entries[];
	/* struct virtio_iommu_req_tail follows entries[nr_entries] */
};

/*
 * Stage-1 fault reasons in struct virtio_iommu_fault.reason. 3..7 were used
 * by the 2021 nested draft; these start at 8.
 */
#define VIRTIO_IOMMU_FAULT_R_S1_TRANSLATION	8
#define VIRTIO_IOMMU_FAULT_R_S1_PERMISSION	9
#define VIRTIO_IOMMU_FAULT_R_S1_ACCESS		10
#define VIRTIO_IOMMU_FAULT_R_S1_ADDR_SIZE	11
#define VIRTIO_IOMMU_FAULT_R_S1_BAD_CD		12
#define VIRTIO_IOMMU_FAULT_R_S1_CD_FETCH	13
#define VIRTIO_IOMMU_FAULT_R_S1_WALK_EABT	14

/*
 * Extra fault flag: the SSID (PASID) is valid. It is stored as a __le32 in
 * the four bytes struct virtio_iommu_fault calls reserved2 (offset 12).
 */
#define VIRTIO_IOMMU_FAULT_F_SSID		(1 << 9)

#endif /* _UAPI_LINUX_VIRTIO_IOMMU_NESTED_H */
