// SPDX-License-Identifier: BSD-3-Clause
/*
 * Wire-format check for spec/virtio_iommu_nested.h.
 *
 * Every LAYOUT_SIZE / LAYOUT_FIELD line below restates a row of the layout
 * tables in spec/virtio-iommu-nested.md ("Layout of `struct ...`"), and
 * spec/check-conformance.py verifies that the two agree. The constants are
 * those of the numbering section and of the listings in the same document.
 *
 * Build and run (from the repository root):
 *   gcc -std=gnu11 -Wall -Wextra -Werror -Ispec \
 *       -o /tmp/test_spec_layout tests/unit/test_spec_layout.c
 *   /tmp/test_spec_layout
 *
 * Output is TAP. Exit status 0 if every check passes, 1 otherwise.
 */
#include <stddef.h>
#include <stdio.h>

#include "virtio_iommu_nested.h"

#define MAX_CHECKS 512

struct check {
	char name[160];
	unsigned long long got;
	unsigned long long want;
};

static struct check checks[MAX_CHECKS];
static unsigned int nr_checks;

static void record(const char *kind, const char *what, const char *detail,
		   unsigned long long got, unsigned long long want)
{
	struct check *c;

	if (nr_checks == MAX_CHECKS) {
		fprintf(stderr, "too many checks\n");
		return;
	}
	c = &checks[nr_checks++];
	snprintf(c->name, sizeof(c->name), "%s %s%s%s", kind, what,
		 detail[0] ? " " : "", detail);
	c->got = got;
	c->want = want;
}

