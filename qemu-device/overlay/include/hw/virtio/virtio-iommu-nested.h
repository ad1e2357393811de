/*
 * virtio-iommu nested extension: guest-owned Arm SMMUv3 stage-1 tables
 *
 * Copyright (c) 2026 The pv-iommu authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The device side of VIRTIO_IOMMU_F_NESTED (ATTACH_TABLE, INVALIDATE, the
 * TABLE_FORMAT probe property and stage-1 faults), as specified by the
 * pv-iommu project's spec/virtio-iommu-nested.md. virtio-iommu.c calls
 * these hooks; the table walk, the IOTLB and the request decoders are
 * libpvb's (hw/virtio/pvb). Every hook except the QOM ones is called with
 * VirtIOIOMMU.mutex held.
 */

#ifndef HW_VIRTIO_IOMMU_NESTED_H
#define HW_VIRTIO_IOMMU_NESTED_H

#include "hw/virtio/virtio-iommu.h"
#include "migration/vmstate.h"

/*
 * The extension's wire format, spec/virtio_iommu_nested.h, on top of
 * QEMU's copy of the standard header (included by virtio-iommu.h).
 */
#include <linux/types.h>
#define VIRTIO_IOMMU_NESTED_NO_STD_INCLUDE
#include "virtio_iommu_nested.h"

/* Device state of the extension, VirtIOIOMMU.nst */
typedef struct VirtIOIOMMUNested VirtIOIOMMUNested;
/* Table configuration of a table domain, VirtIOIOMMUDomain.nested */
typedef struct VirtIOIOMMUNestedDomain VirtIOIOMMUNestedDomain;

/* QOM life cycle: the "stats" property, the state behind VirtIOIOMMU.nst */
void virtio_iommu_nested_instance_init(VirtIOIOMMU *s);
void virtio_iommu_nested_instance_finalize(VirtIOIOMMU *s);

/* Offer VIRTIO_IOMMU_F_NESTED according to the "nested" property */
bool virtio_iommu_nested_realize(VirtIOIOMMU *s, Error **errp);
void virtio_iommu_nested_unrealize(VirtIOIOMMU *s);
/* Device reset: every table domain is gone, drop all cached state */
void virtio_iommu_nested_reset(VirtIOIOMMU *s);

/* Counters: one queue notification, one request of type @type */
void virtio_iommu_nested_count_kick(VirtIOIOMMU *s);
void virtio_iommu_nested_count_request(VirtIOIOMMU *s, uint8_t type);
void virtio_iommu_nested_count_translate(VirtIOIOMMU *s);

/*
 * ATTACH_TABLE and INVALIDATE, once VIRTIO_IOMMU_F_NESTED is negotiated.
 * @iov holds the device-readable part of the request. Returns the status.
 */
int virtio_iommu_nested_handle_request(VirtIOIOMMU *s, uint8_t type,
                                       struct iovec *iov,
                                       unsigned int iov_cnt);

/* Append the TABLE_FORMAT property of endpoint @ep_id to a PROBE reply */
/* Before PROBE fills the RESV_MEM properties: adjust sdev->resv_regions */
void virtio_iommu_nested_probe_resv(VirtIOIOMMU *s, IOMMUDevice *sdev);
ssize_t virtio_iommu_nested_fill_probe(VirtIOIOMMU *s, IOMMUDevice *sdev,
                                       uint32_t ep_id, uint8_t *buf,
                                       size_t free);

/* @ep is leaving its table domain */
void virtio_iommu_nested_detach_endpoint(VirtIOIOMMUEndpoint *ep);
/* @domain ceases to exist: forget its configuration and cached state */
void virtio_iommu_nested_domain_free(VirtIOIOMMUDomain *domain);

/*
 * The memory core translates a faulting DMA access again for each piece
 * (1 to 8 bytes) it splits it into: true if @fault continues the access
 * reported last and must not be reported again.
 */
bool virtio_iommu_nested_fault_merge(VirtIOIOMMU *s,
                                     const struct virtio_iommu_fault *fault);

/* Translate an access of @ep, attached to a table domain */
IOMMUTLBEntry virtio_iommu_nested_translate(VirtIOIOMMU *s,
                                            VirtIOIOMMUEndpoint *ep,
                                            hwaddr addr,
                                            IOMMUAccessFlags flag);

/* Migration subsection of the virtio-iommu-device state */
/*
 * VFIO endpoints on iommufd in MAP/UNMAP domains, mapped through libpvb's
 * pin cache instead of QEMU's vfio IOMMU notifier. Caller holds the device
 * mutex. owns_mr: whether notifications for @mr must be skipped (libpvb
 * maps the endpoint, or it is nested on the host). map returns a
 * VIRTIO_IOMMU_S_* status and changes nothing on failure.
 */
void virtio_iommu_nested_host_attach_ep(VirtIOIOMMU *s,
                                        VirtIOIOMMUEndpoint *ep);
void virtio_iommu_nested_host_detach_ep(VirtIOIOMMUEndpoint *ep);
bool virtio_iommu_nested_host_owns_mr(IOMMUMemoryRegion *mr);
int virtio_iommu_nested_host_map(VirtIOIOMMU *s, VirtIOIOMMUDomain *d,
                                 uint64_t low, uint64_t high, uint64_t phys,
                                 uint32_t flags);
void virtio_iommu_nested_host_unmap(VirtIOIOMMU *s, VirtIOIOMMUDomain *d,
                                    uint64_t low, uint64_t high);

extern const VMStateDescription vmstate_virtio_iommu_nested;

#endif
