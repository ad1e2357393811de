/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fault records produced by the software walker and by the decoder of host
 * SMMUv3 events, in the vocabulary of the virtio-iommu fault event.
 */
#ifndef PVB_FAULT_H
#define PVB_FAULT_H

#include <stdbool.h>
#include <stdint.h>

#include "virtio_iommu_nested.h"

/*
 * Access types of a transaction and permissions of a translation. The
 * values equal VIRTIO_IOMMU_FAULT_F_READ/WRITE/EXEC so that an access can be
 * reported in a fault as is.
 */
#define PVB_ACCESS_READ	 VIRTIO_IOMMU_FAULT_F_READ
#define PVB_ACCESS_WRITE VIRTIO_IOMMU_FAULT_F_WRITE
#define PVB_ACCESS_EXEC	 VIRTIO_IOMMU_FAULT_F_EXEC /* instruction fetch */
#define PVB_ACCESS_MASK	 (PVB_ACCESS_READ | PVB_ACCESS_WRITE | PVB_ACCESS_EXEC)

/**
 * struct pvb_fault - a translation fault
 * @reason: VIRTIO_IOMMU_FAULT_R_*, most often one of the stage-1 reasons
 *	    VIRTIO_IOMMU_FAULT_R_S1_* of the nested extension
 * @level: translation table level of a walk fault, -1 otherwise
 * @record: false when the context descriptor asked not to record this
 *	    fault (CD.R == 0); the device then sends no fault event
 * @flags: VIRTIO_IOMMU_FAULT_F_READ/WRITE/EXEC (the access),
 *	   VIRTIO_IOMMU_FAULT_F_ADDRESS (@address is valid) and
 *	   VIRTIO_IOMMU_FAULT_F_SSID (@ssid is valid)
 * @ssid: SubstreamID (PASID) of the transaction
 * @sid: StreamID, set by pvb_smmu_decode_event() only
 * @address: input address (IOVA) of the transaction
 * @fetch_addr: guest address of the structure whose read failed
 *	       (CD_FETCH, WALK_EABT), 0 otherwise; for tracing
 */
struct pvb_fault {
	uint8_t reason;
	int8_t level;
	bool record;
	uint32_t flags;
	uint32_t ssid;
	uint32_t sid;
	uint64_t address;
	uint64_t fetch_addr;
};

/**
 * pvb_fault_to_virtio() - encode a fault event for the eventq
 * @fault: the fault
 * @endpoint: the endpoint ID that issued the transaction
 * @evt: the little-endian event; the SSID goes in the four bytes the
 *	 standard header names reserved2 when VIRTIO_IOMMU_FAULT_F_SSID is set,
 *	 as the nested extension defines, all other reserved bytes are zero
 */
void pvb_fault_to_virtio(const struct pvb_fault *fault, uint32_t endpoint,
			 struct virtio_iommu_fault *evt);

#endif /* PVB_FAULT_H */
