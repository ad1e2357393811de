/*
 * virtio-iommu nested extension: guest-owned Arm SMMUv3 stage-1 tables
 *
 * Copyright (c) 2026 The pv-iommu authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * With VIRTIO_IOMMU_F_NESTED the driver keeps Arm SMMUv3 context
 * descriptors (CDs) and VMSAv8-64 stage-1 tables in guest memory, attaches
 * endpoints to a table domain with ATTACH_TABLE and invalidates the
 * device's caches with INVALIDATE (spec/virtio-iommu-nested.md of the
 * pv-iommu project; the statement IDs NEST-DEV-nn below refer to it).
 *
 * Emulated endpoints are translated here, in software: translate() looks
 * the IOTLB up and, on a miss, fetches the CD and walks the guest's tables
 * through libpvb, reading guest RAM only. Endpoints backed by a host IOMMU
 * device (VFIO) on iommufd with a host Arm SMMUv3 are nested on the host
 * SMMU through libpvb's iommufd backend ("VFIO endpoints on iommufd"
 * below); other VFIO endpoints report no TABLE_FORMAT and keep MAP/UNMAP.
 *
 * Locking: the request handlers and translate() run with VirtIOIOMMU.mutex
 * held, which serialises every access to the IOTLB, the CD cache and the
 * domains; translate() may run on any vCPU thread.
 */

#include "qemu/osdep.h"
#include "qemu/error-report.h"
#include "qemu/iov.h"
#include "qemu/log.h"
#include "qemu/rcu.h"
#include "qapi/error.h"
#include "qapi/visitor.h"
#include "qom/object.h"
#include "system/address-spaces.h"
#include "system/dma.h"
#include "system/memory.h"
#include "system/host_iommu_device.h"
#include "system/iommufd.h"
#include "qemu/main-loop.h"
#include "hw/boards.h"
#include "hw/virtio/virtio.h"
#include "hw/virtio/virtio-iommu-nested.h"
#include "trace.h"

#include "pvb/pvb.h"
#include "pvb/iommufd.h"

#include "qemu/reserved-region.h"

#include <sys/resource.h>

/* Capacity of the IOTLB and of the CD cache, shared by all table domains */
#define NESTED_IOTLB_ENTRIES    4096
#define NESTED_CD_CACHE_ENTRIES 256

#define ATTACH_TABLE_LEN offsetof(struct virtio_iommu_req_attach_table, tail)
#define INVALIDATE_HDR_LEN offsetof(struct virtio_iommu_req_invalidate, entries)
#define INVALIDATE_MAX_LEN (INVALIDATE_HDR_LEN + \
                            VIRTIO_IOMMU_INV_MAX_ENTRIES * \
                            sizeof(struct virtio_iommu_inv_entry))

/* Above this many VA ranges, an INVALIDATE notifies the whole space */
#define NESTED_NOTIFY_MAX_RANGES 16

/* Size of the Arm SMMUv3 table configuration, compared byte for byte */
#define NESTED_DESC_LEN \
    sizeof(((struct virtio_iommu_req_attach_table *)0)->desc)

typedef struct VirtIOIOMMUNestedStats {
    uint64_t kicks;
    uint64_t requests[VIRTIO_IOMMU_T_INVALIDATE + 1]; /* [0]: unknown type */
    uint64_t translations;
    uint64_t s1_translations;
    uint64_t faults;
    uint64_t faults_dropped;
    uint64_t faults_unrecorded;
    uint64_t faults_merged;
    uint64_t inv_entries;
    uint64_t inv_malformed;
    uint64_t unmap_notifications;
    uint64_t host_attach;
    uint64_t host_events;
    uint64_t host_events_lost;
    uint64_t host_inv_failures;
    uint64_t host_map_attach;
    uint64_t host_map_fallbacks;
    uint64_t host_maps;
    uint64_t host_map_failures;
    uint64_t host_unmaps;
} VirtIOIOMMUNestedStats;

/* VFIO endpoints: an iommufd context, an endpoint's nesting objects */
typedef struct VirtIOIOMMUNestedHost VirtIOIOMMUNestedHost;
typedef struct VirtIOIOMMUNestedHostDev VirtIOIOMMUNestedHostDev;
typedef struct NestedMapDom NestedMapDom;

/* A table domain's configuration as it migrates */
typedef struct VirtIOIOMMUNestedMig {
    uint32_t domain;
    uint16_t format;
    uint8_t desc[NESTED_DESC_LEN];
} VirtIOIOMMUNestedMig;

/*
 * x-driver-quirks: a testing property, off by default, that makes the device
 * send what a driver must tolerate, to test driver statements of the spec
 * (tests/guest/scenarios, suites drv-quirk-*). Some quirks make the device
 * break one of its own rules on purpose; never use them otherwise.
 *  PROBE_UNKNOWN: the TABLE_FORMAT property has a format no driver knows
 *                 (NEST-DRV-06: the driver ignores it, so uses MAP/UNMAP)
 *  PROBE_SHORT:   the Arm SMMUv3 property is 24 bytes, not 28 (NEST-DRV-07)
 *  PROBE_NOISE:   its reserved fields and undefined bits of cd_formats,
 *                 granules and flags are set, and 8 bytes follow the first
 *                 32 (NEST-DRV-08: the driver nests as without them)
 *  FAULT_NOISE:   every stage-1 fault report has undefined flags set and
 *                 bytes 12 to 15 non-zero without FAULT_F_SSID (NEST-DRV-27,
 *                 STD-DRV-16, STD-DRV-17), and is followed by a copy at
 *                 another address with its reserved field not zero, which
 *                 the driver must ignore (STD-DRV-15)
 */
#define NESTED_QUIRK_PROBE_UNKNOWN  (1u << 0)
#define NESTED_QUIRK_PROBE_SHORT    (1u << 1)
#define NESTED_QUIRK_PROBE_NOISE    (1u << 2)
#define NESTED_QUIRK_FAULT_NOISE    (1u << 3)
#define NESTED_QUIRK_NOISE_FLAGS    0x80000100u
#define NESTED_QUIRK_BOGUS_OFFSET   0x40000000u

struct VirtIOIOMMUNested {
    VirtIOIOMMU *s;
    bool realized;
    bool offered;
    /* TABLE_FORMAT of emulated endpoints (software walker) */
    struct pvb_arm_caps sw_caps;
    struct pvb_iotlb *iotlb;
    struct pvb_cd_cache *cd_cache;
    uint32_t nr_table_domains;
    VirtIOIOMMUNestedStats stats;
    /* The last fault report, to merge the pieces of one access */
    struct virtio_iommu_fault last_fault;
    bool last_fault_valid;
    /* INVALIDATE scratch buffers, used with the device mutex held */
    uint8_t inv_buf[INVALIDATE_MAX_LEN];
    struct pvb_invalidate inv;
    /* Migration */
    uint8_t mig_prop[sizeof(struct virtio_iommu_probe_table_arm_smmuv3)];
    int32_t mig_nr;
    VirtIOIOMMUNestedMig *mig;
    /* VFIO endpoints: contexts, and endpoint ID -> VirtIOIOMMUNestedHostDev */
    QLIST_HEAD(, VirtIOIOMMUNestedHost) hosts;
    GHashTable *host_devs;
    /* libpvb MAP/UNMAP domains of VFIO endpoints (lazy pinning) */
    QLIST_HEAD(, NestedMapDom) map_doms;
    /* VFIO devices whose host MSI window is in their reserved regions */
    GHashTable *msi_windows;
    /* x-driver-quirks: NESTED_QUIRK_* (testing the driver only) */
    uint32_t quirks;
};

struct VirtIOIOMMUNestedDomain {
    VirtIOIOMMU *s;
    uint16_t format;
    uint8_t desc[NESTED_DESC_LEN];
    struct pvb_s1_ctx ctx;
};

/* Guest memory: RAM of the system address space, never a device */

/* Whether [@gpa, @gpa + @len) is entirely guest RAM (or ROM) */
static bool nested_gpa_is_ram(uint64_t gpa, uint64_t len)
{
    if (!len || gpa + len - 1 < gpa) {
        return false;
    }
    RCU_READ_LOCK_GUARD();
    while (len) {
        hwaddr xlat, l = len;
        MemoryRegion *mr;

        mr = address_space_translate(&address_space_memory, gpa, &xlat, &l,
                                     false, MEMTXATTRS_UNSPECIFIED);
        if (!memory_region_is_ram(mr) || memory_region_is_ram_device(mr) ||
            !l) {
            return false;
        }
        gpa += l;
        len -= l;
    }
    return true;
}

/*
 * libpvb's read callback: an address that is not RAM (MMIO, unassigned)
 * fails, which the walker reports as CD_FETCH or WALK_EABT, so a hostile
 * table can never make the device access another device.
 */
static int nested_mem_read(void *opaque, uint64_t gpa, void *buf, size_t len)
{
    if (!nested_gpa_is_ram(gpa, len)) {
        return -EFAULT;
    }
    if (address_space_read(&address_space_memory, gpa, MEMTXATTRS_UNSPECIFIED,
                           buf, len) != MEMTX_OK) {
        return -EIO;
    }
    return 0;
}

static bool nested_ram_top_cb(Int128 start, Int128 len,
                              const MemoryRegion *mr, hwaddr offset,
                              void *opaque)
{
    uint64_t *top = opaque;
    MemoryRegion *m = (MemoryRegion *)mr;

    if (memory_region_is_ram(m) && !memory_region_is_ram_device(m)) {
        *top = MAX(*top, int128_get64(int128_add(start, len)) - 1);
    }
    return false;
}

/*
 * Stage-1 output size: the smallest SMMUv3 size that covers guest RAM,
 * including the hotpluggable device memory region (NEST-DEV-19). Fixed at
 * realize, so that TABLE_FORMAT never changes (NEST-DEV-17).
 */
static uint8_t nested_default_oas(void)
{
    static const uint8_t sizes[] = { 32, 36, 40, 42, 44, 48, 52 };
    MachineState *ms = MACHINE(qdev_get_machine());
    uint64_t top = 0;
    int i;

    WITH_RCU_READ_LOCK_GUARD() {
        FlatView *fv = address_space_to_flatview(&address_space_memory);

        flatview_for_each_range(fv, nested_ram_top_cb, &top);
    }
    if (ms->device_memory) {
        top = MAX(top, ms->device_memory->base +
                  memory_region_size(&ms->device_memory->mr) - 1);
    }
    for (i = 0; i < ARRAY_SIZE(sizes) - 1; i++) {
        if (top < BIT_ULL(sizes[i])) {
            break;
        }
    }
    return sizes[i];
}

