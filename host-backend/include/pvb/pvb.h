/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libpvb: the pure-C core of the paravirtual nested IOMMU host backend.
 *
 *  pvb/mem.h      guest memory read callback
 *  pvb/caps.h     Arm SMMUv3 table format capabilities, PROBE property
 *  pvb/fault.h    fault records, virtio fault event encoding
 *  pvb/req.h      ATTACH_TABLE / INVALIDATE decoding and validation
 *  pvb/s1.h       software stage-1 walker (CD tables, VMSAv8-64 tables)
 *  pvb/iotlb.h    IOTLB
 *  pvb/cd_cache.h decoded CD cache
 *  pvb/smmu.h     host SMMUv3 codec: vSTE, commands, IDR, events
 *  pvb/pin.h      pin cache of the MAP/UNMAP fallback
 *
 * Conventions: every public symbol starts with pvb_; functions that can
 * fail return 0 or a negative errno (decoders return a virtio status);
 * nothing is thread-safe, the caller serialises each object. The API is not
 * stable yet: it is compiled into the project's QEMU, not installed.
 */
#ifndef PVB_PVB_H
#define PVB_PVB_H

#include "caps.h"
#include "cd_cache.h"
#include "fault.h"
#include "iotlb.h"
#include "mem.h"
#include "pin.h"
#include "req.h"
#include "s1.h"
#include "smmu.h"

#endif /* PVB_PVB_H */
