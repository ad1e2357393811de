// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Host SMMUv3 event records (IHI 0070 7.3), as a vEVENTQ delivers them, to
 * virtio-iommu fault records.
 */
#include <string.h>

#include "pvb/smmu.h"

#include "arm_smmu_v3.h"
#include "bits.h"

/* F_TRANSLATION, F_ADDR_SIZE, F_ACCESS, F_PERMISSION (IHI 0070 7.3) */
static bool event_is_translation(unsigned int id)
{
	return id >= EVT_ID_TRANSLATION && id <= EVT_ID_PERMISSION;
}

/* A stage-2 fault while stage 1 fetched a CD or a table, or used an IPA */
static uint8_t s2_reason(uint64_t w1)
{
	switch (FIELD_GET(EVTQ_1_CLASS, w1)) {
	case EVTQ_1_CLASS_CD:
		return VIRTIO_IOMMU_FAULT_R_S1_CD_FETCH;
	case EVTQ_1_CLASS_TT:
		return VIRTIO_IOMMU_FAULT_R_S1_WALK_EABT;
	default:
		return VIRTIO_IOMMU_FAULT_R_UNKNOWN;
	}
}

static uint8_t event_reason(unsigned int id, uint64_t w1)
{
	if (event_is_translation(id) && (w1 & EVTQ_1_S2))
		return s2_reason(w1);
	switch (id) {
	case EVT_ID_TRANSLATION:
		return VIRTIO_IOMMU_FAULT_R_S1_TRANSLATION;
	case EVT_ID_ADDR_SIZE:
		return VIRTIO_IOMMU_FAULT_R_S1_ADDR_SIZE;
	case EVT_ID_ACCESS:
		return VIRTIO_IOMMU_FAULT_R_S1_ACCESS;
	case EVT_ID_PERMISSION:
		return VIRTIO_IOMMU_FAULT_R_S1_PERMISSION;
	case EVT_ID_WALK_EABT:
		return VIRTIO_IOMMU_FAULT_R_S1_WALK_EABT;
	case EVT_ID_CD_FETCH:
		return VIRTIO_IOMMU_FAULT_R_S1_CD_FETCH;
	/* Section 14 and 18.3: S1DSS refusing the traffic is S1_BAD_CD too */
	case EVT_ID_BAD_CD:
	case EVT_ID_BAD_SUBSTREAMID:
	case EVT_ID_STREAM_DISABLED:
		return VIRTIO_IOMMU_FAULT_R_S1_BAD_CD;
	default:
		return VIRTIO_IOMMU_FAULT_R_UNKNOWN;
	}
}

int pvb_smmu_decode_event(const uint64_t evt[4], struct pvb_fault *fault)
{
	uint64_t w0 = le64_to_cpu(evt[0]), w1 = le64_to_cpu(evt[1]);
	unsigned int id = FIELD_GET(EVTQ_0_ID, w0);

	memset(fault, 0, sizeof(*fault));
	fault->level = -1;
	fault->record = true;
	fault->reason = event_reason(id, w1);
	fault->sid = FIELD_GET(EVTQ_0_SID, w0);
	if (w0 & EVTQ_0_SSV) {
		fault->flags |= VIRTIO_IOMMU_FAULT_F_SSID;
		fault->ssid = FIELD_GET(EVTQ_0_SSID, w0);
	}
	/* Those events record InputAddr, RnW and InD */
	if (id == EVT_ID_WALK_EABT || event_is_translation(id)) {
		fault->flags |= VIRTIO_IOMMU_FAULT_F_ADDRESS;
		fault->address = FIELD_GET(EVTQ_2_ADDR, le64_to_cpu(evt[2]));
		fault->flags |= (w1 & EVTQ_1_RnW) ? VIRTIO_IOMMU_FAULT_F_READ :
						    VIRTIO_IOMMU_FAULT_F_WRITE;
		if (w1 & EVTQ_1_InD)
			fault->flags |= VIRTIO_IOMMU_FAULT_F_EXEC;
	}
	if (id == EVT_ID_CD_FETCH || id == EVT_ID_WALK_EABT)
		fault->fetch_addr = le64_to_cpu(evt[3]) & EVTQ_3_FETCH_ADDR;
	return id;
}