/*
 * VFIO endpoints on iommufd (spec section 18)
 *
 * An endpoint backed by a HostIOMMUDeviceIOMMUFD whose host IOMMU is an
 * Arm SMMUv3 reports the TABLE_FORMAT property that the host SMMU supports
 * (pvb_smmu_caps_from_idr() on the IDRs QEMU's vfio already read with
 * IOMMU_GET_HW_INFO). Its table domains are not walked here: libpvb's
 * iommufd backend installs the guest's table as a nested HWPT on the host
 * SMMU, and INVALIDATE and the vEVENTQ go through the vIOMMU.
 *
 * One libpvb context (VirtIOIOMMUNestedHost) per IOMMUFDBackend object,
 * on the backend's /dev/iommu fd: the dev_ids of QEMU's vfio devices are
 * valid in it. libpvb keeps its own guest RAM IOAS (the stage 2 of the
 * nest parent), filled by a memory listener on the system address space;
 * the vfio container's IOAS is left to QEMU's vfio code.
 *
 * The device is attached through the HostIOMMUDeviceIOMMUFD class, that is
 * through vfio's own VFIO_DEVICE_ATTACH_IOMMUFD_PT (which replaces). When
 * the endpoint leaves its table domain for anything but another table
 * domain, libpvb's "detach" puts it back on its vfio container's HWPT
 * (HostIOMMUDeviceIOMMUFD.hwpt_id), whose content QEMU's vfio code keeps as
 * the standard device prescribes: guest RAM in bypass, the MAP/UNMAP
 * mappings of a mapped domain, nothing (DMA blocked) otherwise.
 */

/*
 * vEVENTQ depth: QEMU's emulated SMMU, for one, reports a faulting DMA of
 * N bytes as N / 4 events; overflows are counted and reported as lost.
 */
#define NESTED_VEVENTQ_DEPTH 512
#define NESTED_EVENTS_BATCH 16

struct VirtIOIOMMUNestedHost {
    VirtIOIOMMU *s;
    IOMMUFDBackend *be;
    struct pvb_iommufd *ctx;
    MemoryListener listener;
    bool listening;
    int veventq_fd;
    QLIST_ENTRY(VirtIOIOMMUNestedHost) next;
};

struct VirtIOIOMMUNestedHostDev {
    VirtIOIOMMUNestedHost *host;
    HostIOMMUDeviceIOMMUFD *idev;
    PCIBus *bus;
    int devfn;
    uint32_t ep_id;
    struct pvb_arm_caps caps;
    struct pvb_iommufd_dev *dev;
    bool nested;    /* attached to a nested HWPT of libpvb */
    NestedMapDom *mapdom; /* or to this libpvb MAP/UNMAP domain */
    bool moving;    /* between two table domains: stay nested */
    bool gone;      /* the VFIO device was unplugged: touch nothing */
};

/* A MAP/UNMAP domain's IOAS in libpvb, for its VFIO endpoints of a context */
struct NestedMapDom {
    VirtIOIOMMUDomain *d;
    VirtIOIOMMUNestedHost *h;
    struct pvb_iommufd_domain *dom;
    unsigned int nr_eps;
    QLIST_ENTRY(NestedMapDom) next;
};

static void nested_report_fault(VirtIOIOMMU *s, uint32_t ep_id,
                                const struct pvb_fault *fault);
static void nested_map_dom_free(NestedMapDom *md);
static VirtIOIOMMUNestedHostDev *
nested_host_dev_get(VirtIOIOMMU *s, IOMMUDevice *sdev,
                    HostIOMMUDeviceIOMMUFD *idev, uint32_t ep_id, int *err);
static void nested_map_dom_free_all(VirtIOIOMMU *s);

/*
 * Whether endpoint @ep_id is a VFIO endpoint on a nested HWPT: translate()
 * and IOMMU notifiers have nothing to do with it (vfio's container IOAS
 * holds no mapping of a table domain, and must not get UNMAP calls for it).
 */
static bool nested_host_ep_nested(VirtIOIOMMU *s, uint32_t ep_id)
{
    VirtIOIOMMUNestedHostDev *hd;

    hd = g_hash_table_lookup(s->nst->host_devs, GUINT_TO_POINTER(ep_id));
    return hd && hd->nested;
}

/* The iommufd host IOMMU device of @sdev, whatever its host IOMMU */
static HostIOMMUDeviceIOMMUFD *nested_map_idev(VirtIOIOMMU *s,
                                               IOMMUDevice *sdev)
{
#ifdef CONFIG_LINUX
    HostIOMMUDevice *hiod;

    hiod = virtio_iommu_get_host_iommu_device(s, sdev->bus, sdev->devfn);
    if (!hiod ||
        !object_dynamic_cast(OBJECT(hiod), TYPE_HOST_IOMMU_DEVICE_IOMMUFD)) {
        return NULL;
    }
    return HOST_IOMMU_DEVICE_IOMMUFD(hiod);
#else
    return NULL;
#endif
}

/* The iommufd host IOMMU device of @sdev if its host IOMMU is an SMMUv3 */
static HostIOMMUDeviceIOMMUFD *nested_host_idev(VirtIOIOMMU *s,
                                                IOMMUDevice *sdev)
{
    HostIOMMUDeviceIOMMUFD *idev = nested_map_idev(s, sdev);

    if (!idev ||
        HOST_IOMMU_DEVICE(idev)->caps.type != IOMMU_HW_INFO_TYPE_ARM_SMMUV3) {
        return NULL;
    }
    return idev;
}

/* PROBE: what the host SMMUv3 supports, with the guest's OAS */
static bool nested_host_caps(VirtIOIOMMU *s, HostIOMMUDeviceIOMMUFD *idev,
                             struct pvb_arm_caps *caps)
{
#ifdef CONFIG_LINUX
    const struct iommu_hw_info_arm_smmuv3 *info =
        &HOST_IOMMU_DEVICE(idev)->caps.vendor_caps.smmuv3;

    /* No ATS is described to the guest: QEMU 10.2 has no ATS for vfio */
    return !pvb_smmu_caps_from_idr(info->idr, s->nst->sw_caps.oas, false,
                                   caps);
#else
    return false;
#endif
}

/* libpvb's attach hooks: through vfio's own attach (VFIO cdev) */
static int nested_host_op_attach(const struct pvb_iommufd_sys *sys,
                                 void *opaque, uint32_t *pt_id)
{
    VirtIOIOMMUNestedHostDev *hd = opaque;
    HostIOMMUDeviceIOMMUFDClass *c;
    Error *err = NULL;

    if (hd->gone) {
        return -ENODEV;
    }
    c = HOST_IOMMU_DEVICE_IOMMUFD_GET_CLASS(hd->idev);
    if (!c->attach_hwpt(hd->idev, *pt_id, &err)) {
        error_report_err(err);
        return -EIO;
    }
    return 0;
}

/* "Detach" from libpvb's objects: back to the vfio container's HWPT */
static int nested_host_op_detach(const struct pvb_iommufd_sys *sys,
                                 void *opaque)
{
    VirtIOIOMMUNestedHostDev *hd = opaque;
    uint32_t hwpt_id;

    if (hd->gone) {
        return 0;
    }
    hwpt_id = hd->idev->hwpt_id;
    return nested_host_op_attach(sys, opaque, &hwpt_id);
}

static const struct pvb_iommufd_dev_ops nested_host_dev_ops = {
    .attach = nested_host_op_attach,
    .detach = nested_host_op_detach,
};

/* Guest RAM into libpvb's stage-2 IOAS, IOVA = GPA */
static bool nested_host_section(MemoryRegionSection *section, uint64_t *gpa,
                                uint64_t *size, void **hva)
{
    uint64_t start = section->offset_within_address_space;
    uint64_t end = start + int128_get64(section->size);
    uint64_t s0 = REAL_HOST_PAGE_ALIGN(start);
    uint64_t e0 = end & qemu_real_host_page_mask();

    if (!memory_region_is_ram(section->mr) ||
        memory_region_is_ram_device(section->mr) ||
        memory_region_is_rom(section->mr) || section->readonly ||
        s0 >= e0) {
        return false;
    }
    *gpa = s0;
    *size = e0 - s0;
    *hva = (uint8_t *)memory_region_get_ram_ptr(section->mr) +
           section->offset_within_region + (s0 - start);
    return true;
}

/* Guest RAM in (@map) or out of libpvb's stage-2 IOAS */
static void nested_host_region(MemoryListener *l, MemoryRegionSection *section,
                               bool map)
{
    VirtIOIOMMUNestedHost *h = container_of(l, VirtIOIOMMUNestedHost,
                                            listener);
    uint64_t gpa, size;
    void *hva;
    int ret;

    if (!nested_host_section(section, &gpa, &size, &hva)) {
        return;
    }
    qemu_rec_mutex_lock(&h->s->mutex);
    ret = map ? pvb_iommufd_ram_map(h->ctx, gpa, size, hva) :
                pvb_iommufd_ram_unmap(h->ctx, gpa, size);
    qemu_rec_mutex_unlock(&h->s->mutex);
    trace_virtio_iommu_nested_host_ram(map, gpa, size, ret);
    if (ret) {
        error_report("virtio-iommu: iommufd stage 2: cannot %s guest RAM "
                     "0x%" PRIx64 "+0x%" PRIx64 ": %s", map ? "map" : "unmap",
                     gpa, size, strerror(-ret));
    }
}

static void nested_host_region_add(MemoryListener *l,
                                   MemoryRegionSection *section)
{
    nested_host_region(l, section, true);
}

static void nested_host_region_del(MemoryListener *l,
                                   MemoryRegionSection *section)
{
    nested_host_region(l, section, false);
}

/* vEVENTQ: stage-1 faults of VFIO endpoints, with the virtual StreamID */
static void nested_host_veventq_read(void *opaque)
{
    VirtIOIOMMUNestedHost *h = opaque;
    VirtIOIOMMU *s = h->s;
    struct pvb_iommufd_event evs[NESTED_EVENTS_BATCH];
    uint32_t lost;
    int i, nr;

    qemu_rec_mutex_lock(&s->mutex);
    for (;;) {
        nr = pvb_iommufd_read_events(h->ctx, evs, ARRAY_SIZE(evs), &lost);
        if (nr <= 0) {
            break;
        }
        s->nst->stats.host_events += nr;
        s->nst->stats.host_events_lost += lost;
        for (i = 0; i < nr; i++) {
            /* Distinct host events are never pieces of one access */
            s->nst->last_fault_valid = false;
            trace_virtio_iommu_nested_host_event(evs[i].fault.sid,
                                                 evs[i].fault.address,
                                                 evs[i].fault.reason);
            nested_report_fault(s, evs[i].fault.sid, &evs[i].fault);
        }
    }
    qemu_rec_mutex_unlock(&s->mutex);
    if (nr < 0 && nr != -EAGAIN) {
        error_report_once("virtio-iommu: vEVENTQ read: %s", strerror(-nr));
    }
}

