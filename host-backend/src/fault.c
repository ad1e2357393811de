// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fault event encoding.
 */
#include <string.h>

#include "pvb/fault.h"

#include "bits.h"

void pvb_fault_to_virtio(const struct pvb_fault *fault, uint32_t endpoint,
			 struct virtio_iommu_fault *evt)
{
	uint32_t ssid = 0;

	memset(evt, 0, sizeof(*evt));
	evt->reason = fault->reason;
	evt->flags = cpu_to_le32(fault->flags);
	evt->endpoint = cpu_to_le32(endpoint);
	if (fault->flags & VIRTIO_IOMMU_FAULT_F_ADDRESS)
		evt->address = cpu_to_le64(fault->address);
	/* The nested extension stores the SSID in reserved2 (offset 12) */
	if (fault->flags & VIRTIO_IOMMU_FAULT_F_SSID)
		ssid = cpu_to_le32(fault->ssid);
	memcpy(evt->reserved2, &ssid, sizeof(ssid));
}