/* sizeof(struct type) */
#define LAYOUT_SIZE(type, size)						\
	record("sizeof", "struct " #type, "", sizeof(struct type), (size))

/* offset and size of a member (a member designator, e.g. a.b or a[0]) */
#define LAYOUT_FIELD(type, member, off, size)				\
	do {								\
		record("offsetof", "struct " #type, #member,		\
		       offsetof(struct type, member), (off));		\
		record("sizeof", "struct " #type, #member,		\
		       sizeof(((struct type *)0)->member), (size));	\
	} while (0)

#define CONST(name, value)	record("value", #name, "", (name), (value))

static void check_layouts(void)
{
	/* Section 8: PROBE property TABLE_FORMAT, generic part */
	LAYOUT_SIZE(virtio_iommu_probe_table_format, 8);
	LAYOUT_FIELD(virtio_iommu_probe_table_format, head, 0, 4);
	LAYOUT_FIELD(virtio_iommu_probe_table_format, format, 4, 2);
	LAYOUT_FIELD(virtio_iommu_probe_table_format, reserved0, 6, 2);

	/* Section 8.1: Arm SMMUv3 TABLE_FORMAT property */
	LAYOUT_SIZE(virtio_iommu_probe_table_arm_smmuv3, 32);
	LAYOUT_FIELD(virtio_iommu_probe_table_arm_smmuv3, head, 0, 4);
	LAYOUT_FIELD(virtio_iommu_probe_table_arm_smmuv3, format, 4, 2);
	LAYOUT_FIELD(virtio_iommu_probe_table_arm_smmuv3, ssid_bits, 6, 1);
	LAYOUT_FIELD(virtio_iommu_probe_table_arm_smmuv3, asid_bits, 7, 1);
	LAYOUT_FIELD(virtio_iommu_probe_table_arm_smmuv3, ias, 8, 1);
	LAYOUT_FIELD(virtio_iommu_probe_table_arm_smmuv3, oas, 9, 1);
	LAYOUT_FIELD(virtio_iommu_probe_table_arm_smmuv3, bbml, 10, 1);
	LAYOUT_FIELD(virtio_iommu_probe_table_arm_smmuv3, reserved0, 11, 1);
	LAYOUT_FIELD(virtio_iommu_probe_table_arm_smmuv3, cd_formats, 12, 4);
	LAYOUT_FIELD(virtio_iommu_probe_table_arm_smmuv3, granules, 16, 4);
	LAYOUT_FIELD(virtio_iommu_probe_table_arm_smmuv3, flags, 20, 4);
	LAYOUT_FIELD(virtio_iommu_probe_table_arm_smmuv3, reserved1, 24, 4);
	LAYOUT_FIELD(virtio_iommu_probe_table_arm_smmuv3, reserved2, 28, 4);

	/* Section 9: ATTACH_TABLE request */
	LAYOUT_SIZE(virtio_iommu_req_attach_table, 72);
	LAYOUT_FIELD(virtio_iommu_req_attach_table, head, 0, 4);
	LAYOUT_FIELD(virtio_iommu_req_attach_table, domain, 4, 4);
	LAYOUT_FIELD(virtio_iommu_req_attach_table, endpoint, 8, 4);
	LAYOUT_FIELD(virtio_iommu_req_attach_table, flags, 12, 4);
	LAYOUT_FIELD(virtio_iommu_req_attach_table, format, 16, 2);
	LAYOUT_FIELD(virtio_iommu_req_attach_table, reserved, 18, 6);
	LAYOUT_FIELD(virtio_iommu_req_attach_table, arm_smmuv3, 24, 40);
	LAYOUT_FIELD(virtio_iommu_req_attach_table, desc, 24, 40);
	LAYOUT_FIELD(virtio_iommu_req_attach_table, reserved1, 64, 4);
	LAYOUT_FIELD(virtio_iommu_req_attach_table, tail, 68, 4);

	/* Section 9.1: Arm SMMUv3 descriptor */
	LAYOUT_SIZE(virtio_iommu_table_arm_smmuv3, 40);
	LAYOUT_FIELD(virtio_iommu_table_arm_smmuv3, s1contextptr, 0, 8);
	LAYOUT_FIELD(virtio_iommu_table_arm_smmuv3, s1fmt, 8, 1);
	LAYOUT_FIELD(virtio_iommu_table_arm_smmuv3, s1cdmax, 9, 1);
	LAYOUT_FIELD(virtio_iommu_table_arm_smmuv3, s1dss, 10, 1);
	LAYOUT_FIELD(virtio_iommu_table_arm_smmuv3, s1cir, 11, 1);
	LAYOUT_FIELD(virtio_iommu_table_arm_smmuv3, s1cor, 12, 1);
	LAYOUT_FIELD(virtio_iommu_table_arm_smmuv3, s1csh, 13, 1);
	LAYOUT_FIELD(virtio_iommu_table_arm_smmuv3, reserved, 14, 26);

	/* Section 13: INVALIDATE request and its entries */
	LAYOUT_SIZE(virtio_iommu_req_invalidate, 16);
	LAYOUT_FIELD(virtio_iommu_req_invalidate, head, 0, 4);
	LAYOUT_FIELD(virtio_iommu_req_invalidate, domain, 4, 4);
	LAYOUT_FIELD(virtio_iommu_req_invalidate, nr_entries, 8, 2);
	LAYOUT_FIELD(virtio_iommu_req_invalidate, reserved0, 10, 2);
	LAYOUT_FIELD(virtio_iommu_req_invalidate, reserved1, 12, 4);
	LAYOUT_FIELD(virtio_iommu_req_invalidate, entries[0], 16, 32);

	LAYOUT_SIZE(virtio_iommu_inv_entry, 32);
	LAYOUT_FIELD(virtio_iommu_inv_entry, scope, 0, 1);
	LAYOUT_FIELD(virtio_iommu_inv_entry, flags, 1, 1);
	LAYOUT_FIELD(virtio_iommu_inv_entry, tg, 2, 1);
	LAYOUT_FIELD(virtio_iommu_inv_entry, ttl, 3, 1);
	LAYOUT_FIELD(virtio_iommu_inv_entry, asid, 4, 2);
	LAYOUT_FIELD(virtio_iommu_inv_entry, reserved0, 6, 2);
	LAYOUT_FIELD(virtio_iommu_inv_entry, ssid, 8, 4);
	LAYOUT_FIELD(virtio_iommu_inv_entry, reserved1, 12, 4);
	LAYOUT_FIELD(virtio_iommu_inv_entry, addr, 16, 8);
	LAYOUT_FIELD(virtio_iommu_inv_entry, size, 24, 8);

	/* Section 14: the standard fault report, with the SSID at offset 12 */
	LAYOUT_SIZE(virtio_iommu_fault, 24);
	LAYOUT_FIELD(virtio_iommu_fault, reason, 0, 1);
	LAYOUT_FIELD(virtio_iommu_fault, reserved, 1, 3);
	LAYOUT_FIELD(virtio_iommu_fault, flags, 4, 4);
	LAYOUT_FIELD(virtio_iommu_fault, endpoint, 8, 4);
	LAYOUT_FIELD(virtio_iommu_fault, reserved2, 12, 4);
	LAYOUT_FIELD(virtio_iommu_fault, address, 16, 8);
}

static void check_derived(void)
{
	/* Property length excludes the 4-byte property header */
	record("value", "TABLE_FORMAT arm_smmuv3 head.length", "",
	       sizeof(struct virtio_iommu_probe_table_arm_smmuv3) -
	       sizeof(struct virtio_iommu_probe_property), 28);
	/* Device-readable part of ATTACH_TABLE: everything but the tail */
	record("value", "ATTACH_TABLE device-readable length", "",
	       offsetof(struct virtio_iommu_req_attach_table, tail), 68);
	/* INVALIDATE with n entries: 16 + 32 n, tail after the last entry */
	record("value", "INVALIDATE device-readable length, 256 entries", "",
	       sizeof(struct virtio_iommu_req_invalidate) +
	       VIRTIO_IOMMU_INV_MAX_ENTRIES *
	       sizeof(struct virtio_iommu_inv_entry), 16 + 32 * 256);
	/* The new fault flag overlaps none of the existing ones */
	record("value", "FAULT_F_SSID & (READ|WRITE|EXEC|ADDRESS)", "",
	       VIRTIO_IOMMU_FAULT_F_SSID &
	       (VIRTIO_IOMMU_FAULT_F_READ | VIRTIO_IOMMU_FAULT_F_WRITE |
		VIRTIO_IOMMU_FAULT_F_EXEC | VIRTIO_IOMMU_FAULT_F_ADDRESS), 0);
	/* Flag masks cover exactly the defined flags */
	record("value", "ARM_F_* == ARM_F_MASK", "",
	       VIRTIO_IOMMU_ARM_F_RIL | VIRTIO_IOMMU_ARM_F_HA |
	       VIRTIO_IOMMU_ARM_F_HD | VIRTIO_IOMMU_ARM_F_STALL |
	       VIRTIO_IOMMU_ARM_F_STALL_FORCE | VIRTIO_IOMMU_ARM_F_TT_LE |
	       VIRTIO_IOMMU_ARM_F_TT_BE | VIRTIO_IOMMU_ARM_F_ATS,
	       VIRTIO_IOMMU_ARM_F_MASK);
	record("value", "INV_F_* == INV_F_MASK", "",
	       VIRTIO_IOMMU_INV_F_LEAF | VIRTIO_IOMMU_INV_F_SSID,
	       VIRTIO_IOMMU_INV_F_MASK);
}

static void check_constants(void)
{
	/* Section 17, values defined by this extension */
	CONST(VIRTIO_IOMMU_F_NESTED, 10);
	CONST(VIRTIO_IOMMU_T_ATTACH_TABLE, 9);
	CONST(VIRTIO_IOMMU_T_INVALIDATE, 10);
	CONST(VIRTIO_IOMMU_PROBE_T_TABLE_FORMAT, 8);
	CONST(VIRTIO_IOMMU_TABLE_FMT_ARM_SMMUV3, 1);
	CONST(VIRTIO_IOMMU_FAULT_R_S1_TRANSLATION, 8);
	CONST(VIRTIO_IOMMU_FAULT_R_S1_PERMISSION, 9);
	CONST(VIRTIO_IOMMU_FAULT_R_S1_ACCESS, 10);
	CONST(VIRTIO_IOMMU_FAULT_R_S1_ADDR_SIZE, 11);
	CONST(VIRTIO_IOMMU_FAULT_R_S1_BAD_CD, 12);
	CONST(VIRTIO_IOMMU_FAULT_R_S1_CD_FETCH, 13);
	CONST(VIRTIO_IOMMU_FAULT_R_S1_WALK_EABT, 14);
	CONST(VIRTIO_IOMMU_FAULT_F_SSID, 1 << 9);

	/* Section 8.1, TABLE_FORMAT property bits */
	CONST(VIRTIO_IOMMU_ARM_CDTAB_LINEAR, 1 << 0);
	CONST(VIRTIO_IOMMU_ARM_CDTAB_2L_4K, 1 << 1);
	CONST(VIRTIO_IOMMU_ARM_CDTAB_2L_64K, 1 << 2);
	CONST(VIRTIO_IOMMU_ARM_GRAN_4K, 1 << 0);
	CONST(VIRTIO_IOMMU_ARM_GRAN_16K, 1 << 1);
	CONST(VIRTIO_IOMMU_ARM_GRAN_64K, 1 << 2);
	CONST(VIRTIO_IOMMU_ARM_F_RIL, 1 << 0);
	CONST(VIRTIO_IOMMU_ARM_F_HA, 1 << 1);
	CONST(VIRTIO_IOMMU_ARM_F_HD, 1 << 2);
	CONST(VIRTIO_IOMMU_ARM_F_STALL, 1 << 3);
	CONST(VIRTIO_IOMMU_ARM_F_STALL_FORCE, 1 << 4);
	CONST(VIRTIO_IOMMU_ARM_F_TT_LE, 1 << 5);
	CONST(VIRTIO_IOMMU_ARM_F_TT_BE, 1 << 6);
	CONST(VIRTIO_IOMMU_ARM_F_ATS, 1 << 7);
	CONST(VIRTIO_IOMMU_ARM_F_MASK, 0xff);

	/* Section 9, ATTACH_TABLE */
	CONST(VIRTIO_IOMMU_ATTACH_TABLE_F_MASK, 0);
	CONST(VIRTIO_IOMMU_ARM_S1FMT_LINEAR, 0);
	CONST(VIRTIO_IOMMU_ARM_S1FMT_2L_4K, 1);
	CONST(VIRTIO_IOMMU_ARM_S1FMT_2L_64K, 2);
	CONST(VIRTIO_IOMMU_ARM_S1DSS_TERMINATE, 0);
	CONST(VIRTIO_IOMMU_ARM_S1DSS_BYPASS, 1);
	CONST(VIRTIO_IOMMU_ARM_S1DSS_SSID0, 2);
	/* cd_formats bit n stands for S1Fmt value n */
	CONST(VIRTIO_IOMMU_ARM_CDTAB_LINEAR, 1 << VIRTIO_IOMMU_ARM_S1FMT_LINEAR);
	CONST(VIRTIO_IOMMU_ARM_CDTAB_2L_4K, 1 << VIRTIO_IOMMU_ARM_S1FMT_2L_4K);
	CONST(VIRTIO_IOMMU_ARM_CDTAB_2L_64K, 1 << VIRTIO_IOMMU_ARM_S1FMT_2L_64K);

	/* Section 13, INVALIDATE */
	CONST(VIRTIO_IOMMU_INV_S_DOMAIN, 1);
	CONST(VIRTIO_IOMMU_INV_S_ASID, 2);
	CONST(VIRTIO_IOMMU_INV_S_VA, 3);
	CONST(VIRTIO_IOMMU_INV_S_CD, 4);
	CONST(VIRTIO_IOMMU_INV_S_CD_ALL, 5);
	CONST(VIRTIO_IOMMU_INV_S_ATC, 6);
	CONST(VIRTIO_IOMMU_INV_F_LEAF, 1 << 0);
	CONST(VIRTIO_IOMMU_INV_F_SSID, 1 << 1);
	CONST(VIRTIO_IOMMU_INV_F_MASK, 0x3);
	CONST(VIRTIO_IOMMU_INV_MAX_ENTRIES, 256);

	/* The standard values this extension builds on (section 5.13) */
	CONST(VIRTIO_IOMMU_F_MAP_UNMAP, 2);
	CONST(VIRTIO_IOMMU_F_PROBE, 4);
	CONST(VIRTIO_IOMMU_F_BYPASS_CONFIG, 6);
	CONST(VIRTIO_IOMMU_T_ATTACH, 1);
	CONST(VIRTIO_IOMMU_T_DETACH, 2);
	CONST(VIRTIO_IOMMU_T_MAP, 3);
	CONST(VIRTIO_IOMMU_T_UNMAP, 4);
	CONST(VIRTIO_IOMMU_T_PROBE, 5);
	CONST(VIRTIO_IOMMU_S_OK, 0);
	CONST(VIRTIO_IOMMU_S_UNSUPP, 2);
	CONST(VIRTIO_IOMMU_S_DEVERR, 3);
	CONST(VIRTIO_IOMMU_S_INVAL, 4);
	CONST(VIRTIO_IOMMU_S_RANGE, 5);
	CONST(VIRTIO_IOMMU_S_NOENT, 6);
	CONST(VIRTIO_IOMMU_S_NOMEM, 8);
	CONST(VIRTIO_IOMMU_PROBE_T_RESV_MEM, 1);
	CONST(VIRTIO_IOMMU_RESV_MEM_T_RESERVED, 0);
	CONST(VIRTIO_IOMMU_RESV_MEM_T_MSI, 1);
	CONST(VIRTIO_IOMMU_FAULT_R_UNKNOWN, 0);
	CONST(VIRTIO_IOMMU_FAULT_R_MAPPING, 2);
	CONST(VIRTIO_IOMMU_FAULT_F_READ, 1 << 0);
	CONST(VIRTIO_IOMMU_FAULT_F_WRITE, 1 << 1);
	CONST(VIRTIO_IOMMU_FAULT_F_EXEC, 1 << 2);
	CONST(VIRTIO_IOMMU_FAULT_F_ADDRESS, 1 << 8);
	CONST(sizeof(struct virtio_iommu_req_head), 4);
	CONST(sizeof(struct virtio_iommu_req_tail), 4);
	CONST(sizeof(struct virtio_iommu_probe_property), 4);
}

int main(void)
{
	unsigned int i, failed = 0;

	check_layouts();
	check_derived();
	check_constants();

	printf("1..%u\n", nr_checks);
	for (i = 0; i < nr_checks; i++) {
		const struct check *c = &checks[i];

		if (c->got == c->want) {
			printf("ok %u - %s == %llu\n", i + 1, c->name, c->want);
		} else {
			printf("not ok %u - %s: got %llu, expected %llu\n",
			       i + 1, c->name, c->got, c->want);
			failed++;
		}
	}
	if (failed)
		printf("# %u of %u checks failed\n", failed, nr_checks);
	return failed ? 1 : 0;
}