/*
 * What the pin cache may keep pinned in all: RLIMIT_MEMLOCK, which iommufd
 * charges, unless it does not apply (unlimited, or root, whose CAP_IPC_LOCK
 * exempts it); then the kernel alone says when pinning fails (NOMEM).
 */
static uint64_t nested_memlock_bytes(void)
{
    struct rlimit rl;

    if (geteuid() == 0 || getrlimit(RLIMIT_MEMLOCK, &rl) ||
        rl.rlim_cur == RLIM_INFINITY) {
        return UINT64_MAX;
    }
    return rl.rlim_cur;
}

static VirtIOIOMMUNestedHost *nested_host_get(VirtIOIOMMU *s,
                                              IOMMUFDBackend *be, int *err)
{
    VirtIOIOMMUNested *n = s->nst;
    VirtIOIOMMUNestedHost *h;
    struct pvb_iommufd_cfg cfg = {
        .iommufd = be->fd,
        .type = &pvb_iommufd_type_arm_smmuv3,
        .veventq_depth = NESTED_VEVENTQ_DEPTH,
        .pin = {
            .cache_bytes = s->pin_cache_size,
            .memlock_bytes = nested_memlock_bytes(),
        },
    };

    QLIST_FOREACH(h, &n->hosts, next) {
        if (h->be == be) {
            return h;
        }
    }
    h = g_new0(VirtIOIOMMUNestedHost, 1);
    *err = pvb_iommufd_new(&cfg, &h->ctx);
    if (*err) {
        g_free(h);
        return NULL;
    }
    h->s = s;
    h->be = be;
    object_ref(OBJECT(be));
    h->veventq_fd = -1;
    h->listener = (MemoryListener) {
        .name = "virtio-iommu-nested-s2",
        .region_add = nested_host_region_add,
        .region_del = nested_host_region_del,
    };
    QLIST_INSERT_HEAD(&n->hosts, h, next);
    /* Maps the guest RAM that exists now, then follows its changes */
    memory_listener_register(&h->listener, &address_space_memory);
    h->listening = true;
    return h;
}

static void nested_host_dev_free(gpointer data)
{
    VirtIOIOMMUNestedHostDev *hd = data;

    pvb_iommufd_dev_free(hd->dev);
    if (hd->mapdom && !--hd->mapdom->nr_eps) {
        nested_map_dom_free(hd->mapdom);
    }
    object_unref(OBJECT(hd->idev));
    g_free(hd);
}

/*
 * The libpvb device of endpoint @ep_id, if it has one; forgotten when the
 * VFIO device behind the endpoint is not the same any more (unplugged).
 */
static VirtIOIOMMUNestedHostDev *nested_host_dev_lookup(VirtIOIOMMU *s,
                                                        uint32_t ep_id)
{
    VirtIOIOMMUNestedHostDev *hd;

    hd = g_hash_table_lookup(s->nst->host_devs, GUINT_TO_POINTER(ep_id));
    if (!hd) {
        return NULL;
    }
    if (virtio_iommu_get_host_iommu_device(s, hd->bus, hd->devfn) !=
        HOST_IOMMU_DEVICE(hd->idev)) {
        hd->gone = true;
        g_hash_table_remove(s->nst->host_devs, GUINT_TO_POINTER(ep_id));
        return NULL;
    }
    return hd;
}

/*
 * ATTACH_TABLE of a VFIO endpoint: nest parent, vIOMMU and vEVENTQ at the
 * first one of the context, vDEVICE (virtual StreamID = endpoint ID) at the
 * first one of the endpoint, then a nested HWPT from the guest's table,
 * attached in place of the previous one. On error nothing changed.
 */
static uint8_t nested_host_attach(VirtIOIOMMU *s, IOMMUDevice *sdev,
                                  HostIOMMUDeviceIOMMUFD *idev, uint32_t ep_id,
                                  const struct pvb_arm_caps *caps,
                                  const struct pvb_s1_table *table,
                                  VirtIOIOMMUNestedHostDev **out)
{
    VirtIOIOMMUNestedHostDev *hd;
    struct pvb_nest_cfg cfg = {
        .kind = PVB_NEST_S1,
        .table = table,
    };
    VirtIOIOMMUNestedHost *h;
    int ret = 0;

    hd = nested_host_dev_get(s, sdev, idev, ep_id, &ret);
    if (!hd) {
        error_report("virtio-iommu: endpoint 0x%x: iommufd context or "
                     "device: %s", ep_id, strerror(-ret));
        return pvb_iommufd_status(ret);
    }
    h = hd->host;
    hd->caps = *caps;
    if ((caps->flags & VIRTIO_IOMMU_ARM_F_STALL) &&
        !(caps->flags & VIRTIO_IOMMU_ARM_F_STALL_FORCE)) {
        cfg.ste_flags |= PVB_STE_S1STALLD;
    }
    ret = pvb_iommufd_dev_attach_nested(hd->dev, &cfg);
    if (ret) {
        error_report("virtio-iommu: endpoint 0x%x: nested attach: %s",
                     ep_id, strerror(-ret));
        return pvb_iommufd_status(ret);
    }
    hd->nested = true;
    s->nst->stats.host_attach++;
    if (trace_event_get_state_backends(TRACE_VIRTIO_IOMMU_NESTED_HOST_ATTACH)) {
        struct pvb_iommufd_dev_ids ids;

        pvb_iommufd_dev_get_ids(hd->dev, &ids);
        trace_virtio_iommu_nested_host_attach(ep_id, ids.dev_id, ids.vdevice,
                                              ids.nested_hwpt,
                                              table->s1contextptr);
    }
    if (h->veventq_fd < 0 && pvb_iommufd_veventq_fd(h->ctx) >= 0) {
        h->veventq_fd = pvb_iommufd_veventq_fd(h->ctx);
        qemu_set_fd_handler(h->veventq_fd, nested_host_veventq_read, NULL, h);
    }
    *out = hd;
    return VIRTIO_IOMMU_S_OK;
}

/* @ep leaves its table domain: off the nested HWPT unless @moving */
static void nested_host_detach(VirtIOIOMMU *s, VirtIOIOMMUEndpoint *ep)
{
    VirtIOIOMMUNestedHostDev *hd = nested_host_dev_lookup(s, ep->id);
    int ret;

    if (!hd || !hd->nested || hd->moving) {
        return;
    }
    ret = pvb_iommufd_dev_detach(hd->dev);
    trace_virtio_iommu_nested_host_detach(ep->id, ret);
    if (ret) {
        error_report("virtio-iommu: endpoint 0x%x: cannot leave the nested "
                     "HWPT: %s", ep->id, strerror(-ret));
        return;
    }
    hd->nested = false;
}

/*
 * INVALIDATE on the vIOMMU of each context for the VFIO endpoints of
 * domain @d (all table domains if @d is NULL): @req, or everything the
 * vIOMMU may cache for them if @req is NULL or fails. False if even that
 * failed.
 */
static bool nested_host_invalidate(VirtIOIOMMU *s, VirtIOIOMMUDomain *d,
                                   const struct pvb_invalidate *req);

typedef struct NestedHostSids {
    VirtIOIOMMUNestedHost *h;
    VirtIOIOMMUDomain *d;
    GArray *sids;
    const struct pvb_arm_caps *caps;
} NestedHostSids;

static void nested_host_sids_cb(gpointer key, gpointer value, gpointer data)
{
    VirtIOIOMMUNestedHostDev *hd = value;
    NestedHostSids *c = data;
    VirtIOIOMMUEndpoint *ep;

    if (hd->host != c->h || !hd->nested || hd->gone) {
        return;
    }
    ep = g_tree_lookup(c->h->s->endpoints, GUINT_TO_POINTER(hd->ep_id));
    if (!ep || !ep->domain || !ep->domain->nested ||
        (c->d && ep->domain != c->d)) {
        return;
    }
    g_array_append_val(c->sids, hd->ep_id);
    c->caps = &hd->caps;
}

static bool nested_host_invalidate(VirtIOIOMMU *s, VirtIOIOMMUDomain *d,
                                   const struct pvb_invalidate *req)
{
    VirtIOIOMMUNestedHost *h;
    bool ok = true;

    QLIST_FOREACH(h, &s->nst->hosts, next) {
        NestedHostSids c = {
            .h = h,
            .d = d,
            .sids = g_array_new(false, false, sizeof(uint32_t)),
        };
        struct pvb_smmu_cmd_ctx cmd;
        struct pvb_iommufd_inv_result res = { .failed_entry = -1 };
        int ret = -1;

        g_hash_table_foreach(s->nst->host_devs, nested_host_sids_cb, &c);
        if (!c.sids->len) {
            g_array_free(c.sids, true);
            continue;
        }
        cmd = (struct pvb_smmu_cmd_ctx) {
            .caps = c.caps,
            .sids = (const uint32_t *)c.sids->data,
            .nr_sids = c.sids->len,
        };
        if (req) {
            ret = pvb_iommufd_invalidate(h->ctx, req, &cmd, &res);
            trace_virtio_iommu_nested_host_invalidate(c.sids->len,
                                                      req->nr_entries, ret);
            if (ret) {
                s->nst->stats.host_inv_failures++;
                qemu_log_mask(LOG_GUEST_ERROR, "virtio-iommu: INVALIDATE on "
                              "the vIOMMU failed at entry %d: %s\n",
                              res.failed_entry, strerror(-ret));
            }
        }
        /* The SMMUv3 driver may have skipped commands before a failure */
        if (ret && pvb_iommufd_invalidate_all(h->ctx, &cmd, false, NULL)) {
            error_report_once("virtio-iommu: cannot invalidate the vIOMMU");
            ok = false;
        }
        g_array_free(c.sids, true);
    }
    return ok;
}

static void nested_host_free_all(VirtIOIOMMU *s)
{
    VirtIOIOMMUNested *n = s->nst;
    VirtIOIOMMUNestedHost *h, *tmp;

    if (n->host_devs) {
        GList *eps = g_hash_table_get_keys(n->host_devs), *l;

        /* Leave alone the VFIO devices that are gone already */
        for (l = eps; l; l = l->next) {
            nested_host_dev_lookup(s, GPOINTER_TO_UINT(l->data));
        }
        g_list_free(eps);
        g_hash_table_remove_all(n->host_devs);
    }
    nested_map_dom_free_all(s);
    QLIST_FOREACH_SAFE(h, &n->hosts, next, tmp) {
        QLIST_REMOVE(h, next);
        if (h->veventq_fd >= 0) {
            qemu_set_fd_handler(h->veventq_fd, NULL, NULL, NULL);
        }
        if (h->listening) {
            memory_listener_unregister(&h->listener);
        }
        pvb_iommufd_free(h->ctx);
        object_unref(OBJECT(h->be));
        g_free(h);
    }
}

