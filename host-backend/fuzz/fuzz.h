/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared by the fuzz targets and the seed generator: input layouts, the
 * capability variants a target can select, and guest memory made of the
 * fuzz input (RAM at address 0, reads beyond it fail).
 */
#ifndef PVB_FUZZ_H
#define PVB_FUZZ_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pvb/pvb.h"

/* Reports a broken invariant: the fuzzer records a crash */
#define FUZZ_ASSERT(cond)                 \
	do {                              \
		if (!(cond)) {            \
			__builtin_trap(); \
		}                         \
	} while (0)

/* fuzz_cd input: this header, then the guest memory image */
struct fuzz_cd_hdr {
	uint32_t ssid;
	uint32_t s1contextptr;
	uint8_t s1fmt;
	uint8_t s1cdmax;
	uint8_t s1dss;
	uint8_t ssv;
	uint8_t caps_sel;
	uint8_t pad[3];
};

/* fuzz_walk input: this header, then the guest memory image */
struct fuzz_walk_hdr {
	uint64_t cd[8];
	uint64_t iova;
	uint8_t access;
	uint8_t caps_sel;
	uint8_t pad[6];
};

/* Capabilities a fuzz input selects with its caps_sel byte */
static inline void fuzz_caps(uint8_t sel, struct pvb_arm_caps *caps)
{
	/* QEMU's emulated SMMUv3 */
	static const uint32_t qemu_idr[6] = { 0x0d44101b, 0x02730010, 0,
					      0x00001514, 0,	      0x74 };

	switch (sel & 3) {
	case 0:
		pvb_arm_caps_sw(48, caps);
		break;
	case 1:
		pvb_arm_caps_sw(52, caps);
		caps->ias = 52;
		break;
	case 2:
		pvb_arm_caps_sw(40, caps);
		caps->asid_bits = 8;
		caps->ssid_bits = 8;
		caps->granules = VIRTIO_IOMMU_ARM_GRAN_4K;
		caps->flags &= ~VIRTIO_IOMMU_ARM_F_RIL;
		break;
	default:
		pvb_smmu_caps_from_idr(qemu_idr, 44, true, caps);
		break;
	}
}

struct fuzz_mem {
	const uint8_t *img;
	size_t size;
	unsigned long reads;
};

static inline int fuzz_read(void *opaque, uint64_t gpa, void *buf, size_t len)
{
	struct fuzz_mem *m = opaque;

	m->reads++;
	if (gpa > m->size || len > m->size - gpa)
		return -1;
	memcpy(buf, m->img + gpa, len);
	return 0;
}

#endif /* PVB_FUZZ_H */
