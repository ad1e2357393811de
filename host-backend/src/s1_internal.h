/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers shared by the stage-1 files.
 */
#ifndef PVB_S1_INTERNAL_H
#define PVB_S1_INTERNAL_H

#include <errno.h>

#include "pvb/s1.h"

/* Start a fault record for @txn: input address, access and SubstreamID */
static inline void pvb_fault_init(struct pvb_fault *fault,
				  const struct pvb_s1_txn *txn)
{
	*fault = (struct pvb_fault){
		.reason = VIRTIO_IOMMU_FAULT_R_UNKNOWN,
		.level = -1,
		.record = true,
		.flags = (txn->access & PVB_ACCESS_MASK) |
			 VIRTIO_IOMMU_FAULT_F_ADDRESS,
		.address = txn->iova,
	};
	if (txn->ssv) {
		fault->flags |= VIRTIO_IOMMU_FAULT_F_SSID;
		fault->ssid = txn->ssid;
	}
}

/* Fail with @reason; returns -EFAULT for tail calls */
static inline int pvb_fault_set(struct pvb_fault *fault, uint8_t reason)
{
	fault->reason = reason;
	return -EFAULT;
}

#endif /* PVB_S1_INTERNAL_H */