/*
 * VFIO endpoints on iommufd in MAP/UNMAP domains: lazy pinning
 *
 * Stock QEMU hands a MAP of a VFIO endpoint's domain to vfio through the
 * IOMMU notifier, which pins and maps the range in the vfio container's
 * IOAS, and unpins it at UNMAP. Here the endpoint is attached to an IOAS of
 * libpvb's (one per domain and iommufd context) and MAP/UNMAP go through
 * libpvb's pin cache (pvb_iommufd_map(): only mapped pages are pinned, and
 * unmapped pages stay pinned in a bounded cache for the next MAP); the
 * notifier is skipped for the endpoint (virtio_iommu_nested_host_owns_mr()).
 * Any host IOMMU type will do: nothing here is SMMUv3-specific. If libpvb
 * cannot take the endpoint, it stays on QEMU's vfio path.
 */
static uint32_t nested_map_prot(uint32_t flags)
{
    return (flags & VIRTIO_IOMMU_MAP_F_READ ? PVB_MAP_READ : 0) |
           (flags & VIRTIO_IOMMU_MAP_F_WRITE ? PVB_MAP_WRITE : 0);
}

static int nested_map_one(NestedMapDom *md, uint64_t low, uint64_t high,
                          uint64_t phys, uint32_t flags)
{
    VirtIOIOMMU *s = md->h->s;
    int ret;

    if (flags & VIRTIO_IOMMU_MAP_F_MMIO) {
        /*
         * Device memory is not guest RAM: nothing to pin. Stock vfio does
         * not map it either (it reports an error and goes on).
         */
        warn_report_once("virtio-iommu: MMIO mapping 0x%" PRIx64 " of a "
                         "VFIO endpoint ignored", phys);
        return 0;
    }
    ret = pvb_iommufd_map(md->dom, low, phys, high - low + 1,
                          nested_map_prot(flags));
    if (ret) {
        s->nst->stats.host_map_failures++;
        qemu_log_mask(LOG_GUEST_ERROR, "virtio-iommu: MAP 0x%" PRIx64 "-0x%"
                      PRIx64 " -> 0x%" PRIx64 " of a VFIO endpoint: %s\n",
                      low, high, phys, strerror(-ret));
        return ret;
    }
    s->nst->stats.host_maps++;
    return 0;
}

static int nested_map_replay_cb(uint64_t low, uint64_t high, uint64_t phys,
                                uint32_t flags, void *opaque)
{
    return nested_map_one(opaque, low, high, phys, flags);
}

/* The pin cache's figures when a domain goes (make fullstack-mapunmap) */
static void nested_map_trace_stats(NestedMapDom *md)
{
    struct pvb_iommufd_stats st;

    if (!trace_event_get_state_backends(
            TRACE_VIRTIO_IOMMU_NESTED_HOST_PIN_STATS)) {
        return;
    }
    pvb_iommufd_get_stats(md->h->ctx, &st);
    trace_virtio_iommu_nested_host_pin_stats(md->d->id, st.maps,
                                             st.pin.pinned_bytes,
                                             st.pin.cached_bytes, st.pin.hits,
                                             st.pin.misses, st.pin.evictions);
}

static void nested_map_dom_free(NestedMapDom *md)
{
    int ret = pvb_iommufd_domain_free(md->dom);

    if (ret) {
        error_report("virtio-iommu: cannot free a VFIO MAP/UNMAP domain: %s",
                     strerror(-ret));
    }
    nested_map_trace_stats(md);
    QLIST_REMOVE(md, next);
    g_free(md);
}

static void nested_map_dom_free_all(VirtIOIOMMU *s)
{
    NestedMapDom *md, *tmp;

    QLIST_FOREACH_SAFE(md, &s->nst->map_doms, next, tmp) {
        nested_map_dom_free(md);
    }
}

/* The libpvb domain of @d in context @h, created with @d's mappings */
static NestedMapDom *nested_map_dom_get(VirtIOIOMMU *s, VirtIOIOMMUDomain *d,
                                        VirtIOIOMMUNestedHost *h, int *err)
{
    NestedMapDom *md;

    QLIST_FOREACH(md, &s->nst->map_doms, next) {
        if (md->d == d && md->h == h) {
            return md;
        }
    }
    md = g_new0(NestedMapDom, 1);
    md->d = d;
    md->h = h;
    *err = pvb_iommufd_domain_new(h->ctx, &md->dom);
    if (*err) {
        g_free(md);
        return NULL;
    }
    QLIST_INSERT_HEAD(&s->nst->map_doms, md, next);
    return md;
}

/* The libpvb device of a VFIO endpoint, created if needed */
static VirtIOIOMMUNestedHostDev *
nested_host_dev_get(VirtIOIOMMU *s, IOMMUDevice *sdev,
                    HostIOMMUDeviceIOMMUFD *idev, uint32_t ep_id, int *err)
{
    VirtIOIOMMUNestedHostDev *hd = nested_host_dev_lookup(s, ep_id);
    VirtIOIOMMUNestedHost *h;

    if (hd) {
        return hd;
    }
    h = nested_host_get(s, idev->iommufd, err);
    if (!h) {
        return NULL;
    }
    hd = g_new0(VirtIOIOMMUNestedHostDev, 1);
    hd->host = h;
    hd->idev = idev;
    hd->bus = sdev->bus;
    hd->devfn = sdev->devfn;
    hd->ep_id = ep_id;
    object_ref(OBJECT(idev));
    *err = pvb_iommufd_dev_new(h->ctx, idev->devid, ep_id,
                               &nested_host_dev_ops, hd, &hd->dev);
    if (*err) {
        object_unref(OBJECT(idev));
        g_free(hd);
        return NULL;
    }
    g_hash_table_insert(s->nst->host_devs, GUINT_TO_POINTER(ep_id), hd);
    return hd;
}

void virtio_iommu_nested_host_attach_ep(VirtIOIOMMU *s,
                                        VirtIOIOMMUEndpoint *ep)
{
    IOMMUDevice *sdev = container_of(ep->iommu_mr, IOMMUDevice, iommu_mr);
    VirtIOIOMMUDomain *d = ep->domain;
    HostIOMMUDeviceIOMMUFD *idev;
    VirtIOIOMMUNestedHostDev *hd;
    NestedMapDom *md;
    bool new_md;
    int ret = 0;

    if (!s->nst->realized || !d || d->bypass || d->nested) {
        return;
    }
    idev = nested_map_idev(s, sdev);
    if (!idev) {
        return;
    }
    hd = nested_host_dev_get(s, sdev, idev, ep->id, &ret);
    if (!hd) {
        goto fallback;
    }
    if (hd->mapdom || hd->nested) {
        /*
         * Still attached to libpvb: a failed detach from the previous
         * domain was logged; leave the endpoint where the host has it.
         */
        ret = -EBUSY;
        goto fallback;
    }
    md = nested_map_dom_get(s, d, hd->host, &ret);
    if (!md) {
        goto fallback;
    }
    new_md = !md->nr_eps;
    ret = pvb_iommufd_dev_attach_domain(hd->dev, md->dom);
    if (!ret && new_md) {
        ret = virtio_iommu_foreach_mapping(d, nested_map_replay_cb, md);
        if (ret) {
            pvb_iommufd_dev_detach(hd->dev);
        }
    }
    if (ret) {
        if (new_md) {
            nested_map_dom_free(md);
        }
        goto fallback;
    }
    md->nr_eps++;
    hd->mapdom = md;
    s->nst->stats.host_map_attach++;
    trace_virtio_iommu_nested_host_map_attach(ep->id, d->id, 0);
    return;

fallback:
    s->nst->stats.host_map_fallbacks++;
    trace_virtio_iommu_nested_host_map_attach(ep->id, d->id, ret);
    warn_report("virtio-iommu: endpoint 0x%x: libpvb cannot map it (%s), "
                "QEMU's vfio maps it", ep->id, strerror(-ret));
}

void virtio_iommu_nested_host_detach_ep(VirtIOIOMMUEndpoint *ep)
{
    IOMMUDevice *sdev = container_of(ep->iommu_mr, IOMMUDevice, iommu_mr);
    VirtIOIOMMU *s = sdev->viommu;
    VirtIOIOMMUNestedHostDev *hd = nested_host_dev_lookup(s, ep->id);
    NestedMapDom *md;
    int ret;

    if (!hd || !hd->mapdom) {
        return;
    }
    md = hd->mapdom;
    /*
     * Back on the vfio container's HWPT, which maps nothing; unless the
     * endpoint is moving to a table domain, whose nested HWPT replaced the
     * IOAS already (ATTACH_TABLE).
     */
    if (!hd->moving) {
        ret = pvb_iommufd_dev_detach(hd->dev);
        trace_virtio_iommu_nested_host_detach(ep->id, ret);
        if (ret) {
            error_report("virtio-iommu: endpoint 0x%x: cannot leave its "
                         "MAP/UNMAP IOAS: %s", ep->id, strerror(-ret));
        }
    }
    hd->mapdom = NULL;
    if (!--md->nr_eps) {
        nested_map_dom_free(md);
    }
}

bool virtio_iommu_nested_host_owns_mr(IOMMUMemoryRegion *mr)
{
    IOMMUDevice *sdev = container_of(mr, IOMMUDevice, iommu_mr);
    VirtIOIOMMU *s = sdev->viommu;
    VirtIOIOMMUNestedHostDev *hd;
    uint32_t ep_id;

    if (!s->nst->realized || !g_hash_table_size(s->nst->host_devs)) {
        return false;
    }
    ep_id = PCI_BUILD_BDF(pci_bus_num(sdev->bus), sdev->devfn);
    hd = g_hash_table_lookup(s->nst->host_devs, GUINT_TO_POINTER(ep_id));
    return hd && hd->bus == sdev->bus && hd->devfn == sdev->devfn &&
           (hd->mapdom || hd->nested);
}

int virtio_iommu_nested_host_map(VirtIOIOMMU *s, VirtIOIOMMUDomain *d,
                                 uint64_t low, uint64_t high, uint64_t phys,
                                 uint32_t flags)
{
    NestedMapDom *md;
    int ret;

    QLIST_FOREACH(md, &s->nst->map_doms, next) {
        if (md->d != d) {
            continue;
        }
        ret = nested_map_one(md, low, high, phys, flags);
        if (ret) {
            NestedMapDom *undo;

            /* Nothing changed for the guest: undo the other contexts */
            QLIST_FOREACH(undo, &s->nst->map_doms, next) {
                if (undo == md) {
                    break;
                }
                if (undo->d == d) {
                    pvb_iommufd_unmap(undo->dom, low, high - low + 1, NULL);
                }
            }
            return pvb_iommufd_status(ret);
        }
    }
    return VIRTIO_IOMMU_S_OK;
}

void virtio_iommu_nested_host_unmap(VirtIOIOMMU *s, VirtIOIOMMUDomain *d,
                                    uint64_t low, uint64_t high)
{
    NestedMapDom *md;
    int ret;

    QLIST_FOREACH(md, &s->nst->map_doms, next) {
        if (md->d != d) {
            continue;
        }
        ret = pvb_iommufd_unmap(md->dom, low, high - low + 1, NULL);
        if (ret) {
            error_report_once("virtio-iommu: UNMAP 0x%" PRIx64 "-0x%" PRIx64
                              " of a VFIO endpoint: %s", low, high,
                              strerror(-ret));
        } else {
            s->nst->stats.host_unmaps++;
        }
    }
}

/* Capabilities */

/*
 * The TABLE_FORMAT capabilities of an endpoint; false if it has none, in
 * which case the driver uses MAP/UNMAP for it.
 */
static bool nested_ep_caps(VirtIOIOMMU *s, IOMMUDevice *sdev,
                           struct pvb_arm_caps *caps)
{
    if (!s->nst->offered) {
        return false;
    }
    if (virtio_iommu_get_host_iommu_device(s, sdev->bus, sdev->devfn)) {
        /*
         * HOOK(iommufd): an endpoint backed by a host IOMMU device (VFIO)
         * is translated by the host IOMMU, not by this walker. With an
         * iommufd backend and a host SMMUv3, report the capabilities of
         * pvb_smmu_caps_from_idr() (IOMMU_GET_HW_INFO); ATTACH_TABLE then
         * installs the guest's table as a nested HWPT (spec section 18).
         * Otherwise (legacy VFIO container, another IOMMU): no property,
         * the driver uses MAP/UNMAP.
         */
        HostIOMMUDeviceIOMMUFD *idev = nested_host_idev(s, sdev);

        return idev && nested_host_caps(s, idev, caps);
    }
    *caps = s->nst->sw_caps;
    return true;
}

/* The TABLE_FORMAT property as x-driver-quirks alters it */
static ssize_t nested_quirk_probe(uint32_t quirks,
                                  struct virtio_iommu_probe_table_arm_smmuv3 *p,
                                  uint8_t *buf, size_t free)
{
    size_t len = sizeof(*p);

    if (quirks & NESTED_QUIRK_PROBE_UNKNOWN) {
        p->format = cpu_to_le16(0x7f);
    }
    if (quirks & NESTED_QUIRK_PROBE_SHORT) {
        len = sizeof(p->head) + 24;
    }
    if (quirks & NESTED_QUIRK_PROBE_NOISE) {
        p->reserved0 = 0xa5;
        p->reserved1 = cpu_to_le32(0xa5a5a5a5);
        p->reserved2 = cpu_to_le32(0x5a5a5a5a);
        p->cd_formats |= cpu_to_le32(0xfff00000);
        p->granules |= cpu_to_le32(0xfff00000);
        p->flags |= cpu_to_le32(0x80000000);
        len = sizeof(*p) + 8;
        if (free < len) {
            return -ENOSPC;
        }
        memset(buf + sizeof(*p), 0xa5, 8);
    }
    p->head.length = cpu_to_le16(len - sizeof(p->head));
    memcpy(buf, p, MIN(len, sizeof(*p)));
    /* What the tests look for, to know the quirk was applied */
    warn_report_once("virtio-iommu: x-driver-quirks: altered TABLE_FORMAT "
                     "property sent");
    return len;
}

ssize_t virtio_iommu_nested_fill_probe(VirtIOIOMMU *s, IOMMUDevice *sdev,
                                       uint32_t ep_id, uint8_t *buf,
                                       size_t free)
{
    struct virtio_iommu_probe_table_arm_smmuv3 prop;
    struct pvb_arm_caps caps;

    /* NEST-DEV-07: only when the feature is negotiated */
    if (!virtio_vdev_has_feature(VIRTIO_DEVICE(s), VIRTIO_IOMMU_F_NESTED) ||
        !nested_ep_caps(s, sdev, &caps)) {
        return 0;
    }
    if (free < sizeof(prop)) {
        return -ENOSPC;
    }
    pvb_arm_caps_to_probe(&caps, &prop);
    trace_virtio_iommu_nested_probe(ep_id, caps.ssid_bits, caps.oas,
                                    caps.flags);
    if (s->nst->quirks) {
        return nested_quirk_probe(s->nst->quirks, &prop, buf, free);
    }
    memcpy(buf, &prop, sizeof(prop));
    return sizeof(prop);
}

/*
 * NEST-DEV-50: a VFIO endpoint nested on a host SMMUv3 sends its MSIs
 * through the guest's stage 1 to the host's software MSI window, where
 * Linux iommufd maps the physical doorbell into stage 2. Present that
 * window as an MSI region, in place of the RESERVED hole it is in the host's
 * IOVA ranges, so that the driver maps it to itself (NEST-DRV-22). The
 * window is what the host's IOMMU group reports ("msi" in
 * /sys/bus/pci/devices/BDF/iommu_group/reserved_regions); a device passed
 * by file descriptor has no such path and keeps the RESERVED region.
 */
void virtio_iommu_nested_probe_resv(VirtIOIOMMU *s, IOMMUDevice *sdev)
{
    HostIOMMUDeviceIOMMUFD *idev;
    struct pvb_arm_caps caps;
    g_autofree char *path = NULL;
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;
    GList *l;
    int i;

    if (!virtio_vdev_has_feature(VIRTIO_DEVICE(s), VIRTIO_IOMMU_F_NESTED) ||
        !nested_ep_caps(s, sdev, &caps)) {
        return;
    }
    idev = nested_host_idev(s, sdev);
    if (!idev || !HOST_IOMMU_DEVICE(idev)->name) {
        return;
    }
    /*
     * Once per VFIO device, not per PROBE (the guest decides how many):
     * unless its regions were rebuilt since (a new device at this slot)
     */
    if (!g_hash_table_add(s->nst->msi_windows, idev)) {
        for (l = sdev->resv_regions; l; l = l->next) {
            if (((ReservedRegion *)l->data)->type ==
                VIRTIO_IOMMU_RESV_MEM_T_MSI) {
                return;
            }
        }
    }
    path = g_strdup_printf("/sys/bus/pci/devices/%s/iommu_group/"
                           "reserved_regions", HOST_IOMMU_DEVICE(idev)->name);
    if (!g_file_get_contents(path, &text, NULL, NULL)) {
        return;
    }
    lines = g_strsplit(text, "\n", 0);
    for (i = 0; lines[i]; i++) {
        uint64_t start, end;
        char type[16];
        ReservedRegion *reg;

        if (sscanf(lines[i], "%" SCNx64 " %" SCNx64 " %15s", &start, &end,
                   type) != 3 || strcmp(type, "msi") || end < start) {
            continue;
        }
        reg = g_new0(ReservedRegion, 1);
        reg->type = VIRTIO_IOMMU_RESV_MEM_T_MSI;
        range_set_bounds(&reg->range, start, end);
        sdev->resv_regions = resv_region_list_insert(sdev->resv_regions, reg);
        trace_virtio_iommu_nested_host_msi_window(
            PCI_BUILD_BDF(pci_bus_num(sdev->bus), sdev->devfn), start, end);
    }
}

/* Notifications for vhost and other IOMMU notifiers */

static void nested_notify_unmap(VirtIOIOMMU *s, IOMMUMemoryRegion *mr,
                                uint64_t start, uint64_t last)
{
    IOMMUTLBEvent event = {
        .type = IOMMU_NOTIFIER_UNMAP,
        .entry = {
            .target_as = &address_space_memory,
            .perm = IOMMU_NONE,
        },
    };

    if (!(mr->iommu_notify_flags & IOMMU_NOTIFIER_UNMAP)) {
        return;
    }
    trace_virtio_iommu_nested_notify_unmap(mr->parent_obj.name, start, last);
    s->nst->stats.unmap_notifications++;
    for (;;) {
        uint64_t mask = dma_aligned_pow2_mask(start, last, 64);

        event.entry.iova = start;
        event.entry.addr_mask = mask;
        memory_region_notify_iommu(mr, 0, event);
        if (last - start <= mask) {
            break;
        }
        start += mask + 1;
    }
}

static void nested_notify_unmap_domain(VirtIOIOMMU *s, VirtIOIOMMUDomain *d,
                                       uint64_t start, uint64_t last)
{
    VirtIOIOMMUEndpoint *ep;

    QLIST_FOREACH(ep, &d->endpoint_list, next) {
        if (!nested_host_ep_nested(s, ep->id)) {
            nested_notify_unmap(s, ep->iommu_mr, start, last);
        }
    }
}

/* Table domains */

/* Drop everything cached for domain @d: DOMAIN, CD_ALL and ATC scopes */
static void nested_flush_domain(VirtIOIOMMU *s, VirtIOIOMMUDomain *d)
{
    pvb_iotlb_inv_domain(s->nst->iotlb, d->id);
    pvb_cd_cache_inv_domain(s->nst->cd_cache, d->id);
    nested_notify_unmap_domain(s, d, 0, UINT64_MAX);
    nested_host_invalidate(s, d, NULL);
}

static VirtIOIOMMUNestedDomain *nested_domain_new(VirtIOIOMMU *s, uint32_t id,
                                                  uint16_t format,
                                                  const uint8_t *desc,
                                                  const struct pvb_s1_table *t)
{
    VirtIOIOMMUNestedDomain *nd = g_new0(VirtIOIOMMUNestedDomain, 1);

    nd->s = s;
    nd->format = format;
    memcpy(nd->desc, desc, NESTED_DESC_LEN);
    nd->ctx = (struct pvb_s1_ctx) {
        .table = *t,
        .caps = s->nst->sw_caps,
        .mem = { .read = nested_mem_read, .opaque = s },
        .domain = id,
        .iotlb = s->nst->iotlb,
        .cd_cache = s->nst->cd_cache,
    };
    /* A new domain may reuse the ID of a dead one: start clean (NEST-DEV-36) */
    pvb_iotlb_inv_domain(s->nst->iotlb, id);
    pvb_cd_cache_inv_domain(s->nst->cd_cache, id);
    s->nst->nr_table_domains++;
    trace_virtio_iommu_nested_domain_new(id);
    return nd;
}

void virtio_iommu_nested_domain_free(VirtIOIOMMUDomain *domain)
{
    VirtIOIOMMUNestedDomain *nd = domain->nested;
    VirtIOIOMMU *s = nd->s;

    trace_virtio_iommu_nested_domain_free(domain->id);
    /* NEST-DEV-36: nothing derived from the configuration survives */
    pvb_iotlb_inv_domain(s->nst->iotlb, domain->id);
    pvb_cd_cache_inv_domain(s->nst->cd_cache, domain->id);
    s->nst->nr_table_domains--;
    domain->nested = NULL;
    g_free(nd);
}

void virtio_iommu_nested_detach_endpoint(VirtIOIOMMUEndpoint *ep)
{
    IOMMUDevice *sdev = container_of(ep->iommu_mr, IOMMUDevice, iommu_mr);
    VirtIOIOMMU *s = sdev->viommu;

    /*
     * NEST-DEV-35: translate() stops using the domain as soon as ep->domain
     * changes, under the device mutex; notifiers forget what they cached.
     */
    trace_virtio_iommu_nested_detach(ep->domain->id, ep->id);
    if (nested_host_ep_nested(s, ep->id)) {
        /* A VFIO endpoint goes back to its vfio container's HWPT */
        nested_host_detach(s, ep);
        return;
    }
    nested_notify_unmap(s, ep->iommu_mr, 0, UINT64_MAX);
}

/* ATTACH_TABLE */

static uint8_t nested_attach_reject(uint32_t domain, uint32_t ep,
                                    uint8_t status, const char *why)
{
    qemu_log_mask(LOG_GUEST_ERROR,
                  "virtio-iommu: ATTACH_TABLE domain %u endpoint %u: %s\n",
                  domain, ep, why);
    trace_virtio_iommu_nested_attach_table_reject(domain, ep, status, why);
    return status;
}

static int nested_attach_table(VirtIOIOMMU *s, struct iovec *iov,
                               unsigned int iov_cnt)
{
    struct virtio_iommu_req_attach_table req = {};
    VirtIOIOMMUDomain *domain, *prev;
    VirtIOIOMMUNestedHostDev *hd = NULL;
    HostIOMMUDeviceIOMMUFD *idev;
    struct pvb_attach_table dec;
    struct pvb_req_diag diag;
    struct pvb_arm_caps caps;
    VirtIOIOMMUEndpoint *ep;
    IOMMUMemoryRegion *mr;
    uint32_t domain_id, ep_id;
    IOMMUDevice *sdev;
    uint8_t status;
    size_t len;

    /*
     * NEST-DEV-20: without its 68 bytes the request names no endpoint to
     * look up. Bytes beyond them are ignored.
     */
    len = iov_to_buf(iov, iov_cnt, 0, &req, ATTACH_TABLE_LEN);
    if (len < ATTACH_TABLE_LEN) {
        return nested_attach_reject(le32_to_cpu(req.domain),
                                    le32_to_cpu(req.endpoint),
                                    VIRTIO_IOMMU_S_INVAL,
                                    "request shorter than 68 bytes");
    }
    domain_id = le32_to_cpu(req.domain);
    ep_id = le32_to_cpu(req.endpoint);
    trace_virtio_iommu_nested_attach_table(domain_id, ep_id,
                                    le64_to_cpu(req.arm_smmuv3.s1contextptr),
                                    req.arm_smmuv3.s1fmt,
                                    req.arm_smmuv3.s1cdmax,
                                    req.arm_smmuv3.s1dss);

    if (domain_id < s->config.domain_range.start ||
        domain_id > s->config.domain_range.end) {
        return nested_attach_reject(domain_id, ep_id, VIRTIO_IOMMU_S_RANGE,
                                    "domain out of domain_range");
    }
    mr = virtio_iommu_mr(s, ep_id);
    if (!mr) {
        return nested_attach_reject(domain_id, ep_id, VIRTIO_IOMMU_S_NOENT,
                                    "no such endpoint");
    }
    sdev = container_of(mr, IOMMUDevice, iommu_mr);
    /* NEST-DEV-25; an unknown format is the decoder's */
    if (!nested_ep_caps(s, sdev, &caps)) {
        return nested_attach_reject(domain_id, ep_id, VIRTIO_IOMMU_S_UNSUPP,
                                    "no TABLE_FORMAT property");
    }
    /* NEST-DEV-21, 22, 25, 26, 27: the statuses of the spec */
    status = pvb_req_decode_attach_table(&req, len, &caps, &dec, &diag);
    if (status != VIRTIO_IOMMU_S_OK) {
        return nested_attach_reject(domain_id, ep_id, status, diag.msg);
    }
    /* NEST-DEV-27: alignment and 2^oas are decoded, guest memory is ours */
    if (!nested_gpa_is_ram(dec.table.s1contextptr, dec.table_size)) {
        return nested_attach_reject(domain_id, ep_id, VIRTIO_IOMMU_S_RANGE,
                                    "CD table not in guest memory");
    }

    domain = g_tree_lookup(s->domains, GUINT_TO_POINTER(domain_id));
    if (domain && !domain->nested) {
        return nested_attach_reject(domain_id, ep_id, VIRTIO_IOMMU_S_INVAL,
                                    "mapped or bypass domain");
    }
    if (domain && (domain->nested->format != le16_to_cpu(req.format) ||
                   memcmp(domain->nested->desc, req.desc, NESTED_DESC_LEN))) {
        return nested_attach_reject(domain_id, ep_id, VIRTIO_IOMMU_S_INVAL,
                                    "table configuration differs");
    }

    ep = virtio_iommu_get_endpoint(s, ep_id);
    if (!ep) {
        return nested_attach_reject(domain_id, ep_id, VIRTIO_IOMMU_S_NOENT,
                                    "no such endpoint");
    }
    if (domain && ep->domain == domain) {
        return VIRTIO_IOMMU_S_OK;
    }

    /*
     * VFIO endpoint: the nested HWPT replaces the current attachment at
     * once, before the domain bookkeeping; on failure nothing changed.
     */
    idev = nested_host_idev(s, sdev);
    if (idev) {
        status = nested_host_attach(s, sdev, idev, ep_id, &caps, &dec.table,
                                    &hd);
        if (status != VIRTIO_IOMMU_S_OK) {
            return nested_attach_reject(domain_id, ep_id, status,
                                        "iommufd nesting failed");
        }
        hd->moving = true;
    }

    /*
     * NEST-DEV-34: under the device mutex translate() sees the endpoint in
     * the previous domain or in the new one, and the memory transaction
     * publishes only the final address space: never bypass in between.
     */
    memory_region_transaction_begin();
    prev = ep->domain;
    if (prev) {
        virtio_iommu_detach_endpoint_from_domain(ep);
        if (QLIST_EMPTY(&prev->endpoint_list)) {
            g_tree_remove(s->domains, GUINT_TO_POINTER(prev->id));
        }
    }
    if (!domain) {
        domain = virtio_iommu_get_domain(s, domain_id, false);
        domain->nested = nested_domain_new(s, domain_id,
                                           le16_to_cpu(req.format), req.desc,
                                           &dec.table);
    }
    if (hd) {
        hd->moving = false;
    }
    QLIST_INSERT_HEAD(&domain->endpoint_list, ep, next);
    ep->domain = domain;
    virtio_iommu_switch_address_space(sdev);
    memory_region_transaction_commit();
    return VIRTIO_IOMMU_S_OK;
}

/* INVALIDATE */

static gboolean nested_notify_unmap_all_cb(gpointer key, gpointer value,
                                           gpointer data)
{
    VirtIOIOMMUDomain *d = value;

    if (d->nested) {
        nested_notify_unmap_domain(data, d, 0, UINT64_MAX);
    }
    return false;
}

static int nested_invalidate_all(VirtIOIOMMU *s)
{
    pvb_iotlb_inv_all(s->nst->iotlb);
    pvb_cd_cache_inv_all(s->nst->cd_cache);
    g_tree_foreach(s->domains, nested_notify_unmap_all_cb, s);
    nested_host_invalidate(s, NULL, NULL);
    return VIRTIO_IOMMU_S_INVAL;
}

static int nested_invalidate(VirtIOIOMMU *s, struct iovec *iov,
                             unsigned int iov_cnt)
{
    VirtIOIOMMUNested *n = s->nst;
    struct virtio_iommu_req_invalidate hdr;
    uint64_t ranges[NESTED_NOTIFY_MAX_RANGES][2];
    unsigned int i, nr_ranges = 0;
    size_t len = iov_size(iov, iov_cnt);
    struct pvb_req_diag diag;
    bool notify_all = false;
    VirtIOIOMMUDomain *d;
    uint8_t status;

    /* NEST-DEV-53: no domain named; invalidating everything is allowed */
    if (len < INVALIDATE_HDR_LEN) {
        trace_virtio_iommu_nested_invalidate_reject(0, VIRTIO_IOMMU_S_INVAL,
                                                    -1, "request too short");
        n->stats.inv_malformed++;
        return nested_invalidate_all(s);
    }
    iov_to_buf(iov, iov_cnt, 0, &hdr, INVALIDATE_HDR_LEN);
    trace_virtio_iommu_nested_invalidate(le32_to_cpu(hdr.domain),
                                         le16_to_cpu(hdr.nr_entries));

    d = g_tree_lookup(s->domains, GUINT_TO_POINTER(le32_to_cpu(hdr.domain)));
    if (!d) {
        /* NEST-DEV-51 */
        trace_virtio_iommu_nested_invalidate_reject(le32_to_cpu(hdr.domain),
                                                    VIRTIO_IOMMU_S_NOENT, -1,
                                                    "no such domain");
        return VIRTIO_IOMMU_S_NOENT;
    }
    if (!d->nested) {
        /* NEST-DEV-52 */
        trace_virtio_iommu_nested_invalidate_reject(d->id,
                                                    VIRTIO_IOMMU_S_INVAL, -1,
                                                    "not a table domain");
        return VIRTIO_IOMMU_S_INVAL;
    }

    if (len > INVALIDATE_MAX_LEN) {
        status = VIRTIO_IOMMU_S_INVAL;
        diag = (struct pvb_req_diag) { "request too long", -1 };
    } else {
        iov_to_buf(iov, iov_cnt, 0, n->inv_buf, len);
        /* Section 13: malformed does not depend on the endpoints */
        status = pvb_req_decode_invalidate(n->inv_buf, len, NULL, &n->inv,
                                           &diag);
    }
    if (status != VIRTIO_IOMMU_S_OK) {
        /* NEST-DEV-54: malformed, invalidate all the domain may cache */
        qemu_log_mask(LOG_GUEST_ERROR,
                      "virtio-iommu: INVALIDATE domain %u: entry %d: %s\n",
                      d->id, diag.entry, diag.msg);
        trace_virtio_iommu_nested_invalidate_reject(d->id,
                                                    VIRTIO_IOMMU_S_INVAL,
                                                    diag.entry, diag.msg);
        n->stats.inv_malformed++;
        nested_flush_domain(s, d);
        return status;
    }

    /* NEST-DEV-55, NEST-DEV-56: in order, under the device mutex */
    for (i = 0; i < n->inv.nr_entries; i++) {
        const struct pvb_inv_entry *e = &n->inv.entries[i];

        trace_virtio_iommu_nested_inv_entry(d->id, e->scope, e->flags,
                                            e->asid, e->ssid, e->addr,
                                            e->size);
        pvb_s1_invalidate(&d->nested->ctx, e);
        switch (e->scope) {
        case VIRTIO_IOMMU_INV_S_VA:
            if (nr_ranges < NESTED_NOTIFY_MAX_RANGES) {
                ranges[nr_ranges][0] = e->addr;
                ranges[nr_ranges][1] = e->addr + e->size - 1;
                nr_ranges++;
            } else {
                notify_all = true;
            }
            break;
        case VIRTIO_IOMMU_INV_S_ATC:
            /* Emulated endpoints have no ATC */
            break;
        default:
            /* DOMAIN, ASID, CD, CD_ALL: translations anywhere may go */
            notify_all = true;
            break;
        }
    }
    n->stats.inv_entries += n->inv.nr_entries;

    if (notify_all) {
        nested_notify_unmap_domain(s, d, 0, UINT64_MAX);
    } else {
        for (i = 0; i < nr_ranges; i++) {
            nested_notify_unmap_domain(s, d, ranges[i][0], ranges[i][1]);
        }
    }
    /* VFIO endpoints of the domain: the same entries on the host SMMU */
    if (!nested_host_invalidate(s, d, &n->inv)) {
        return VIRTIO_IOMMU_S_DEVERR;
    }
    return VIRTIO_IOMMU_S_OK;
}

int virtio_iommu_nested_handle_request(VirtIOIOMMU *s, uint8_t type,
                                       struct iovec *iov,
                                       unsigned int iov_cnt)
{
    switch (type) {
    case VIRTIO_IOMMU_T_ATTACH_TABLE:
        return nested_attach_table(s, iov, iov_cnt);
    case VIRTIO_IOMMU_T_INVALIDATE:
        return nested_invalidate(s, iov, iov_cnt);
    default:
        g_assert_not_reached();
    }
}

/* translate() */

bool virtio_iommu_nested_fault_merge(VirtIOIOMMU *s,
                                     const struct virtio_iommu_fault *fault)
{
    VirtIOIOMMUNested *n = s->nst;
    struct virtio_iommu_fault *last = &n->last_fault;
    uint64_t addr = le64_to_cpu(fault->address);
    uint64_t prev = le64_to_cpu(last->address);

    /* The next piece starts at most 8 bytes after the previous one */
    if (n->last_fault_valid && fault->reason == last->reason &&
        fault->flags == last->flags && fault->endpoint == last->endpoint &&
        (le32_to_cpu(fault->flags) & VIRTIO_IOMMU_FAULT_F_ADDRESS) &&
        addr > prev && addr - prev <= 8) {
        last->address = fault->address;
        n->stats.faults_merged++;
        return true;
    }
    *last = *fault;
    n->last_fault_valid = true;
    return false;
}

/* NEST-DEV-61: libpvb gives the reason of spec section 14 */
static void nested_report_fault(VirtIOIOMMU *s, uint32_t ep_id,
                                const struct pvb_fault *fault)
{
    struct virtio_iommu_fault evt, plain;

    trace_virtio_iommu_nested_fault(ep_id, fault->address, fault->reason,
                                    fault->flags, fault->level,
                                    fault->fetch_addr, fault->record);
    /* NEST-DEV-62: CD.R == 0 */
    if (!fault->record) {
        s->nst->stats.faults_unrecorded++;
        return;
    }
    pvb_fault_to_virtio(fault, ep_id, &evt);
    /* NEST-DEV-67, NEST-DEV-68: without an event buffer, drop and count */
    if (virtio_iommu_nested_fault_merge(s, &evt)) {
        return;
    }
    s->nst->last_fault_valid = false;
    if (s->nst->quirks & NESTED_QUIRK_FAULT_NOISE) {
        plain = evt;
        evt.flags |= cpu_to_le32(NESTED_QUIRK_NOISE_FLAGS);
        if (!(evt.flags & cpu_to_le32(VIRTIO_IOMMU_FAULT_F_SSID))) {
            memset(evt.reserved2, 0xa5, sizeof(evt.reserved2));
        }
    }
    if (virtio_iommu_report_fault_event(s, &evt)) {
        s->nst->stats.faults++;
    } else {
        s->nst->stats.faults_dropped++;
        trace_virtio_iommu_nested_fault_dropped(ep_id, fault->reason);
    }
    if (s->nst->quirks & NESTED_QUIRK_FAULT_NOISE) {
        evt.reserved[0] = 0xa5;
        evt.address = cpu_to_le64(fault->address ^ NESTED_QUIRK_BOGUS_OFFSET);
        virtio_iommu_report_fault_event(s, &evt);
        /* The next pieces of the access merge as without the quirk */
        s->nst->last_fault = plain;
        s->nst->last_fault_valid = true;
        warn_report_once("virtio-iommu: x-driver-quirks: noisy fault report "
                         "and a copy with reserved bits sent");
    }
}

IOMMUTLBEntry virtio_iommu_nested_translate(VirtIOIOMMU *s,
                                            VirtIOIOMMUEndpoint *ep,
                                            hwaddr addr,
                                            IOMMUAccessFlags flag)
{
    VirtIOIOMMUNestedDomain *nd = ep->domain->nested;
    struct pvb_iotlb_stats before = {}, after = {};
    IOMMUTLBEntry entry = {
        .target_as = &address_space_memory,
        .iova = addr & ~0xfffULL,
        .translated_addr = addr & ~0xfffULL,
        .addr_mask = 0xfff,
        .perm = IOMMU_NONE,
    };
    /* PCI devices send no PASID in QEMU 10.2: SSID-less traffic */
    struct pvb_s1_txn txn = {
        .iova = addr,
        .access = (flag & IOMMU_RO ? PVB_ACCESS_READ : 0) |
                  (flag & IOMMU_WO ? PVB_ACCESS_WRITE : 0),
    };
    struct pvb_iotlb_entry res;
    struct pvb_fault fault;
    bool tracing;
    int ret;

    /* A nested VFIO endpoint's DMA never comes here: the host translates */
    if (nested_host_ep_nested(s, ep->id)) {
        return entry;
    }
    trace_virtio_iommu_nested_translate(ep->id, ep->domain->id, addr, flag);
    s->nst->stats.s1_translations++;
    /*
     * Walks are the IOTLB's misses (the "walks" stat reads them); look at
     * the counter here only for the trace event, not on every access.
     */
    tracing = trace_event_get_state_backends(
        TRACE_VIRTIO_IOMMU_NESTED_TRANSLATE_OUT);
    if (tracing) {
        pvb_iotlb_get_stats(s->nst->iotlb, &before);
    }
    ret = pvb_s1_translate(&nd->ctx, &txn, &res, &fault);
    if (ret < 0) {
        /* NEST-DEV-44: the access is aborted. A lookup is not an access */
        if (txn.access) {
            nested_report_fault(s, ep->id, &fault);
        }
        return entry;
    }
    /* A new access of the endpoint ends the merging of fault reports */
    s->nst->last_fault_valid = false;
    if (ret == PVB_S1_BYPASS) {
        trace_virtio_iommu_nested_bypass(ep->id, addr);
    }
    entry.iova = res.iova;
    entry.translated_addr = res.out;
    entry.addr_mask = BIT_ULL(res.size_log2) - 1;
    entry.perm = IOMMU_ACCESS_FLAG(res.perm & PVB_ACCESS_READ,
                                   res.perm & PVB_ACCESS_WRITE);
    if (tracing) {
        pvb_iotlb_get_stats(s->nst->iotlb, &after);
        trace_virtio_iommu_nested_translate_out(ep->id, addr,
                                                res.out |
                                                (addr & entry.addr_mask),
                                                entry.addr_mask, entry.perm,
                                                after.misses != before.misses);
    }
    return entry;
}

/* Counters */

void virtio_iommu_nested_count_kick(VirtIOIOMMU *s)
{
    s->nst->stats.kicks++;
}

void virtio_iommu_nested_count_request(VirtIOIOMMU *s, uint8_t type)
{
    s->nst->stats.requests[type <= VIRTIO_IOMMU_T_INVALIDATE ? type : 0]++;
    /* Accesses after a request are new accesses */
    s->nst->last_fault_valid = false;
}

void virtio_iommu_nested_count_translate(VirtIOIOMMU *s)
{
    s->nst->stats.translations++;
}

static const char *const nested_request_names[] = {
    [0] = "req-unknown",
    [VIRTIO_IOMMU_T_ATTACH] = "req-attach",
    [VIRTIO_IOMMU_T_DETACH] = "req-detach",
    [VIRTIO_IOMMU_T_MAP] = "req-map",
    [VIRTIO_IOMMU_T_UNMAP] = "req-unmap",
    [VIRTIO_IOMMU_T_PROBE] = "req-probe",
    [VIRTIO_IOMMU_T_ATTACH_TABLE] = "req-attach-table",
    [VIRTIO_IOMMU_T_INVALIDATE] = "req-invalidate",
};

/*
 * QOM property "stats": the counters as one struct, for example
 * qom-get /machine/peripheral-anon/device[0]/virtio-backend stats
 */
static void nested_get_stats(Object *obj, Visitor *v, const char *name,
                             void *opaque, Error **errp)
{
    VirtIOIOMMU *s = VIRTIO_IOMMU(obj);
    VirtIOIOMMUNested *n = s->nst;
    struct pvb_iotlb_stats tlb = {};
    struct pvb_iommufd_stats pin = {};
    VirtIOIOMMUNestedStats st;
    VirtIOIOMMUNestedHost *h;
    uint64_t table_domains;
    struct {
        const char *name;
        uint64_t val;
    } f[48];
    unsigned int i, nr = 0;

    if (n->realized) {
        qemu_rec_mutex_lock(&s->mutex);
    }
    st = n->stats;
    table_domains = n->nr_table_domains;
    if (n->realized) {
        pvb_iotlb_get_stats(n->iotlb, &tlb);
        /* Pins of every iommufd context */
        QLIST_FOREACH(h, &n->hosts, next) {
            struct pvb_iommufd_stats hs;

            pvb_iommufd_get_stats(h->ctx, &hs);
            pin.pin.pinned_bytes += hs.pin.pinned_bytes;
            pin.pin.cached_bytes += hs.pin.cached_bytes;
            pin.pin.hits += hs.pin.hits;
            pin.pin.misses += hs.pin.misses;
            pin.pin.evictions += hs.pin.evictions;
        }
        qemu_rec_mutex_unlock(&s->mutex);
    }

#define STAT(_name, _val) f[nr++] = (typeof(f[0])) { _name, _val }
    STAT("kicks", st.kicks);
    for (i = 0; i < ARRAY_SIZE(nested_request_names); i++) {
        if (nested_request_names[i]) {
            STAT(nested_request_names[i], st.requests[i]);
        }
    }
    STAT("translations", st.translations);
    STAT("s1-translations", st.s1_translations);
    STAT("walks", tlb.misses);
    STAT("iotlb-hits", tlb.hits);
    STAT("iotlb-misses", tlb.misses);
    STAT("iotlb-inserts", tlb.inserts);
    STAT("iotlb-evictions", tlb.evictions);
    STAT("iotlb-invalidated", tlb.invalidated);
    STAT("faults", st.faults);
    STAT("faults-dropped", st.faults_dropped);
    STAT("faults-unrecorded", st.faults_unrecorded);
    STAT("faults-merged", st.faults_merged);
    STAT("inv-entries", st.inv_entries);
    STAT("inv-malformed", st.inv_malformed);
    STAT("unmap-notifications", st.unmap_notifications);
    STAT("table-domains", table_domains);
    STAT("vfio-attach-table", st.host_attach);
    STAT("vfio-events", st.host_events);
    STAT("vfio-events-lost", st.host_events_lost);
    STAT("vfio-inv-failures", st.host_inv_failures);
    STAT("vfio-map-attach", st.host_map_attach);
    STAT("vfio-map-fallbacks", st.host_map_fallbacks);
    STAT("vfio-maps", st.host_maps);
    STAT("vfio-map-failures", st.host_map_failures);
    STAT("vfio-unmaps", st.host_unmaps);
    STAT("pinned-bytes", pin.pin.pinned_bytes);
    STAT("pin-cached-bytes", pin.pin.cached_bytes);
    STAT("pin-cache-hits", pin.pin.hits);
    STAT("pin-cache-misses", pin.pin.misses);
    STAT("pin-cache-evictions", pin.pin.evictions);
#undef STAT
    assert(nr <= ARRAY_SIZE(f));

    if (!visit_start_struct(v, name, NULL, 0, errp)) {
        return;
    }
    for (i = 0; i < nr; i++) {
        if (!visit_type_uint64(v, f[i].name, &f[i].val, errp)) {
            goto out;
        }
    }
    visit_check_struct(v, errp);
out:
    visit_end_struct(v, NULL);
}

/* Life cycle */

void virtio_iommu_nested_instance_init(VirtIOIOMMU *s)
{
    s->nst = g_new0(VirtIOIOMMUNested, 1);
    s->nst->s = s;
    QLIST_INIT(&s->nst->hosts);
    QLIST_INIT(&s->nst->map_doms);
    s->nst->msi_windows = g_hash_table_new(NULL, NULL);
    s->nst->host_devs = g_hash_table_new_full(NULL, NULL, NULL,
                                              nested_host_dev_free);
    object_property_add(OBJECT(s), "stats", "VirtIOIOMMUStats",
                        nested_get_stats, NULL, NULL, NULL);
    /* Testing only; set with -global virtio-iommu-device.x-driver-quirks= */
    object_property_add_uint32_ptr(OBJECT(s), "x-driver-quirks",
                                   &s->nst->quirks, OBJ_PROP_FLAG_READWRITE);
}

void virtio_iommu_nested_instance_finalize(VirtIOIOMMU *s)
{
    nested_host_free_all(s);
    g_hash_table_destroy(s->nst->host_devs);
    g_hash_table_destroy(s->nst->msi_windows);
    g_free(s->nst);
    s->nst = NULL;
}

bool virtio_iommu_nested_realize(VirtIOIOMMU *s, Error **errp)
{
    VirtIOIOMMUNested *n = s->nst;
    uint8_t oas = s->nested_oas;

    switch (oas) {
    case 0:
        oas = nested_default_oas();
        break;
    case 32: case 36: case 40: case 42: case 44: case 48: case 52:
        break;
    default:
        error_setg(errp, "nested-oas must be 32, 36, 40, 42, 44, 48 or 52");
        return false;
    }
    pvb_arm_caps_sw(oas, &n->sw_caps);

    n->iotlb = pvb_iotlb_new(NESTED_IOTLB_ENTRIES);
    n->cd_cache = pvb_cd_cache_new(NESTED_CD_CACHE_ENTRIES);
    if (!n->iotlb || !n->cd_cache) {
        pvb_iotlb_free(n->iotlb);
        pvb_cd_cache_free(n->cd_cache);
        n->iotlb = NULL;
        n->cd_cache = NULL;
        error_setg(errp, "cannot allocate the nested IOTLB");
        return false;
    }

    /* auto and on: the software walker serves every emulated endpoint */
    n->offered = s->nested != ON_OFF_AUTO_OFF;
    if (n->offered) {
        virtio_add_feature(&s->features, VIRTIO_IOMMU_F_NESTED);
    }
    n->realized = true;
    trace_virtio_iommu_nested_realize(n->offered, oas);
    return true;
}

void virtio_iommu_nested_unrealize(VirtIOIOMMU *s)
{
    VirtIOIOMMUNested *n = s->nst;

    n->realized = false;
    nested_host_free_all(s);
    pvb_iotlb_free(n->iotlb);
    pvb_cd_cache_free(n->cd_cache);
    n->iotlb = NULL;
    n->cd_cache = NULL;
    g_free(n->mig);
    n->mig = NULL;
}

void virtio_iommu_nested_reset(VirtIOIOMMU *s)
{
    VirtIOIOMMUNested *n = s->nst;

    /* NEST-DEV-70: the domains are gone already; so is what they cached */
    trace_virtio_iommu_nested_reset();
    if (n->realized) {
        pvb_iotlb_inv_all(n->iotlb);
        pvb_cd_cache_inv_all(n->cd_cache);
    }
}

/* Migration */

static bool nested_mig_needed(void *opaque)
{
    VirtIOIOMMU *s = opaque;

    return s->nst->nr_table_domains > 0;
}

static gboolean nested_pre_save_cb(gpointer key, gpointer value,
                                   gpointer data)
{
    VirtIOIOMMUDomain *d = value;
    VirtIOIOMMUNested *n = data;

    if (d->nested) {
        assert(n->mig_nr < n->nr_table_domains);
        n->mig[n->mig_nr].domain = d->id;
        n->mig[n->mig_nr].format = d->nested->format;
        memcpy(n->mig[n->mig_nr].desc, d->nested->desc, NESTED_DESC_LEN);
        n->mig_nr++;
    }
    return false;
}

static int nested_pre_save(void *opaque)
{
    VirtIOIOMMU *s = opaque;
    VirtIOIOMMUNested *n = s->nst;
    struct virtio_iommu_probe_table_arm_smmuv3 prop;

    /* NEST-DEV-71: ID and configuration of each table domain */
    g_free(n->mig);
    n->mig = g_new0(VirtIOIOMMUNestedMig, n->nr_table_domains);
    n->mig_nr = 0;
    g_tree_foreach(s->domains, nested_pre_save_cb, n);
    /* NEST-DEV-73: the destination checks the property against its own */
    pvb_arm_caps_to_probe(&n->sw_caps, &prop);
    memcpy(n->mig_prop, &prop, sizeof(prop));
    return 0;
}

static int nested_post_load(void *opaque, int version_id)
{
    VirtIOIOMMU *s = opaque;
    VirtIOIOMMUNested *n = s->nst;
    struct virtio_iommu_probe_table_arm_smmuv3 prop;
    int ret = 0;
    int32_t i;

    trace_virtio_iommu_nested_post_load(n->mig_nr);
    pvb_arm_caps_to_probe(&n->sw_caps, &prop);
    if (n->mig_nr && memcmp(n->mig_prop, &prop, sizeof(prop))) {
        error_report("virtio-iommu: the TABLE_FORMAT property differs from "
                     "the source's (nested-oas?)");
        ret = -EINVAL;
        goto out;
    }
    for (i = 0; i < n->mig_nr; i++) {
        VirtIOIOMMUNestedMig *m = &n->mig[i];
        struct virtio_iommu_req_attach_table req = {
            .head.type = VIRTIO_IOMMU_T_ATTACH_TABLE,
            .domain = cpu_to_le32(m->domain),
            .format = cpu_to_le16(m->format),
        };
        VirtIOIOMMUDomain *d;
        struct pvb_attach_table dec;

        memcpy(req.desc, m->desc, NESTED_DESC_LEN);
        d = g_tree_lookup(s->domains, GUINT_TO_POINTER(m->domain));
        if (!d || d->bypass || d->nested ||
            pvb_req_decode_attach_table(&req, ATTACH_TABLE_LEN, &n->sw_caps,
                                        &dec, NULL) != VIRTIO_IOMMU_S_OK) {
            error_report("virtio-iommu: bad table domain %u in the "
                         "migration stream", m->domain);
            ret = -EINVAL;
            goto out;
        }
        /* NEST-DEV-72: caches start empty */
        d->nested = nested_domain_new(s, m->domain, m->format, m->desc,
                                      &dec.table);
    }
out:
    g_free(n->mig);
    n->mig = NULL;
    n->mig_nr = 0;
    return ret;
}

static const VMStateDescription vmstate_nested_domain = {
    .name = "virtio-iommu-nested-domain",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(domain, VirtIOIOMMUNestedMig),
        VMSTATE_UINT16(format, VirtIOIOMMUNestedMig),
        VMSTATE_UINT8_ARRAY(desc, VirtIOIOMMUNestedMig, NESTED_DESC_LEN),
        VMSTATE_END_OF_LIST()
    },
};

static const VMStateDescription vmstate_nested_state = {
    .name = "virtio-iommu-nested-state",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT8_ARRAY(mig_prop, VirtIOIOMMUNested,
                            sizeof(struct virtio_iommu_probe_table_arm_smmuv3)),
        VMSTATE_INT32(mig_nr, VirtIOIOMMUNested),
        VMSTATE_STRUCT_VARRAY_ALLOC(mig, VirtIOIOMMUNested, mig_nr, 1,
                                    vmstate_nested_domain,
                                    VirtIOIOMMUNestedMig),
        VMSTATE_END_OF_LIST()
    },
};

/*
 * Subsection of virtio-iommu-device, sent only when table domains exist:
 * the domains themselves and their endpoint lists migrate in the main
 * section, as bypass == false domains without mappings; this adds their
 * table configuration. Translation caches are not migrated.
 */
const VMStateDescription vmstate_virtio_iommu_nested = {
    .name = "virtio-iommu-device/nested",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = nested_mig_needed,
    .pre_save = nested_pre_save,
    .post_load = nested_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_STRUCT_POINTER(nst, VirtIOIOMMU, vmstate_nested_state,
                               VirtIOIOMMUNested),
        VMSTATE_END_OF_LIST()
    },
};
