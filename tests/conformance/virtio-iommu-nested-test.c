/*
 * Conformance tests of the virtio-iommu device and its nested extension
 *
 * Copyright (c) 2026 The pv-iommu authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * One test per device statement of spec/virtio-iommu-nested.md (NEST-DEV-nn,
 * the extension) and of its section 16 (STD-DEV-nn, the standard), named
 * after the statement: .../virtio-iommu-tests/nested/NEST-DEV-07 and
 * .../virtio-iommu-tests/std/STD-DEV-08. spec/conformance.tsv points here.
 *
 * The tests drive the device as a driver would: they negotiate features,
 * send requests on the request queue, build context descriptors and
 * VMSAv8-64 tables in guest memory and read fault reports from the event
 * queue. DMA comes from two "edu" devices behind the IOMMU (endpoints 0x28
 * and 0x30), so translations are checked end to end: an edu device copies
 * its buffer to an IOVA, and the test looks for the data in guest memory.
 *
 * Built into qos-test by qemu-device/patches (tests/qtest/conformance is
 * a link to this directory).
 */

#include "qemu/osdep.h"
#include "libqtest-single.h"
#include "qemu/bswap.h"
#include "qemu/bitops.h"
#include "qemu/module.h"
#include "qobject/qdict.h"
#include "qobject/qlist.h"
#include "libqos/qgraph.h"
#include "libqos/pci.h"
#include "libqos/virtio.h"
#include "libqos/virtio-pci.h"
#include "libqos/virtio-iommu.h"
#include "standard-headers/linux/virtio_config.h"
#include "standard-headers/linux/virtio_ring.h"
#include "standard-headers/linux/virtio_iommu.h"

/* The extension's wire format, spec/virtio_iommu_nested.h */
#include <linux/types.h>
#define VIRTIO_IOMMU_NESTED_NO_STD_INCLUDE
#include "virtio_iommu_nested.h"

#define TIMEOUT_US          (30 * 1000 * 1000)
#define PROBE_SIZE          512

/* Endpoints: the host bridge at 00.0, edu devices at 05.0 and 06.0 */
#define EP_HOST             0x00
#define EP_EDU0             0x28
#define EP_EDU1             0x30
#define EP_NONE             444

/* Guest memory of the tests: a zeroed arena, 2 MiB aligned */
#define ARENA_SIZE          (16 * 1024 * 1024)
#define ARENA_ALIGN         (2 * 1024 * 1024)

/* The edu device: DMA registers and its 4 KiB buffer at 0x40000 */
#define EDU_DMA_SRC         0x80
#define EDU_DMA_DST         0x88
#define EDU_DMA_CNT         0x90
#define EDU_DMA_CMD         0x98
#define EDU_DMA_RUN         1
#define EDU_DMA_TO_PCI      0   /* read guest memory into the buffer */
#define EDU_DMA_FROM_PCI    2   /* write the buffer to guest memory */
#define EDU_BUF             0x40000
#define EDU_PATTERN_LEN     0x800  /* buffer [0, 0x800): the test pattern */
#define EDU_SCRATCH         0x800  /* buffer [0x800, 0x1000): DMA reads */

/* Event buffers */
#define NR_EVT              16
#define EVT_BUF_LEN         32

/* SMMUv3 context descriptor fields (IHI 0070 5.4) */
#define CD0_T0SZ(x)         ((uint64_t)(x))
#define CD0_TG0(x)          ((uint64_t)(x) << 6)
#define CD0_EPD0            (1ULL << 14)
#define CD0_ENDI            (1ULL << 15)
#define CD0_EPD1            (1ULL << 30)
#define CD0_V               (1ULL << 31)
#define CD0_IPS(x)          ((uint64_t)(x) << 32)
#define CD0_AFFD            (1ULL << 35)
#define CD0_AA64            (1ULL << 41)
#define CD0_HD              (1ULL << 42)
#define CD0_HA              (1ULL << 43)
#define CD0_S               (1ULL << 44)
#define CD0_R               (1ULL << 45)
#define CD0_A               (1ULL << 46)
#define CD0_ASID(x)         ((uint64_t)(x) << 48)
#define CD_L1_V             1ULL

/* VMSAv8-64 descriptors (DDI 0487 D8.3) */
#define PTE_TABLE           3ULL
#define PTE_PAGE            3ULL
#define PTE_BLOCK           1ULL
#define PTE_AP_UNPRIV       (1ULL << 6)
#define PTE_AP_RDONLY       (1ULL << 7)
#define PTE_AF              (1ULL << 10)
#define PTE_RW              (PTE_AF | PTE_AP_UNPRIV)
#define PTE_RO              (PTE_AF | PTE_AP_UNPRIV | PTE_AP_RDONLY)

#define F_NESTED            (1ULL << VIRTIO_IOMMU_F_NESTED)
#define F_DEFAULT           (-1ULL)

typedef struct Edu {
    QPCIDevice *dev;
    QPCIBar bar;
} Edu;

typedef struct Env {
    QTestState *qts;
    QGuestAllocator *alloc;
    QVirtioIOMMU *v;
    QVirtioPCIDevice *pci;
    QVirtioDevice *dev;
    QVirtQueue *evt;
    uint64_t evt_buf[NR_EVT];
    uint64_t offered;
    uint64_t features;
    Edu edu[2];
    uint64_t arena, arena_next, arena_end;
    uint8_t pattern[EDU_PATTERN_LEN];
    char *qom_path;
} Env;

static Env env;

/* Guest memory */

static uint64_t arena_alloc(Env *e, uint64_t size, uint64_t align)
{
    uint64_t addr = QEMU_ALIGN_UP(e->arena_next, align);

    g_assert_cmphex(addr + size, <=, e->arena_end);
    e->arena_next = addr + size;
    return addr;
}

static uint64_t page(Env *e)
{
    return arena_alloc(e, 0x1000, 0x1000);
}

static void wr64(Env *e, uint64_t addr, uint64_t val)
{
    val = cpu_to_le64(val);
    qtest_memwrite(e->qts, addr, &val, sizeof(val));
}

static uint64_t rd64(Env *e, uint64_t addr)
{
    uint64_t val;

    qtest_memread(e->qts, addr, &val, sizeof(val));
    return le64_to_cpu(val);
}

static bool mem_has_pattern(Env *e, uint64_t pa, uint32_t len)
{
    g_autofree uint8_t *buf = g_malloc(len);

    qtest_memread(e->qts, pa, buf, len);
    return !memcmp(buf, e->pattern, len);
}

static bool mem_is_zero(Env *e, uint64_t pa, uint32_t len)
{
    g_autofree uint8_t *buf = g_malloc0(len);
    g_autofree uint8_t *zero = g_malloc0(len);

    qtest_memread(e->qts, pa, buf, len);
    return !memcmp(buf, zero, len);
}

/* Virtqueues */

/* Publish a chain on the available ring without notifying the device */
static void vq_publish(Env *e, QVirtQueue *vq, uint32_t head)
{
    uint16_t idx = qtest_readw(e->qts, vq->avail + 2);

    qtest_writew(e->qts, vq->avail + 4 + 2 * (idx % vq->size), head);
    qtest_writew(e->qts, vq->avail + 2, idx + 1);
}

static void vq_wait_used(Env *e, QVirtQueue *vq, uint32_t head, uint32_t *len)
{
    gint64 start = g_get_monotonic_time();
    uint32_t idx;

    while (!qvirtqueue_get_buf(e->qts, vq, &idx, len)) {
        qtest_clock_step(e->qts, 100);
        g_assert(g_get_monotonic_time() - start <= TIMEOUT_US);
    }
    g_assert_cmpuint(idx, ==, head);
}

/*
 * libqos never reuses descriptors: once every earlier request completed,
 * start again from descriptor 0.
 */
static void vq_recycle(QVirtQueue *vq, unsigned int nr_desc)
{
    if (vq->free_head + nr_desc > vq->size) {
        vq->free_head = 0;
        vq->num_free = vq->size;
    }
}

typedef struct Req {
    const void *ro;
    size_t ro_len;
    uint8_t *wr;
    size_t wr_len;
    uint32_t used;
    uint32_t head;
    uint64_t ro_addr, wr_addr;
} Req;

static void req_post(Env *e, Req *r, bool notify)
{
    QVirtQueue *vq = e->v->vq;

    r->ro_addr = guest_alloc(e->alloc, r->ro_len);
    r->wr_addr = guest_alloc(e->alloc, r->wr_len);
    qtest_memwrite(e->qts, r->ro_addr, r->ro, r->ro_len);
    /* A pattern in the writable part shows what the device wrote */
    qtest_memset(e->qts, r->wr_addr, 0xa5, r->wr_len);
    r->head = qvirtqueue_add(e->qts, vq, r->ro_addr, r->ro_len, false, true);
    qvirtqueue_add(e->qts, vq, r->wr_addr, r->wr_len, true, false);
    if (notify) {
        qvirtqueue_kick(e->qts, e->dev, vq, r->head);
    } else {
        vq_publish(e, vq, r->head);
    }
}

static void req_complete(Env *e, Req *r)
{
    vq_wait_used(e, e->v->vq, r->head, &r->used);
    qtest_memread(e->qts, r->wr_addr, r->wr, r->wr_len);
    guest_free(e->alloc, r->ro_addr);
    guest_free(e->alloc, r->wr_addr);
}

/* The status of a request whose tail is at the end of its writable part */
static uint8_t req_status(const Req *r)
{
    return r->wr[r->wr_len - sizeof(struct virtio_iommu_req_tail)];
}

/* Send a request; return the status, with the used length in @used */
static uint8_t send_raw(Env *e, const void *ro, size_t ro_len, uint8_t *wr,
                        size_t wr_len, uint32_t *used)
{
    Req r = { .ro = ro, .ro_len = ro_len, .wr = wr, .wr_len = wr_len };

    vq_recycle(e->v->vq, 2);
    req_post(e, &r, true);
    req_complete(e, &r);
    *used = r.used;
    return req_status(&r);
}

/*
 * Send a request with a 4-byte tail; check that the device wrote the whole
 * tail with its reserved bytes zero (STD-DEV-10). Returns the status.
 */
static uint8_t send_req(Env *e, const void *ro, size_t ro_len)
{
    uint8_t tail[4];
    uint32_t used;
    uint8_t status = send_raw(e, ro, ro_len, tail, sizeof(tail), &used);

    g_assert_cmpuint(used, ==, sizeof(tail));
    g_assert_cmpuint(tail[1], ==, 0);
    g_assert_cmpuint(tail[2], ==, 0);
    g_assert_cmpuint(tail[3], ==, 0);
    return status;
}

/* Requests */

static uint8_t do_attach(Env *e, uint32_t domain, uint32_t ep, uint32_t flags)
{
    struct virtio_iommu_req_attach req = {
        .head.type = VIRTIO_IOMMU_T_ATTACH,
        .domain = cpu_to_le32(domain),
        .endpoint = cpu_to_le32(ep),
        .flags = cpu_to_le32(flags),
    };

    return send_req(e, &req, offsetof(typeof(req), tail));
}

static uint8_t do_detach(Env *e, uint32_t domain, uint32_t ep)
{
    struct virtio_iommu_req_detach req = {
        .head.type = VIRTIO_IOMMU_T_DETACH,
        .domain = cpu_to_le32(domain),
        .endpoint = cpu_to_le32(ep),
    };

    return send_req(e, &req, offsetof(typeof(req), tail));
}

static uint8_t do_map(Env *e, uint32_t domain, uint64_t start, uint64_t end,
                      uint64_t phys, uint32_t flags)
{
    struct virtio_iommu_req_map req = {
        .head.type = VIRTIO_IOMMU_T_MAP,
        .domain = cpu_to_le32(domain),
        .virt_start = cpu_to_le64(start),
        .virt_end = cpu_to_le64(end),
        .phys_start = cpu_to_le64(phys),
        .flags = cpu_to_le32(flags),
    };

    return send_req(e, &req, offsetof(typeof(req), tail));
}

static uint8_t do_unmap(Env *e, uint32_t domain, uint64_t start, uint64_t end)
{
    struct virtio_iommu_req_unmap req = {
        .head.type = VIRTIO_IOMMU_T_UNMAP,
        .domain = cpu_to_le32(domain),
        .virt_start = cpu_to_le64(start),
        .virt_end = cpu_to_le64(end),
    };

    return send_req(e, &req, offsetof(typeof(req), tail));
}

/* PROBE into @props (PROBE_SIZE bytes); returns the status */
static uint8_t do_probe(Env *e, uint32_t ep, uint8_t *props)
{
    struct virtio_iommu_req_probe req = {
        .head.type = VIRTIO_IOMMU_T_PROBE,
        .endpoint = cpu_to_le32(ep),
    };
    uint8_t buf[PROBE_SIZE + 4];
    uint32_t used;
    uint8_t status;

    status = send_raw(e, &req, offsetof(typeof(req), properties), buf,
                      sizeof(buf), &used);
    g_assert_cmpuint(used, ==, sizeof(buf));
    g_assert_cmpuint(buf[PROBE_SIZE + 1], ==, 0);
    g_assert_cmpuint(buf[PROBE_SIZE + 2], ==, 0);
    g_assert_cmpuint(buf[PROBE_SIZE + 3], ==, 0);
    memcpy(props, buf, PROBE_SIZE);
    return status;
}

/* Find the property of @type in a PROBE reply; NULL if absent */
static const uint8_t *probe_find(const uint8_t *props, uint16_t type,
                                 unsigned int nth)
{
    size_t off = 0;

    while (off + 4 <= PROBE_SIZE) {
        uint16_t t = lduw_le_p(props + off) & VIRTIO_IOMMU_PROBE_T_MASK;
        uint16_t len = lduw_le_p(props + off + 2);

        if (t == VIRTIO_IOMMU_PROBE_T_NONE) {
            return NULL;
        }
        if (t == type && !nth--) {
            return props + off;
        }
        off += 4 + len;
    }
    return NULL;
}

static struct virtio_iommu_req_attach_table at_req(uint32_t domain,
                                                   uint32_t ep, uint64_t ptr,
                                                   uint8_t s1fmt,
                                                   uint8_t s1cdmax,
                                                   uint8_t s1dss)
{
    struct virtio_iommu_req_attach_table req = {
        .head.type = VIRTIO_IOMMU_T_ATTACH_TABLE,
        .domain = cpu_to_le32(domain),
        .endpoint = cpu_to_le32(ep),
        .format = cpu_to_le16(VIRTIO_IOMMU_TABLE_FMT_ARM_SMMUV3),
        .arm_smmuv3 = {
            .s1contextptr = cpu_to_le64(ptr),
            .s1fmt = s1fmt,
            .s1cdmax = s1cdmax,
            .s1dss = s1dss,
        },
    };

    return req;
}

static uint8_t send_at(Env *e, const struct virtio_iommu_req_attach_table *r)
{
    return send_req(e, r, offsetof(typeof(*r), tail));
}

static uint8_t do_attach_table(Env *e, uint32_t domain, uint32_t ep,
                               uint64_t ptr, uint8_t s1fmt, uint8_t s1cdmax,
                               uint8_t s1dss)
{
    struct virtio_iommu_req_attach_table r = at_req(domain, ep, ptr, s1fmt,
                                                    s1cdmax, s1dss);

    return send_at(e, &r);
}

static struct virtio_iommu_inv_entry inv_entry(uint8_t scope, uint8_t flags,
                                               uint16_t asid, uint32_t ssid,
                                               uint64_t addr, uint64_t size)
{
    struct virtio_iommu_inv_entry ent = {
        .scope = scope,
        .flags = flags,
        .asid = cpu_to_le16(asid),
        .ssid = cpu_to_le32(ssid),
        .addr = cpu_to_le64(addr),
        .size = cpu_to_le64(size),
    };

    return ent;
}

/* INVALIDATE of @nr entries, device-readable part of @len bytes */
static uint8_t do_invalidate_len(Env *e, uint32_t domain,
                                 const struct virtio_iommu_inv_entry *ents,
                                 unsigned int nr, size_t len)
{
    size_t hdr = offsetof(struct virtio_iommu_req_invalidate, entries);
    g_autofree uint8_t *buf = g_malloc0(MAX(len, hdr + nr * sizeof(*ents)));
    struct virtio_iommu_req_invalidate *req = (void *)buf;

    req->head.type = VIRTIO_IOMMU_T_INVALIDATE;
    req->domain = cpu_to_le32(domain);
    req->nr_entries = cpu_to_le16(nr);
    memcpy(buf + hdr, ents, nr * sizeof(*ents));
    return send_req(e, buf, len);
}

static uint8_t do_invalidate(Env *e, uint32_t domain,
                             const struct virtio_iommu_inv_entry *ents,
                             unsigned int nr)
{
    return do_invalidate_len(e, domain, ents, nr,
                             offsetof(struct virtio_iommu_req_invalidate,
                                      entries) + nr * sizeof(*ents));
}

static uint8_t inv_one(Env *e, uint32_t domain, uint8_t scope, uint8_t flags,
                       uint16_t asid, uint32_t ssid, uint64_t addr,
                       uint64_t size)
{
    struct virtio_iommu_inv_entry ent = inv_entry(scope, flags, asid, ssid,
                                                  addr, size);

    return do_invalidate(e, domain, &ent, 1);
}

/* An INVALIDATE request with one entry, in @buf; returns its length */
static size_t inv_req1(uint8_t *buf, uint32_t domain,
                       const struct virtio_iommu_inv_entry *ent)
{
    struct virtio_iommu_req_invalidate req = {
        .head.type = VIRTIO_IOMMU_T_INVALIDATE,
        .domain = cpu_to_le32(domain),
        .nr_entries = cpu_to_le16(1),
    };

    memcpy(buf, &req, sizeof(req));
    memcpy(buf + sizeof(req), ent, sizeof(*ent));
    return sizeof(req) + sizeof(*ent);
}

/* Whether a domain exists as a table domain: INVALIDATE answers OK */
static uint8_t probe_domain(Env *e, uint32_t domain)
{
    return inv_one(e, domain, VIRTIO_IOMMU_INV_S_CD_ALL, 0, 0, 0, 0, 0);
}

/* Event queue */

static void evt_setup(Env *e, unsigned int nr)
{
    unsigned int i;

    for (i = 0; i < nr; i++) {
        uint64_t addr = guest_alloc(e->alloc, EVT_BUF_LEN);
        uint32_t head;

        qtest_memset(e->qts, addr, 0xa5, EVT_BUF_LEN);
        head = qvirtqueue_add(e->qts, e->evt, addr, EVT_BUF_LEN, true, false);
        g_assert_cmpuint(head, <, NR_EVT);
        e->evt_buf[head] = addr;
        qvirtqueue_kick(e->qts, e->dev, e->evt, head);
    }
}

/* Take the next fault report, and give its buffer back to the device */
static bool evt_get(Env *e, struct virtio_iommu_fault *f, uint8_t *raw,
                    uint32_t *len)
{
    uint8_t buf[EVT_BUF_LEN];
    uint32_t idx;

    if (!qvirtqueue_get_buf(e->qts, e->evt, &idx, len)) {
        return false;
    }
    g_assert_cmpuint(idx, <, NR_EVT);
    qtest_memread(e->qts, e->evt_buf[idx], buf, sizeof(buf));
    memcpy(f, buf, sizeof(*f));
    if (raw) {
        memcpy(raw, buf, sizeof(buf));
    }
    qtest_memset(e->qts, e->evt_buf[idx], 0xa5, EVT_BUF_LEN);
    qvirtqueue_kick(e->qts, e->dev, e->evt, idx);
    return true;
}

static void expect_fault(Env *e, uint8_t reason, uint32_t flags, uint32_t ep,
                         uint64_t addr)
{
    struct virtio_iommu_fault f;
    uint32_t len;

    g_assert_true(evt_get(e, &f, NULL, &len));
    g_assert_cmpuint(len, ==, sizeof(f));
    g_assert_cmpuint(f.reason, ==, reason);
    g_assert_cmphex(le32_to_cpu(f.flags), ==, flags);
    g_assert_cmphex(le32_to_cpu(f.endpoint), ==, ep);
    if (flags & VIRTIO_IOMMU_FAULT_F_ADDRESS) {
        g_assert_cmphex(le64_to_cpu(f.address), ==, addr);
    }
    g_assert_cmpuint(f.reserved[0] | f.reserved[1] | f.reserved[2], ==, 0);
    if (!(flags & VIRTIO_IOMMU_FAULT_F_SSID)) {
        g_assert_cmpuint(ldl_le_p(f.reserved2), ==, 0);
    }
}

static void expect_no_fault(Env *e)
{
    struct virtio_iommu_fault f;
    uint32_t len;

    g_assert_false(evt_get(e, &f, NULL, &len));
}

/* DMA from the edu devices */

static void edu_dma(Env *e, int i, uint64_t src, uint64_t dst, uint64_t cnt,
                    uint32_t dir)
{
    Edu *d = &e->edu[i];

    qpci_io_writeq(d->dev, d->bar, EDU_DMA_SRC, src);
    qpci_io_writeq(d->dev, d->bar, EDU_DMA_DST, dst);
    qpci_io_writeq(d->dev, d->bar, EDU_DMA_CNT, cnt);
    qpci_io_writeq(d->dev, d->bar, EDU_DMA_CMD, EDU_DMA_RUN | dir);
    /* The edu device starts its DMA after 100 ms of virtual time */
    qtest_clock_step(e->qts, 150 * 1000 * 1000);
    g_assert_cmphex(qpci_io_readq(d->dev, d->bar, EDU_DMA_CMD) & EDU_DMA_RUN,
                    ==, 0);
}

/* edu @i writes the first @len bytes of the pattern at @iova */
static void dma_write(Env *e, int i, uint64_t iova, uint32_t len)
{
    edu_dma(e, i, EDU_BUF, iova, len, EDU_DMA_FROM_PCI);
}

/* edu @i reads @len bytes at @iova into its scratch buffer */
static void dma_read(Env *e, int i, uint64_t iova, uint32_t len)
{
    edu_dma(e, i, iova, EDU_BUF + EDU_SCRATCH, len, EDU_DMA_TO_PCI);
}

/* edu @i writes @len bytes of its scratch buffer at @iova */
static void dma_write_scratch(Env *e, int i, uint64_t iova, uint32_t len)
{
    edu_dma(e, i, EDU_BUF + EDU_SCRATCH, iova, len, EDU_DMA_FROM_PCI);
}

/*
 * Write through @iova and report whether the data landed at @pa. @pa is
 * cleared first.
 */
static bool dma_lands(Env *e, int i, uint64_t iova, uint64_t pa)
{
    qtest_memset(e->qts, pa, 0, 64);
    dma_write(e, i, iova, 64);
    return mem_has_pattern(e, pa, 64);
}

/* Write through @iova: the data must land at @yes and not at @no */
static bool lands_only(Env *e, int i, uint64_t iova, uint64_t yes,
                       uint64_t no)
{
    qtest_memset(e->qts, no, 0, 64);
    return dma_lands(e, i, iova, yes) && mem_is_zero(e, no, 64);
}

/* Stage-1 tables */

typedef struct S1 {
    Env *e;
    unsigned int g;          /* log2 of the granule */
    unsigned int ias;        /* input address bits, 64 - T0SZ */
    unsigned int start;      /* first lookup level */
    uint64_t ttb0;
} S1;

static unsigned int lvl_shift(unsigned int level, unsigned int g)
{
    return g + (3 - level) * (g - 3);
}

static void s1_init(Env *e, S1 *t, unsigned int g, unsigned int ias)
{
    t->e = e;
    t->g = g;
    t->ias = ias;
    t->start = 4 - (ias - 4) / (g - 3);
    t->ttb0 = arena_alloc(e, 1ULL << g, 1ULL << g);
}

/*
 * Map @iova to @pa with a leaf at @leaf (3: page, else block), creating
 * the tables on the way. Returns the address of the leaf descriptor.
 */
static uint64_t s1_map(S1 *t, uint64_t iova, uint64_t pa, unsigned int leaf,
                       uint64_t attrs)
{
    uint64_t table = t->ttb0, mask = (1ULL << (t->g - 3)) - 1, desc, addr;
    unsigned int level;

    for (level = t->start; level < leaf; level++) {
        addr = table + ((iova >> lvl_shift(level, t->g)) & mask) * 8;
        desc = rd64(t->e, addr);
        if (!(desc & 1)) {
            desc = arena_alloc(t->e, 1ULL << t->g, 1ULL << t->g) | PTE_TABLE;
            wr64(t->e, addr, desc);
        }
        table = desc & ~((1ULL << t->g) - 1) & ((1ULL << 48) - 1);
    }
    addr = table + ((iova >> lvl_shift(leaf, t->g)) & mask) * 8;
    wr64(t->e, addr, pa | attrs | (leaf == 3 ? PTE_PAGE : PTE_BLOCK));
    return addr;
}

static uint64_t cd_word0(unsigned int g, unsigned int ias, uint16_t asid)
{
    uint64_t tg0 = g == 12 ? 0 : g == 16 ? 1 : 2;

    /* IPS 0b101: 48 bits, limited by the property's oas */
    return CD0_T0SZ(64 - ias) | CD0_TG0(tg0) | CD0_EPD1 | CD0_V |
           CD0_IPS(5) | CD0_AA64 | CD0_R | CD0_A | CD0_ASID(asid);
}

static void cd_write(Env *e, uint64_t addr, uint64_t w0, uint64_t ttb0)
{
    uint64_t cd[8] = {
        cpu_to_le64(w0), cpu_to_le64(ttb0), 0, cpu_to_le64(0x44ff04),
    };

    qtest_memwrite(e->qts, addr, cd, sizeof(cd));
}

/* A table domain with one CD (s1cdmax = 0) and 4 KiB, 39-bit tables */
typedef struct Nest {
    S1 s1;
    uint64_t cd;
    uint16_t asid;
    uint32_t domain;
} Nest;

static void nest_tables(Env *e, Nest *n, uint16_t asid)
{
    s1_init(e, &n->s1, 12, 39);
    n->asid = asid;
    n->cd = arena_alloc(e, 64, 64);
    cd_write(e, n->cd, cd_word0(12, 39, asid), n->s1.ttb0);
}

static void nest_attach(Env *e, Nest *n, uint32_t domain, uint32_t ep)
{
    n->domain = domain;
    g_assert_cmpuint(do_attach_table(e, domain, ep, n->cd,
                                     VIRTIO_IOMMU_ARM_S1FMT_LINEAR, 0, 0),
                     ==, VIRTIO_IOMMU_S_OK);
}

static void nest_setup(Env *e, Nest *n, uint32_t domain, uint32_t ep,
                       uint16_t asid)
{
    nest_tables(e, n, asid);
    nest_attach(e, n, domain, ep);
}

/* Device set-up */

static int64_t get_stat(Env *e, const char *name)
{
    QDict *rsp, *ret;
    int64_t val;

    rsp = qtest_qmp(e->qts, "{'execute': 'qom-get', 'arguments': "
                    "{'path': %s, 'property': 'stats'}}", e->qom_path);
    g_assert(qdict_haskey(rsp, "return"));
    ret = qdict_get_qdict(rsp, "return");
    g_assert(qdict_haskey(ret, name));
    val = qdict_get_int(ret, name);
    qobject_unref(rsp);
    return val;
}

static char *find_viommu_path(QTestState *qts)
{
    QDict *rsp = qtest_qmp(qts, "{'execute': 'qom-list', 'arguments': "
                           "{'path': '/machine/peripheral-anon'}}");
    QList *list = qdict_get_qlist(rsp, "return");
    char *path = NULL;
    QListEntry *ent;

    QLIST_FOREACH_ENTRY(list, ent) {
        QDict *prop = qobject_to(QDict, qlist_entry_obj(ent));

        if (!strcmp(qdict_get_str(prop, "type"),
                    "child<virtio-iommu-pci>")) {
            path = g_strdup_printf("/machine/peripheral-anon/%s/virtio-backend",
                                   qdict_get_str(prop, "name"));
        }
    }
    qobject_unref(rsp);
    g_assert(path);
    return path;
}

static void write_bypass(Env *e, uint8_t val)
{
    qpci_io_writeb(e->pci->pdev, e->pci->bar, e->pci->device_cfg_offset + 36,
                   val);
}

/*
 * Reset the device and negotiate @features (all that the libqos driver
 * takes if F_DEFAULT) with request and event queues; @nr_evt event
 * buffers.
 */
static void device_init(Env *e, uint64_t features, unsigned int nr_evt)
{
    QVirtioDevice *dev = e->dev;

    if (e->v->vq) {
        qvirtqueue_cleanup(dev->bus, e->v->vq, e->alloc);
        e->v->vq = NULL;
    }
    if (e->evt) {
        qvirtqueue_cleanup(dev->bus, e->evt, e->alloc);
        e->evt = NULL;
    }
    qvirtio_reset(dev);
    qvirtio_set_acknowledge(dev);
    qvirtio_set_driver(dev);
    e->offered = qvirtio_get_features(dev);
    e->features = e->offered & features &
                  ~(QVIRTIO_F_BAD_FEATURE |
                    (1ULL << VIRTIO_RING_F_INDIRECT_DESC) |
                    (1ULL << VIRTIO_RING_F_EVENT_IDX) |
                    (1ULL << VIRTIO_IOMMU_F_BYPASS));
    qvirtio_set_features(dev, e->features);
    e->v->vq = qvirtqueue_setup(dev, e->alloc, 0);
    e->evt = qvirtqueue_setup(dev, e->alloc, 1);
    qvirtio_set_driver_ok(dev);
    evt_setup(e, nr_evt);
}

static void env_init_full(void *obj, QGuestAllocator *alloc,
                          uint64_t features, unsigned int nr_evt)
{
    Env *e = &env;
    QVirtioIOMMUPCI *vpci;
    QPCIBus *bus;
    uint64_t staging;
    int i;

    g_free(e->qom_path);
    memset(e, 0, sizeof(*e));
    e->qts = global_qtest;
    e->alloc = alloc;
    e->v = obj;
    e->dev = e->v->vdev;
    vpci = container_of(e->v, QVirtioIOMMUPCI, iommu);
    e->pci = &vpci->pci_vdev;
    bus = e->pci->pdev->bus;
    e->qom_path = find_viommu_path(e->qts);

    e->arena = guest_alloc(alloc, ARENA_SIZE + ARENA_ALIGN);
    e->arena_next = QEMU_ALIGN_UP(e->arena, ARENA_ALIGN);
    e->arena_end = e->arena + ARENA_SIZE + ARENA_ALIGN;
    qtest_memset(e->qts, e->arena, 0, ARENA_SIZE + ARENA_ALIGN);

    for (i = 0; i < EDU_PATTERN_LEN; i++) {
        e->pattern[i] = 0x11 + i * 7 + (i >> 8);
    }
    staging = arena_alloc(e, EDU_PATTERN_LEN, 0x1000);
    qtest_memwrite(e->qts, staging, e->pattern, EDU_PATTERN_LEN);

    device_init(e, features, nr_evt);

    /* Load the pattern into both edu devices while they bypass the IOMMU */
    for (i = 0; i < 2; i++) {
        e->edu[i].dev = qpci_device_find(bus, QPCI_DEVFN(5 + i, 0));
        g_assert(e->edu[i].dev);
        qpci_device_enable(e->edu[i].dev);
        e->edu[i].bar = qpci_iomap(e->edu[i].dev, 0, NULL);
        edu_dma(e, i, staging, EDU_BUF, EDU_PATTERN_LEN, EDU_DMA_TO_PCI);
    }
}

static Env *env_init(void *obj, QGuestAllocator *alloc)
{
    env_init_full(obj, alloc, F_DEFAULT, NR_EVT);
    return &env;
}

static void env_fini(Env *e)
{
    int i;

    for (i = 0; i < 2; i++) {
        g_free(e->edu[i].dev);
        e->edu[i].dev = NULL;
    }
}

static void *add_edu(GString *cmd_line, void *arg)
{
    /* DMA anywhere: edu limits its addresses to 28 bits by default */
    g_string_append(cmd_line,
                    " -device edu,addr=05.0,dma_mask=0xffffffffffffffff"
                    " -device edu,addr=06.0,dma_mask=0xffffffffffffffff ");
    return arg;
}

/*
 * Tests. Each starts from a freshly negotiated device (env_init()); IOVAs
 * are below 256 MiB, output addresses are pages of the arena.
 */

#define IOVA0               0x100000ULL
#define IOVA1               0x301000ULL
#define IOVA2               0x7654000ULL

#define S_OK                VIRTIO_IOMMU_S_OK
#define S_INVAL             VIRTIO_IOMMU_S_INVAL
#define S_NOENT             VIRTIO_IOMMU_S_NOENT
#define S_RANGE             VIRTIO_IOMMU_S_RANGE
#define S_UNSUPP            VIRTIO_IOMMU_S_UNSUPP
#define LINEAR              VIRTIO_IOMMU_ARM_S1FMT_LINEAR
#define FMT_2L_4K           VIRTIO_IOMMU_ARM_S1FMT_2L_4K
#define FMT_2L_64K          VIRTIO_IOMMU_ARM_S1FMT_2L_64K
#define DSS_TERMINATE       VIRTIO_IOMMU_ARM_S1DSS_TERMINATE
#define DSS_BYPASS          VIRTIO_IOMMU_ARM_S1DSS_BYPASS
#define DSS_SSID0           VIRTIO_IOMMU_ARM_S1DSS_SSID0
#define MAP_RW              (VIRTIO_IOMMU_MAP_F_READ | VIRTIO_IOMMU_MAP_F_WRITE)
#define FAULT_W             (VIRTIO_IOMMU_FAULT_F_WRITE | \
                             VIRTIO_IOMMU_FAULT_F_ADDRESS)
#define FAULT_R             (VIRTIO_IOMMU_FAULT_F_READ | \
                             VIRTIO_IOMMU_FAULT_F_ADDRESS)

#define TEST(fn) \
    static void fn(void *obj, void *data, QGuestAllocator *alloc)

/* The TABLE_FORMAT property of @ep, or NULL */
static const struct virtio_iommu_probe_table_arm_smmuv3 *
table_format(Env *e, uint32_t ep, uint8_t *props)
{
    g_assert_cmpuint(do_probe(e, ep, props), ==, S_OK);
    return (const void *)probe_find(props, VIRTIO_IOMMU_PROBE_T_TABLE_FORMAT,
                                    0);
}

/*
 * A table domain whose only mapping, IOVA0, has just been used by edu 0:
 * the translation is cached. Returns the leaf descriptor's address.
 */
static uint64_t cached_mapping(Env *e, Nest *n, uint64_t pa)
{
    uint64_t leaf;

    nest_setup(e, n, 1, EP_EDU0, 1);
    leaf = s1_map(&n->s1, IOVA0, pa, 3, PTE_RW);
    g_assert_true(dma_lands(e, 0, IOVA0, pa));
    return leaf;
}

/* Change the leaf of IOVA0 to @pa, without invalidating */
static void remap(Env *e, uint64_t leaf, uint64_t pa)
{
    wr64(e, leaf, pa | PTE_RW | PTE_PAGE);
}

/* Nested extension: requests */

TEST(nest_dev_01)
{
    Env *e = env_init(obj, alloc);
    Nest n;
    struct virtio_iommu_req_attach_table at;
    struct virtio_iommu_inv_entry ent = inv_entry(VIRTIO_IOMMU_INV_S_CD_ALL,
                                                  0, 0, 0, 0, 0);
    uint8_t inv[48];
    struct virtio_iommu_req_detach det = {
        .head.type = VIRTIO_IOMMU_T_DETACH,
        .domain = cpu_to_le32(1),
        .endpoint = cpu_to_le32(EP_EDU0),
    };
    uint8_t tails[4][4];
    Req r[4] = {
        { &at, offsetof(typeof(at), tail), tails[0], 4 },
        { inv, sizeof(inv), tails[1], 4 },
        { &det, offsetof(typeof(det), tail), tails[2], 4 },
        { inv, sizeof(inv), tails[3], 4 },
    };
    int i;

    nest_tables(e, &n, 1);
    at = at_req(1, EP_EDU0, n.cd, LINEAR, 0, 0);
    g_assert_cmpuint(inv_req1(inv, 1, &ent), ==, sizeof(inv));
    /* 1. Four requests made available together, one notification */
    vq_recycle(e->v->vq, 8);
    for (i = 0; i < 4; i++) {
        req_post(e, &r[i], i == 3);
    }
    for (i = 0; i < 4; i++) {
        req_complete(e, &r[i]);
    }
    /* 2. Each saw the effects of the previous ones */
    g_assert_cmpuint(req_status(&r[0]), ==, S_OK);
    g_assert_cmpuint(req_status(&r[1]), ==, S_OK);
    g_assert_cmpuint(req_status(&r[2]), ==, S_OK);
    g_assert_cmpuint(req_status(&r[3]), ==, S_NOENT);
    env_fini(e);
}

TEST(nest_dev_02)
{
    Env *e = env_init(obj, alloc);

    g_assert_true(e->offered & F_NESTED);
    g_assert_true(e->offered & (1ULL << VIRTIO_IOMMU_F_MAP_UNMAP));
    env_fini(e);
}

TEST(nest_dev_03)
{
    Env *e = env_init(obj, alloc);

    g_assert_true(e->offered & F_NESTED);
    g_assert_true(e->offered & (1ULL << VIRTIO_IOMMU_F_PROBE));
    env_fini(e);
}

TEST(nest_dev_04)
{
    Env *e = env_init(obj, alloc);
    uint64_t pa = page(e);
    Nest n;

    g_assert_true(e->features & F_NESTED);
    /* 1. Endpoint 0 in a table domain, edu 0 in a mapped domain */
    nest_setup(e, &n, 1, EP_HOST, 1);
    g_assert_cmpuint(do_attach(e, 2, EP_EDU0, 0), ==, S_OK);
    g_assert_cmpuint(do_map(e, 2, IOVA0, IOVA0 + 0xfff, pa, MAP_RW), ==, S_OK);
    /* 2. MAP translates */
    g_assert_true(dma_lands(e, 0, IOVA0, pa));
    expect_no_fault(e);
    /* 3. UNMAP removes the translation */
    g_assert_cmpuint(do_unmap(e, 2, IOVA0, IOVA0 + 0xfff), ==, S_OK);
    g_assert_false(dma_lands(e, 0, IOVA0, pa));
    expect_fault(e, VIRTIO_IOMMU_FAULT_R_MAPPING, VIRTIO_IOMMU_FAULT_F_ADDRESS,
                 EP_EDU0, IOVA0);
    env_fini(e);
}

/* Send a request of @type that a device without the feature must ignore */
static void expect_unrecognized(Env *e, const void *req, size_t len)
{
    uint8_t tail[4];
    uint32_t used;

    send_raw(e, req, len, tail, sizeof(tail), &used);
    g_assert_cmpuint(used, ==, 0);
    g_assert_cmphex((uint32_t)ldl_le_p(tail), ==, 0xa5a5a5a5);
}

TEST(nest_dev_05)
{
    Env *e;
    struct virtio_iommu_req_attach_table at;
    struct virtio_iommu_inv_entry ent = inv_entry(VIRTIO_IOMMU_INV_S_DOMAIN,
                                                  0, 0, 0, 0, 0);
    uint8_t inv[48];
    uint64_t pa;
    Nest n;

    env_init_full(obj, alloc, ~F_NESTED, NR_EVT);
    e = &env;
    g_assert_false(e->features & F_NESTED);
    nest_tables(e, &n, 1);
    pa = page(e);
    s1_map(&n.s1, IOVA0, pa, 3, PTE_RW);
    /* 1. ATTACH_TABLE creates no domain and attaches nothing */
    at = at_req(1, EP_EDU0, n.cd, LINEAR, 0, 0);
    expect_unrecognized(e, &at, offsetof(typeof(at), tail));
    g_assert_cmpuint(do_map(e, 1, 0, 0xfff, pa, MAP_RW), ==, S_NOENT);
    /* edu 0 still bypasses the IOMMU: the IOVA is the address */
    g_assert_true(dma_lands(e, 0, pa, pa));
    /* 2. INVALIDATE does nothing to a mapped domain */
    g_assert_cmpuint(do_attach(e, 2, EP_EDU0, 0), ==, S_OK);
    g_assert_cmpuint(do_map(e, 2, IOVA0, IOVA0 + 0xfff, pa, MAP_RW), ==, S_OK);
    g_assert_true(dma_lands(e, 0, IOVA0, pa));
    expect_unrecognized(e, inv, inv_req1(inv, 2, &ent));
    g_assert_true(dma_lands(e, 0, IOVA0, pa));
    env_fini(e);
}

TEST(nest_dev_06)
{
    Env *e;
    Nest n;
    struct virtio_iommu_req_attach_table at;
    struct virtio_iommu_inv_entry ent = inv_entry(VIRTIO_IOMMU_INV_S_DOMAIN,
                                                  0, 0, 0, 0, 0);
    uint8_t inv[48];

    env_init_full(obj, alloc, ~F_NESTED, NR_EVT);
    e = &env;
    nest_tables(e, &n, 1);
    at = at_req(1, EP_EDU0, n.cd, LINEAR, 0, 0);
    /* Used length 0, buffer unwritten, as for an unknown type */
    expect_unrecognized(e, &at, offsetof(typeof(at), tail));
    expect_unrecognized(e, inv, inv_req1(inv, 1, &ent));
    /* The device is still working */
    g_assert_cmpuint(do_attach(e, 1, EP_EDU0, 0), ==, S_OK);
    env_fini(e);
}

TEST(nest_dev_07)
{
    Env *e;
    uint8_t props[PROBE_SIZE];

    env_init_full(obj, alloc, ~F_NESTED, NR_EVT);
    e = &env;
    g_assert_null(table_format(e, EP_EDU0, props));
    g_assert_null(table_format(e, EP_HOST, props));
    /* With the feature, the same endpoint has one */
    device_init(e, F_DEFAULT, NR_EVT);
    g_assert_nonnull(table_format(e, EP_EDU0, props));
    env_fini(e);
}

TEST(nest_dev_08)
{
    Env *e;
    struct virtio_iommu_fault f;
    uint32_t len;

    env_init_full(obj, alloc, ~F_NESTED, NR_EVT);
    e = &env;
    /* A faulting access of an endpoint in a mapped domain */
    g_assert_cmpuint(do_attach(e, 1, EP_EDU0, 0), ==, S_OK);
    dma_write(e, 0, IOVA0, 64);
    g_assert_true(evt_get(e, &f, NULL, &len));
    g_assert_cmpuint(f.reason, <, VIRTIO_IOMMU_FAULT_R_S1_TRANSLATION);
    g_assert_false(le32_to_cpu(f.flags) & VIRTIO_IOMMU_FAULT_F_SSID);
    g_assert_cmpuint(ldl_le_p(f.reserved2), ==, 0);
    env_fini(e);
}

TEST(nest_dev_09)
{
    Env *e = env_init(obj, alloc);
    uint64_t pa = page(e);
    Nest n;

    nest_setup(e, &n, 1, EP_EDU0, 1);
    s1_map(&n.s1, IOVA0, pa, 3, PTE_RW);
    g_assert_cmpuint(do_map(e, 1, IOVA1, IOVA1 + 0xfff, pa, MAP_RW), ==,
                     S_INVAL);
    g_assert_cmpuint(do_unmap(e, 1, 0, ~0ULL), ==, S_INVAL);
    /* Still the same table domain */
    g_assert_true(dma_lands(e, 0, IOVA0, pa));
    g_assert_false(dma_lands(e, 0, IOVA1, pa));
    expect_fault(e, VIRTIO_IOMMU_FAULT_R_S1_TRANSLATION, FAULT_W, EP_EDU0,
                 IOVA1);
    g_assert_cmpuint(probe_domain(e, 1), ==, S_OK);
    env_fini(e);
}

TEST(nest_dev_10)
{
    Env *e = env_init(obj, alloc);
    uint64_t pa = page(e), pa2 = page(e);
    Nest n;

    nest_setup(e, &n, 1, EP_EDU0, 1);
    s1_map(&n.s1, IOVA0, pa, 3, PTE_RW);
    g_assert_cmpuint(do_attach(e, 2, EP_EDU1, 0), ==, S_OK);
    g_assert_cmpuint(do_map(e, 2, IOVA0, IOVA0 + 0xfff, pa2, MAP_RW), ==, S_OK);
    /* 1. An endpoint of the domain itself, and one of a mapped domain */
    g_assert_cmpuint(do_attach(e, 1, EP_EDU0, 0), ==, S_INVAL);
    g_assert_cmpuint(do_attach(e, 1, EP_EDU1, 0), ==, S_INVAL);
    g_assert_cmpuint(do_attach(e, 1, EP_EDU1, VIRTIO_IOMMU_ATTACH_F_BYPASS),
                     ==, S_INVAL);
    /* 2. Both stay where they were */
    g_assert_true(dma_lands(e, 0, IOVA0, pa));
    g_assert_true(dma_lands(e, 1, IOVA0, pa2));
    expect_no_fault(e);
    env_fini(e);
}

TEST(nest_dev_11)
{
    Env *e = env_init(obj, alloc);
    uint64_t pa = page(e), pa2 = page(e);
    Nest n;

    nest_setup(e, &n, 1, EP_EDU0, 1);
    s1_map(&n.s1, IOVA0, pa, 3, PTE_RW);
    g_assert_true(dma_lands(e, 0, IOVA0, pa));
    g_assert_cmpuint(do_attach(e, 2, EP_EDU1, 0), ==, S_OK);
    g_assert_cmpuint(do_map(e, 2, IOVA0, IOVA0 + 0xfff, pa2, MAP_RW), ==, S_OK);
    /* ATTACH moves edu 0 to the mapped domain; the table domain dies */
    g_assert_cmpuint(do_attach(e, 2, EP_EDU0, 0), ==, S_OK);
    g_assert_true(lands_only(e, 0, IOVA0, pa2, pa));
    g_assert_cmpuint(probe_domain(e, 1), ==, S_NOENT);
    expect_no_fault(e);
    env_fini(e);
}

/* Nested extension: TABLE_FORMAT */

TEST(nest_dev_12)
{
    Env *e = env_init(obj, alloc);
    uint8_t props[PROBE_SIZE];
    const uint32_t eps[] = { EP_HOST, EP_EDU0, EP_EDU1 };
    unsigned int i, nth;

    for (i = 0; i < ARRAY_SIZE(eps); i++) {
        g_assert_cmpuint(do_probe(e, eps[i], props), ==, S_OK);
        for (nth = 0;; nth++) {
            const struct virtio_iommu_probe_table_format *p =
                (const void *)probe_find(props,
                                         VIRTIO_IOMMU_PROBE_T_TABLE_FORMAT,
                                         nth);
            if (!p) {
                break;
            }
            g_assert_cmpuint(le16_to_cpu(p->format), ==,
                             VIRTIO_IOMMU_TABLE_FMT_ARM_SMMUV3);
        }
        g_assert_cmpuint(nth, ==, 1);
    }
    env_fini(e);
}

TEST(nest_dev_13)
{
    Env *e = env_init(obj, alloc);
    uint8_t props[PROBE_SIZE];
    const struct virtio_iommu_probe_table_arm_smmuv3 *p;

    p = table_format(e, EP_EDU0, props);
    g_assert_nonnull(p);
    g_assert_cmpuint(le16_to_cpu(p->head.length), ==, 28);
    env_fini(e);
}

TEST(nest_dev_14)
{
    Env *e = env_init(obj, alloc);
    uint8_t props[PROBE_SIZE];
    const struct virtio_iommu_probe_table_arm_smmuv3 *p;

    p = table_format(e, EP_EDU0, props);
    g_assert_nonnull(p);
    g_assert_cmpuint(p->reserved0, ==, 0);
    g_assert_cmpuint(le32_to_cpu(p->reserved1), ==, 0);
    g_assert_cmpuint(le32_to_cpu(p->reserved2), ==, 0);
    g_assert_cmphex(le32_to_cpu(p->cd_formats) &
                    ~(VIRTIO_IOMMU_ARM_CDTAB_LINEAR |
                      VIRTIO_IOMMU_ARM_CDTAB_2L_4K |
                      VIRTIO_IOMMU_ARM_CDTAB_2L_64K), ==, 0);
    g_assert_cmphex(le32_to_cpu(p->granules) &
                    ~(VIRTIO_IOMMU_ARM_GRAN_4K | VIRTIO_IOMMU_ARM_GRAN_16K |
                      VIRTIO_IOMMU_ARM_GRAN_64K), ==, 0);
    g_assert_cmphex(le32_to_cpu(p->flags) & ~VIRTIO_IOMMU_ARM_F_MASK, ==, 0);
    env_fini(e);
}

TEST(nest_dev_15)
{
    Env *e = env_init(obj, alloc);
    uint8_t props[PROBE_SIZE];
    const struct virtio_iommu_probe_table_arm_smmuv3 *p;
    uint32_t flags;

    p = table_format(e, EP_EDU0, props);
    g_assert_nonnull(p);
    flags = le32_to_cpu(p->flags);
    g_assert_cmpuint(p->ssid_bits, <=, 20);
    g_assert_true(p->asid_bits == 8 || p->asid_bits == 16);
    g_assert_cmpuint(p->ias, >=, 32);
    g_assert_cmpuint(p->ias, <=, 52);
    g_assert_true(p->oas == 32 || p->oas == 36 || p->oas == 40 ||
                  p->oas == 42 || p->oas == 44 || p->oas == 48 ||
                  p->oas == 52);
    g_assert_cmpuint(p->bbml, <=, 2);
    g_assert_true(le32_to_cpu(p->cd_formats) & VIRTIO_IOMMU_ARM_CDTAB_LINEAR);
    g_assert_cmphex(le32_to_cpu(p->granules), !=, 0);
    g_assert_true(flags & (VIRTIO_IOMMU_ARM_F_TT_LE |
                           VIRTIO_IOMMU_ARM_F_TT_BE));
    g_assert_true(!(flags & VIRTIO_IOMMU_ARM_F_STALL_FORCE) ||
                  (flags & VIRTIO_IOMMU_ARM_F_STALL));
    env_fini(e);
}

/*
 * A CD table for (@s1fmt, @s1cdmax) whose CD @index is (@w0, @ttb0);
 * returns its address.
 */
static uint64_t cdtab_build(Env *e, uint8_t s1fmt, uint8_t s1cdmax,
                            uint32_t index, uint64_t w0, uint64_t ttb0)
{
    uint64_t base, leaf, l1_size, leaf_size;
    unsigned int split;

    if (!s1cdmax || s1fmt == LINEAR) {
        base = arena_alloc(e, 64ULL << s1cdmax, 64ULL << s1cdmax);
        cd_write(e, base + index * 64, w0, ttb0);
        return base;
    }
    split = s1fmt == FMT_2L_4K ? 6 : 10;
    l1_size = 8ULL << (s1cdmax > split ? s1cdmax - split : 0);
    base = arena_alloc(e, MAX(l1_size, 64), MAX(l1_size, 64));
    leaf_size = 64ULL << split;
    leaf = arena_alloc(e, leaf_size, leaf_size);
    wr64(e, base + (index >> split) * 8, leaf | CD_L1_V);
    cd_write(e, leaf + (index & ((1U << split) - 1)) * 64, w0, ttb0);
    return base;
}

/* NEST-DEV-16: every reported granule, CD table format and size works */
TEST(nest_dev_16)
{
    Env *e = env_init(obj, alloc);
    static const struct {
        unsigned int g, ias;
        uint8_t s1fmt, s1cdmax;
        unsigned int leaf;
    } cfg[] = {
        { 12, 39, LINEAR, 0, 3 },
        { 12, 48, LINEAR, 0, 3 },
        { 12, 32, LINEAR, 0, 3 },
        { 12, 39, LINEAR, 0, 2 },        /* 2 MiB block */
        { 12, 48, LINEAR, 3, 3 },
        { 12, 39, FMT_2L_4K, 8, 3 },
        { 12, 39, FMT_2L_64K, 12, 3 },
        { 14, 47, LINEAR, 0, 3 },
        { 14, 36, FMT_2L_4K, 1, 3 },
        { 16, 42, LINEAR, 0, 3 },
        { 16, 48, FMT_2L_64K, 2, 3 },
    };
    uint8_t props[PROBE_SIZE];
    const struct virtio_iommu_probe_table_arm_smmuv3 *p;
    unsigned int i;

    p = table_format(e, EP_EDU0, props);
    g_assert_nonnull(p);
    for (i = 0; i < ARRAY_SIZE(cfg); i++) {
        uint64_t gran = 1ULL << cfg[i].g, size, pa, ptr, iova;
        uint32_t gbit = cfg[i].g == 12 ? VIRTIO_IOMMU_ARM_GRAN_4K :
                        cfg[i].g == 14 ? VIRTIO_IOMMU_ARM_GRAN_16K :
                        VIRTIO_IOMMU_ARM_GRAN_64K;
        S1 t;

        if (!(le32_to_cpu(p->granules) & gbit) ||
            !(le32_to_cpu(p->cd_formats) & BIT(cfg[i].s1fmt)) ||
            cfg[i].s1cdmax > p->ssid_bits) {
            continue;
        }
        size = 1ULL << lvl_shift(cfg[i].leaf, cfg[i].g);
        pa = arena_alloc(e, size, size);
        /* An IOVA that uses every level, inside the input range */
        iova = 0x5a5a5a5a5a5aULL & ((1ULL << cfg[i].ias) - 1) & ~(size - 1);
        s1_init(e, &t, cfg[i].g, cfg[i].ias);
        s1_map(&t, iova, pa, cfg[i].leaf, PTE_RW);
        ptr = cdtab_build(e, cfg[i].s1fmt, cfg[i].s1cdmax, 0,
                          cd_word0(cfg[i].g, cfg[i].ias, 10 + i), t.ttb0);
        g_assert_cmpuint(do_attach_table(e, 100 + i, EP_EDU0, ptr,
                                         cfg[i].s1fmt, cfg[i].s1cdmax,
                                         cfg[i].s1cdmax ? DSS_SSID0 : 0),
                         ==, S_OK);
        /* The first and the last granule of the page or block */
        g_assert_true(dma_lands(e, 0, iova, pa));
        g_assert_true(dma_lands(e, 0, iova + size - gran + 0x40,
                                pa + size - gran + 0x40));
        expect_no_fault(e);
    }
    env_fini(e);
}

TEST(nest_dev_17)
{
    Env *e = env_init(obj, alloc);
    uint8_t a[PROBE_SIZE], b[PROBE_SIZE];

    g_assert_cmpuint(do_probe(e, EP_EDU0, a), ==, S_OK);
    g_assert_cmpuint(do_probe(e, EP_EDU0, b), ==, S_OK);
    g_assert_cmpmem(a, PROBE_SIZE, b, PROBE_SIZE);
    /* Still the same after a device reset */
    device_init(e, F_DEFAULT, NR_EVT);
    g_assert_cmpuint(do_probe(e, EP_EDU0, b), ==, S_OK);
    g_assert_cmpmem(a, PROBE_SIZE, b, PROBE_SIZE);
    env_fini(e);
}

TEST(nest_dev_19)
{
    Env *e = env_init(obj, alloc);
    uint8_t props[PROBE_SIZE];
    const struct virtio_iommu_probe_table_arm_smmuv3 *p;

    p = table_format(e, EP_EDU0, props);
    g_assert_nonnull(p);
    /* Guest RAM of the qos virt machine: [0x40000000, 0x60000000) */
    g_assert_cmphex(e->arena_end - 1, <, 1ULL << p->oas);
    g_assert_cmpuint(p->oas, ==, 32);
    env_fini(e);
}

/* Nested extension: ATTACH_TABLE */

TEST(nest_dev_20)
{
    Env *e = env_init(obj, alloc);
    Nest n;
    struct virtio_iommu_req_attach_table r;
    size_t len;

    nest_tables(e, &n, 1);
    r = at_req(1, EP_EDU0, n.cd, LINEAR, 0, 0);
    for (len = 4; len < offsetof(typeof(r), tail); len += 4) {
        g_assert_cmpuint(send_req(e, &r, len), ==, S_INVAL);
    }
    g_assert_cmpuint(probe_domain(e, 1), ==, S_NOENT);
    g_assert_cmpuint(send_at(e, &r), ==, S_OK);
    env_fini(e);
}

TEST(nest_dev_21)
{
    Env *e = env_init(obj, alloc);
    Nest n;
    struct virtio_iommu_req_attach_table r;
    unsigned int i;

    nest_tables(e, &n, 1);
    for (i = 0; i < sizeof(r.reserved); i++) {
        r = at_req(1, EP_EDU0, n.cd, LINEAR, 0, 0);
        r.reserved[i] = 1;
        g_assert_cmpuint(send_at(e, &r), ==, S_INVAL);
    }
    for (i = 0; i < sizeof(r.reserved1); i++) {
        r = at_req(1, EP_EDU0, n.cd, LINEAR, 0, 0);
        r.reserved1[i] = 0x80;
        g_assert_cmpuint(send_at(e, &r), ==, S_INVAL);
    }
    for (i = 0; i < sizeof(r.arm_smmuv3.reserved); i++) {
        r = at_req(1, EP_EDU0, n.cd, LINEAR, 0, 0);
        r.arm_smmuv3.reserved[i] = 0xff;
        g_assert_cmpuint(send_at(e, &r), ==, S_INVAL);
    }
    g_assert_cmpuint(probe_domain(e, 1), ==, S_NOENT);
    env_fini(e);
}

TEST(nest_dev_22)
{
    Env *e = env_init(obj, alloc);
    Nest n;
    struct virtio_iommu_req_attach_table r;
    unsigned int bit;

    nest_tables(e, &n, 1);
    for (bit = 0; bit < 32; bit++) {
        r = at_req(1, EP_EDU0, n.cd, LINEAR, 0, 0);
        r.flags = cpu_to_le32(1U << bit);
        g_assert_cmpuint(send_at(e, &r), ==, S_INVAL);
    }
    g_assert_cmpuint(probe_domain(e, 1), ==, S_NOENT);
    env_fini(e);
}

TEST(nest_dev_23)
{
    Env *e = env_init(obj, alloc);
    uint32_t start = qvirtio_config_readl(e->dev, 24);
    uint32_t end = qvirtio_config_readl(e->dev, 28);
    Nest n;

    /*
     * This device's domain_range covers every ID, so no request can be
     * out of range: check both ends are accepted.
     */
    g_assert_true(e->features & (1ULL << VIRTIO_IOMMU_F_DOMAIN_RANGE));
    g_assert_cmpuint(start, ==, 0);
    g_assert_cmpuint(end, ==, UINT32_MAX);
    nest_setup(e, &n, UINT32_MAX, EP_EDU0, 1);
    nest_attach(e, &n, 0, EP_EDU1);
    env_fini(e);
}

TEST(nest_dev_24)
{
    Env *e = env_init(obj, alloc);
    Nest n;

    nest_tables(e, &n, 1);
    g_assert_cmpuint(do_attach_table(e, 1, EP_NONE, n.cd, LINEAR, 0, 0), ==,
                     S_NOENT);
    /* 05.1: no device */
    g_assert_cmpuint(do_attach_table(e, 1, EP_EDU0 + 1, n.cd, LINEAR, 0, 0),
                     ==, S_NOENT);
    g_assert_cmpuint(do_attach_table(e, 1, UINT32_MAX, n.cd, LINEAR, 0, 0),
                     ==, S_NOENT);
    g_assert_cmpuint(probe_domain(e, 1), ==, S_NOENT);
    env_fini(e);
}

TEST(nest_dev_25)
{
    Env *e = env_init(obj, alloc);
    const uint16_t formats[] = { 0, 2, 3, 0x100, 0xffff };
    struct virtio_iommu_req_attach_table r;
    unsigned int i;
    Nest n;

    nest_tables(e, &n, 1);
    for (i = 0; i < ARRAY_SIZE(formats); i++) {
        r = at_req(1, EP_EDU0, n.cd, LINEAR, 0, 0);
        r.format = cpu_to_le16(formats[i]);
        g_assert_cmpuint(send_at(e, &r), ==, S_UNSUPP);
    }
    g_assert_cmpuint(probe_domain(e, 1), ==, S_NOENT);
    env_fini(e);
}

TEST(nest_dev_26)
{
    Env *e = env_init(obj, alloc);
    uint64_t ptr = arena_alloc(e, 4096, 4096);
    struct virtio_iommu_req_attach_table r;
    struct virtio_iommu_table_arm_smmuv3 *t = &r.arm_smmuv3;
    unsigned int i;

    for (i = 0; i < 9; i++) {
        r = at_req(1, EP_EDU0, ptr, LINEAR, 1, 0);
        switch (i) {
        case 0:
            t->s1fmt = 3;
            break;
        case 1:
            t->s1fmt = 0xff;
            break;
        case 2:
            t->s1cdmax = 21;        /* ssid_bits is 20 */
            break;
        case 3:
            t->s1cdmax = 0;
            t->s1fmt = FMT_2L_4K;
            break;
        case 4:
            t->s1dss = 3;
            break;
        case 5:
            t->s1cir = 4;
            break;
        case 6:
            t->s1cor = 4;
            break;
        case 7:
            t->s1csh = 1;
            break;
        case 8:
            t->s1csh = 4;
            break;
        }
        g_assert_cmpuint(send_at(e, &r), ==, S_INVAL);
    }
    /* Every legal combination of cache attributes is taken */
    r = at_req(1, EP_EDU0, ptr, LINEAR, 1, 0);
    t->s1cir = 3;
    t->s1cor = 2;
    t->s1csh = 3;
    g_assert_cmpuint(send_at(e, &r), ==, S_OK);
    env_fini(e);
}

TEST(nest_dev_27)
{
    Env *e = env_init(obj, alloc);
    uint64_t cd = arena_alloc(e, 0x10000, 0x10000);
    const struct {
        uint64_t ptr;
        uint8_t s1fmt, s1cdmax;
    } bad[] = {
        { cd + 32, LINEAR, 0 },             /* a CD: 64 bytes */
        { cd + 512, LINEAR, 4 },            /* 16 CDs: 1 KiB */
        { cd + 64, FMT_2L_4K, 10 },         /* 16 L1 descriptors: 128 B */
        { cd + 8, FMT_2L_64K, 4 },          /* 1 L1 descriptor: 64 B */
        { 1ULL << 32, LINEAR, 0 },          /* beyond oas */
        { ~0ULL << 6, LINEAR, 0 },
        { 0x09000000, LINEAR, 0 },          /* the UART */
        { 0x70000000, LINEAR, 0 },          /* nothing */
        { 0x60000000, LINEAR, 0 },          /* just beyond RAM */
    };
    unsigned int i;

    for (i = 0; i < ARRAY_SIZE(bad); i++) {
        g_assert_cmpuint(do_attach_table(e, 1, EP_EDU0, bad[i].ptr,
                                         bad[i].s1fmt, bad[i].s1cdmax, 0),
                         ==, S_RANGE);
    }
    g_assert_cmpuint(probe_domain(e, 1), ==, S_NOENT);
    env_fini(e);
}

TEST(nest_dev_28)
{
    Env *e = env_init(obj, alloc);
    Nest n;

    nest_tables(e, &n, 1);
    g_assert_cmpuint(do_attach(e, 2, EP_EDU1, 0), ==, S_OK);
    g_assert_cmpuint(do_attach(e, 3, EP_HOST, VIRTIO_IOMMU_ATTACH_F_BYPASS),
                     ==, S_OK);
    g_assert_cmpuint(do_attach_table(e, 2, EP_EDU0, n.cd, LINEAR, 0, 0), ==,
                     S_INVAL);
    g_assert_cmpuint(do_attach_table(e, 3, EP_EDU0, n.cd, LINEAR, 0, 0), ==,
                     S_INVAL);
    /* The domains are unchanged: still mapped, still bypass */
    g_assert_cmpuint(do_map(e, 2, 0, 0xfff, page(e), MAP_RW), ==, S_OK);
    g_assert_cmpuint(do_map(e, 3, 0, 0xfff, page(e), MAP_RW), ==, S_INVAL);
    env_fini(e);
}

TEST(nest_dev_29)
{
    Env *e = env_init(obj, alloc);
    struct virtio_iommu_req_attach_table r;
    unsigned int i;
    Nest n, n2;

    nest_setup(e, &n, 1, EP_EDU0, 1);
    nest_tables(e, &n2, 1);
    for (i = 0; i < 5; i++) {
        r = at_req(1, EP_EDU1, n.cd, LINEAR, 0, 0);
        switch (i) {
        case 0:
            r.arm_smmuv3.s1contextptr = cpu_to_le64(n2.cd);
            break;
        case 1:
            r.arm_smmuv3.s1cir = 1;
            break;
        case 2:
            r.arm_smmuv3.s1cor = 2;
            break;
        case 3:
            r.arm_smmuv3.s1csh = 3;
            break;
        case 4:
            r.arm_smmuv3.s1dss = 1; /* ignored by the device, not by this */
            break;
        }
        g_assert_cmpuint(send_at(e, &r), ==, S_INVAL);
    }
    /* The same configuration is accepted */
    nest_attach(e, &n, 1, EP_EDU1);
    env_fini(e);
}

TEST(nest_dev_30)
{
    Env *e = env_init(obj, alloc);
    uint64_t cd = arena_alloc(e, 4096, 4096);

    /*
     * Zeros, all ones, a bad L1 descriptor: none is read at ATTACH_TABLE;
     * the translations fault.
     */
    g_assert_cmpuint(do_attach_table(e, 1, EP_EDU0, cd, LINEAR, 0, 0), ==,
                     S_OK);
    dma_write(e, 0, IOVA0, 64);
    expect_fault(e, VIRTIO_IOMMU_FAULT_R_S1_BAD_CD, FAULT_W, EP_EDU0, IOVA0);
    qtest_memset(e->qts, cd + 64 * 16, 0xff, 64 * 16);
    g_assert_cmpuint(do_attach_table(e, 2, EP_EDU0, cd + 64 * 16, LINEAR, 4,
                                     DSS_SSID0), ==, S_OK);
    dma_write(e, 0, IOVA0, 64);
    expect_fault(e, VIRTIO_IOMMU_FAULT_R_S1_BAD_CD, FAULT_W, EP_EDU0, IOVA0);
    qtest_memset(e->qts, cd + 2048, 0xff, 8);
    g_assert_cmpuint(do_attach_table(e, 3, EP_EDU0, cd + 2048, FMT_2L_4K, 6,
                                     DSS_SSID0), ==, S_OK);
    dma_write(e, 0, IOVA0, 64);
    expect_fault(e, VIRTIO_IOMMU_FAULT_R_S1_CD_FETCH, FAULT_W, EP_EDU0, IOVA0);
    env_fini(e);
}

TEST(nest_dev_32)
{
    Env *e = env_init(obj, alloc);
    uint64_t pa = page(e);
    struct virtio_iommu_req_attach_table r;
    Nest n, n2;

    nest_setup(e, &n, 1, EP_EDU0, 1);
    s1_map(&n.s1, IOVA0, pa, 3, PTE_RW);
    nest_tables(e, &n2, 2);
    g_assert_cmpuint(do_attach(e, 3, EP_HOST, 0), ==, S_OK);
    /* 1. Rejected for many reasons */
    r = at_req(2, EP_EDU0, n2.cd, LINEAR, 0, 0);
    r.flags = cpu_to_le32(1);
    g_assert_cmpuint(send_at(e, &r), ==, S_INVAL);
    r = at_req(2, EP_EDU0, n2.cd + 8, LINEAR, 0, 0);
    g_assert_cmpuint(send_at(e, &r), ==, S_RANGE);
    r = at_req(2, EP_EDU0, n2.cd, LINEAR, 0, 0);
    r.format = 0;
    g_assert_cmpuint(send_at(e, &r), ==, S_UNSUPP);
    g_assert_cmpuint(do_attach_table(e, 3, EP_EDU0, n2.cd, LINEAR, 0, 0), ==,
                     S_INVAL);
    r = at_req(1, EP_HOST, n.cd, LINEAR, 0, 1);
    g_assert_cmpuint(send_at(e, &r), ==, S_INVAL);
    /* 2. Nothing moved, nothing was created */
    g_assert_true(dma_lands(e, 0, IOVA0, pa));
    g_assert_cmpuint(probe_domain(e, 2), ==, S_NOENT);
    g_assert_cmpuint(do_map(e, 3, 0, 0xfff, page(e), MAP_RW), ==, S_OK);
    expect_no_fault(e);
    env_fini(e);
}

TEST(nest_dev_33)
{
    Env *e = env_init(obj, alloc);
    uint64_t pa = page(e);
    Nest n;

    nest_tables(e, &n, 1);
    s1_map(&n.s1, IOVA0, pa, 3, PTE_RW);
    g_assert_cmpuint(probe_domain(e, 1), ==, S_NOENT);
    nest_attach(e, &n, 1, EP_EDU0);
    g_assert_cmpuint(probe_domain(e, 1), ==, S_OK);
    g_assert_true(dma_lands(e, 0, IOVA0, pa));
    /* A second endpoint joins the domain */
    nest_attach(e, &n, 1, EP_EDU1);
    g_assert_true(dma_lands(e, 1, IOVA0, pa));
    expect_no_fault(e);
    env_fini(e);
}

TEST(nest_dev_34)
{
    Env *e = env_init(obj, alloc);
    uint64_t pa1 = page(e), pa2 = page(e), pa3 = page(e);
    Nest n1, n2;

    nest_setup(e, &n1, 1, EP_EDU0, 1);
    s1_map(&n1.s1, IOVA0, pa1, 3, PTE_RW);
    nest_tables(e, &n2, 2);
    s1_map(&n2.s1, IOVA0, pa2, 3, PTE_RW);
    g_assert_true(dma_lands(e, 0, IOVA0, pa1));
    /* 1. Table domain to table domain: the first one dies */
    nest_attach(e, &n2, 2, EP_EDU0);
    g_assert_true(lands_only(e, 0, IOVA0, pa2, pa1));
    g_assert_cmpuint(probe_domain(e, 1), ==, S_NOENT);
    /* 2. Mapped domain to table domain */
    g_assert_cmpuint(do_attach(e, 3, EP_EDU1, 0), ==, S_OK);
    g_assert_cmpuint(do_map(e, 3, IOVA0, IOVA0 + 0xfff, pa3, MAP_RW), ==, S_OK);
    g_assert_true(dma_lands(e, 1, IOVA0, pa3));
    nest_attach(e, &n2, 2, EP_EDU1);
    g_assert_true(lands_only(e, 1, IOVA0, pa2, pa3));
    g_assert_cmpuint(do_map(e, 3, IOVA1, IOVA1 + 0xfff, pa3, MAP_RW), ==,
                     S_NOENT);
    expect_no_fault(e);
    env_fini(e);
}

/* Nested extension: DETACH */

TEST(nest_dev_35)
{
    Env *e = env_init(obj, alloc);
    uint64_t pa = page(e), gpa = page(e);
    int64_t walks;
    Nest n;

    nest_setup(e, &n, 1, EP_EDU0, 1);
    s1_map(&n.s1, IOVA0, pa, 3, PTE_RW);
    s1_map(&n.s1, gpa, pa, 3, PTE_RW);
    g_assert_true(dma_lands(e, 0, gpa, pa));
    g_assert_cmpuint(do_detach(e, 1, EP_EDU0), ==, S_OK);
    walks = get_stat(e, "walks");
    /* 1. Bypass (boot-bypass): the IOVA is the address; no walk */
    g_assert_true(lands_only(e, 0, gpa, gpa, pa));
    g_assert_cmpint(get_stat(e, "walks"), ==, walks);
    /* 2. Without bypass, the access is aborted */
    write_bypass(e, 0);
    g_assert_false(dma_lands(e, 0, IOVA0, pa));
    g_assert_true(mem_is_zero(e, pa, 64));
    g_assert_cmpint(get_stat(e, "walks"), ==, walks);
    env_fini(e);
}

TEST(nest_dev_36)
{
    Env *e = env_init(obj, alloc);
    uint64_t pa1 = page(e), pa2 = page(e);
    uint64_t leaf;
    Nest n;

    /* The same ID, the same tables, changed without INVALIDATE */
    leaf = cached_mapping(e, &n, pa1);
    remap(e, leaf, pa2);
    g_assert_cmpuint(do_detach(e, 1, EP_EDU0), ==, S_OK);
    nest_attach(e, &n, 1, EP_EDU0);
    g_assert_true(lands_only(e, 0, IOVA0, pa2, pa1));
    /* Domain 1 dies when its endpoint moves, and is born again */
    remap(e, leaf, pa1);
    g_assert_cmpuint(do_attach(e, 2, EP_EDU0, 0), ==, S_OK);
    nest_attach(e, &n, 1, EP_EDU0);
    g_assert_true(lands_only(e, 0, IOVA0, pa1, pa2));
    env_fini(e);
}

/* Nested extension: translation */

TEST(nest_dev_37)
{
    Env *e = env_init(obj, alloc);
    uint64_t pa = page(e), pa_ro = page(e), pa_af = page(e), tbl;
    uint64_t iova_ro = IOVA0 + 0x1000, iova_af = IOVA0 + 0x2000;
    uint64_t iova_apt = 0x40000000ULL;
    Nest n;

    nest_setup(e, &n, 1, EP_EDU0, 1);
    s1_map(&n.s1, IOVA0, pa, 3, PTE_RW);
    s1_map(&n.s1, iova_ro, pa_ro, 3, PTE_RO);
    s1_map(&n.s1, iova_af, pa_af, 3, PTE_AP_UNPRIV);
    /* 1. Read-write page, read-only page, access flag clear */
    g_assert_true(dma_lands(e, 0, IOVA0, pa));
    g_assert_false(dma_lands(e, 0, iova_ro, pa_ro));
    expect_fault(e, VIRTIO_IOMMU_FAULT_R_S1_PERMISSION, FAULT_W, EP_EDU0,
                 iova_ro);
    dma_read(e, 0, iova_ro, 64);
    expect_no_fault(e);
    g_assert_false(dma_lands(e, 0, iova_af, pa_af));
    expect_fault(e, VIRTIO_IOMMU_FAULT_R_S1_ACCESS, FAULT_W, EP_EDU0, iova_af);
    /* 2. APTable[1] makes the level below read-only */
    s1_map(&n.s1, iova_apt, pa, 3, PTE_RW);
    tbl = n.s1.ttb0 + ((iova_apt >> 30) & 511) * 8;
    wr64(e, tbl, rd64(e, tbl) | (1ULL << 62));
    g_assert_false(dma_lands(e, 0, iova_apt, pa));
    expect_fault(e, VIRTIO_IOMMU_FAULT_R_S1_PERMISSION, FAULT_W, EP_EDU0,
                 iova_apt);
    /* 3. Beyond the CD's input size (T0SZ = 25) */
    dma_write(e, 0, 1ULL << 39, 64);
    expect_fault(e, VIRTIO_IOMMU_FAULT_R_S1_TRANSLATION, FAULT_W, EP_EDU0,
                 1ULL << 39);
    /* 4. EPD0: TTB0 walks disabled */
    nest_tables(e, &n, 2);
    s1_map(&n.s1, IOVA0, pa, 3, PTE_RW);
    cd_write(e, n.cd, cd_word0(12, 39, 2) | CD0_EPD0, n.s1.ttb0);
    nest_attach(e, &n, 2, EP_EDU0);
    g_assert_false(dma_lands(e, 0, IOVA0, pa));
    expect_fault(e, VIRTIO_IOMMU_FAULT_R_S1_TRANSLATION, FAULT_W, EP_EDU0,
                 IOVA0);
    /* 5. AFFD: no access flag fault */
    nest_tables(e, &n, 3);
    s1_map(&n.s1, iova_af, pa_af, 3, PTE_AP_UNPRIV);
    cd_write(e, n.cd, cd_word0(12, 39, 3) | CD0_AFFD, n.s1.ttb0);
    nest_attach(e, &n, 3, EP_EDU0);
    g_assert_true(dma_lands(e, 0, iova_af, pa_af));
    expect_no_fault(e);
    env_fini(e);
}

TEST(nest_dev_38)
{
    Env *e = env_init(obj, alloc);
    uint64_t pa = page(e);
    Nest n;

    nest_setup(e, &n, 1, EP_EDU0, 1);
    /* Output addresses beyond oas (32 bits) */
    s1_map(&n.s1, IOVA0, 1ULL << 32, 3, PTE_RW);
    s1_map(&n.s1, IOVA1, (1ULL << 40) | (pa & 0xffffffff), 3, PTE_RW);
    dma_write(e, 0, IOVA0, 64);
    expect_fault(e, VIRTIO_IOMMU_FAULT_R_S1_ADDR_SIZE, FAULT_W, EP_EDU0, IOVA0);
    g_assert_false(dma_lands(e, 0, IOVA1, pa));
    expect_fault(e, VIRTIO_IOMMU_FAULT_R_S1_ADDR_SIZE, FAULT_W, EP_EDU0, IOVA1);
    env_fini(e);
}

TEST(nest_dev_39)
{
    Env *e = env_init(obj, alloc);
    uint64_t pa = page(e), l1, leaf;
    uint8_t cd[64] = {};
    S1 t;

    /* A two-level table and a CD written byte by byte, little-endian */
    s1_init(e, &t, 12, 39);
    s1_map(&t, IOVA0, pa, 3, PTE_RW);
    l1 = arena_alloc(e, 64, 64);
    leaf = arena_alloc(e, 4096, 4096);
    stq_le_p(cd, cd_word0(12, 39, 0x1234));
    stq_le_p(cd + 8, t.ttb0);
    qtest_memwrite(e->qts, leaf + 64 * 5, cd, sizeof(cd));
    stq_le_p(cd, leaf | CD_L1_V);
    qtest_memwrite(e->qts, l1, cd, 8);
    /* SSID-less traffic uses CD 0: point CD 0 at the same tables */
    stq_le_p(cd, cd_word0(12, 39, 0x1234));
    qtest_memwrite(e->qts, leaf, cd, 16);
    g_assert_cmpuint(do_attach_table(e, 1, EP_EDU0, l1, FMT_2L_4K, 6,
                                     DSS_SSID0), ==, S_OK);
    g_assert_true(dma_lands(e, 0, IOVA0, pa));
    expect_no_fault(e);
    env_fini(e);
}

TEST(nest_dev_40)
{
    Env *e = env_init(obj, alloc);
    uint64_t pa = page(e), pa2 = page(e), leaf;
    Nest n;

    /* 1. Tables written after ATTACH_TABLE, by plain stores */
    s1_init(e, &n.s1, 12, 39);
    n.cd = arena_alloc(e, 64, 64);
    nest_attach(e, &n, 1, EP_EDU0);
    dma_write(e, 0, IOVA0, 64);
    expect_fault(e, VIRTIO_IOMMU_FAULT_R_S1_BAD_CD, FAULT_W, EP_EDU0, IOVA0);
    cd_write(e, n.cd, cd_word0(12, 39, 1), n.s1.ttb0);
    g_assert_cmpuint(inv_one(e, 1, VIRTIO_IOMMU_INV_S_CD, 0, 0, 0, 0, 0), ==,
                     S_OK);
    leaf = s1_map(&n.s1, IOVA0, pa, 3, PTE_RW);
    g_assert_true(dma_lands(e, 0, IOVA0, pa));
    /* 2. A changed descriptor, invalidated */
    remap(e, leaf, pa2);
    g_assert_cmpuint(inv_one(e, 1, VIRTIO_IOMMU_INV_S_VA, 0, 1, 0, IOVA0,
                             0x1000), ==, S_OK);
    g_assert_true(dma_lands(e, 0, IOVA0, pa2));
    env_fini(e);
}

TEST(nest_dev_41)
{
    Env *e = env_init(obj, alloc);
    uint64_t pa = page(e);
    int64_t hits;
    Nest n;

    cached_mapping(e, &n, pa);
    hits = get_stat(e, "iotlb-hits");
    g_assert_true(dma_lands(e, 0, IOVA0, pa));
    g_assert_cmpint(get_stat(e, "iotlb-hits"), >, hits);
    env_fini(e);
}

TEST(nest_dev_42)
{
    Env *e = env_init(obj, alloc);
    uint64_t pa = page(e), leaf;
    Nest n;

    nest_setup(e, &n, 1, EP_EDU0, 1);
    /* 1. Invalid descriptor, then valid: no invalidation needed */
    g_assert_false(dma_lands(e, 0, IOVA0, pa));
    expect_fault(e, VIRTIO_IOMMU_FAULT_R_S1_TRANSLATION, FAULT_W, EP_EDU0,
                 IOVA0);
    leaf = s1_map(&n.s1, IOVA0, pa, 3, PTE_AP_UNPRIV);
    /* 2. Access flag fault, then the flag set */
    g_assert_false(dma_lands(e, 0, IOVA0, pa));
    expect_fault(e, VIRTIO_IOMMU_FAULT_R_S1_ACCESS, FAULT_W, EP_EDU0, IOVA0);
    wr64(e, leaf, rd64(e, leaf) | PTE_AF);
    g_assert_true(dma_lands(e, 0, IOVA0, pa));
    /* 3. Address size fault, then a good output address */
    s1_map(&n.s1, IOVA1, 1ULL << 33, 3, PTE_RW);
    dma_write(e, 0, IOVA1, 64);
    expect_fault(e, VIRTIO_IOMMU_FAULT_R_S1_ADDR_SIZE, FAULT_W, EP_EDU0, IOVA1);
    s1_map(&n.s1, IOVA1, pa, 3, PTE_RW);
    g_assert_true(dma_lands(e, 0, IOVA1, pa));
    expect_no_fault(e);
    env_fini(e);
}

TEST(nest_dev_43)
{
    Env *e = env_init(obj, alloc);
    uint64_t pa1 = page(e), pa2 = page(e);
    Nest n1, n2;

    /* Two domains, one ASID, different tables */
    nest_setup(e, &n1, 1, EP_EDU0, 7);
    nest_setup(e, &n2, 2, EP_EDU1, 7);
    s1_map(&n1.s1, IOVA0, pa1, 3, PTE_RW);
    s1_map(&n2.s1, IOVA0, pa2, 3, PTE_RW);
    g_assert_true(dma_lands(e, 0, IOVA0, pa1));
    qtest_memset(e->qts, pa1, 0, 64);
    qtest_memset(e->qts, pa2, 0, 64);
    dma_write(e, 1, IOVA0, 64);
    /* Either table may translate */
    g_assert_true(mem_has_pattern(e, pa1, 64) || mem_has_pattern(e, pa2, 64));
    expect_no_fault(e);
    env_fini(e);
}

TEST(nest_dev_44)
{
    Env *e = env_init(obj, alloc);
    uint64_t pa = page(e);
    Nest n;

    nest_setup(e, &n, 1, EP_EDU0, 1);
    s1_map(&n.s1, IOVA0, pa, 3, PTE_RO);
    qtest_memset(e->qts, pa, 0, 4096);
    dma_write(e, 0, IOVA0, 4096);
    expect_fault(e, VIRTIO_IOMMU_FAULT_R_S1_PERMISSION, FAULT_W, EP_EDU0,
                 IOVA0);
    g_assert_true(mem_is_zero(e, pa, 4096));
    env_fini(e);
}

TEST(nest_dev_45)
{
    Env *e = env_init(obj, alloc);
    uint8_t props[PROBE_SIZE];
    const struct virtio_iommu_probe_table_arm_smmuv3 *p;
    uint64_t pa = page(e);
    Nest n;

    p = table_format(e, EP_EDU0, props);
    g_assert_nonnull(p);
    g_assert_false(le32_to_cpu(p->flags) & VIRTIO_IOMMU_ARM_F_STALL_FORCE);
    /* A CD that asks for stalls is refused; the access is terminated */
    nest_tables(e, &n, 1);
    s1_map(&n.s1, IOVA0, pa, 3, PTE_RW);
    cd_write(e, n.cd, cd_word0(12, 39, 1) | CD0_S, n.s1.ttb0);
    nest_attach(e, &n, 1, EP_EDU0);
    g_assert_false(dma_lands(e, 0, IOVA0, pa));
    expect_fault(e, VIRTIO_IOMMU_FAULT_R_S1_BAD_CD, FAULT_W, EP_EDU0, IOVA0);
    env_fini(e);
}

TEST(nest_dev_46)
{
    Env *e = env_init(obj, alloc);
    uint8_t props[PROBE_SIZE];
    const struct virtio_iommu_probe_table_arm_smmuv3 *p;
    uint64_t pa = page(e), leaf, desc;
    Nest n;

    p = table_format(e, EP_EDU0, props);
    g_assert_nonnull(p);
    g_assert_false(le32_to_cpu(p->flags) &
                   (VIRTIO_IOMMU_ARM_F_HA | VIRTIO_IOMMU_ARM_F_HD));
    /* The device never writes descriptors */
    nest_setup(e, &n, 1, EP_EDU0, 1);
    leaf = s1_map(&n.s1, IOVA0, pa, 3, PTE_AP_UNPRIV);
    desc = rd64(e, leaf);
    g_assert_false(dma_lands(e, 0, IOVA0, pa));
    expect_fault(e, VIRTIO_IOMMU_FAULT_R_S1_ACCESS, FAULT_W, EP_EDU0, IOVA0);
    g_assert_cmphex(rd64(e, leaf), ==, desc);
    /* HA or HD in a CD: refused */
    nest_tables(e, &n, 2);
    s1_map(&n.s1, IOVA0, pa, 3, PTE_RW);
    cd_write(e, n.cd, cd_word0(12, 39, 2) | CD0_HA, n.s1.ttb0);
    nest_attach(e, &n, 2, EP_EDU0);
    g_assert_false(dma_lands(e, 0, IOVA0, pa));
    expect_fault(e, VIRTIO_IOMMU_FAULT_R_S1_BAD_CD, FAULT_W, EP_EDU0, IOVA0);
    env_fini(e);
}

TEST(nest_dev_47)
{
    Env *e = env_init(obj, alloc);
    uint64_t pa = page(e), gpa = page(e), ptr;
    S1 t;

    s1_init(e, &t, 12, 39);
    s1_map(&t, IOVA0, pa, 3, PTE_RW);
    s1_map(&t, gpa, pa, 3, PTE_RW);
    ptr = cdtab_build(e, LINEAR, 1, 0, cd_word0(12, 39, 1), t.ttb0);
    /* 1. TERMINATE: aborted */
    g_assert_cmpuint(do_attach_table(e, 1, EP_EDU0, ptr, LINEAR, 1,
                                     DSS_TERMINATE), ==, S_OK);
    g_assert_false(dma_lands(e, 0, IOVA0, pa));
    expect_fault(e, VIRTIO_IOMMU_FAULT_R_S1_BAD_CD, FAULT_W, EP_EDU0, IOVA0);
    /* 2. BYPASS: identity */
    g_assert_cmpuint(do_attach_table(e, 2, EP_EDU0, ptr, LINEAR, 1,
                                     DSS_BYPASS), ==, S_OK);
    g_assert_true(dma_lands(e, 0, gpa, gpa));
    g_assert_true(mem_is_zero(e, pa, 64));
    /* 3. SSID0: CD 0 */
    g_assert_cmpuint(do_attach_table(e, 3, EP_EDU0, ptr, LINEAR, 1,
                                     DSS_SSID0), ==, S_OK);
    g_assert_true(dma_lands(e, 0, IOVA0, pa));
    expect_no_fault(e);
    env_fini(e);
}

/* The first MSI reserved region of @ep; false if none */
static bool msi_region(Env *e, uint32_t ep, uint64_t *start, uint64_t *end)
{
    uint8_t props[PROBE_SIZE];
    unsigned int nth;

    g_assert_cmpuint(do_probe(e, ep, props), ==, S_OK);
    for (nth = 0;; nth++) {
        const struct virtio_iommu_probe_resv_mem *r =
            (const void *)probe_find(props, VIRTIO_IOMMU_PROBE_T_RESV_MEM, nth);

        if (!r) {
            return false;
        }
        if (r->subtype == VIRTIO_IOMMU_RESV_MEM_T_MSI) {
            *start = le64_to_cpu(r->start);
            *end = le64_to_cpu(r->end);
            return true;
        }
    }
}

TEST(nest_dev_48)
{
    Env *e = env_init(obj, alloc);
    uint64_t start, end;
    Nest n;

    g_assert_true(msi_region(e, EP_EDU0, &start, &end));
    /* No translation for the region in the tables: the access passes */
    nest_setup(e, &n, 1, EP_EDU0, 1);
    dma_read(e, 0, start, 4);
    expect_no_fault(e);
    env_fini(e);
}

/* Nested extension: INVALIDATE */

TEST(nest_dev_51)
{
    Env *e = env_init(obj, alloc);
    uint64_t pa1 = page(e), pa2 = page(e), leaf;
    Nest n;

    leaf = cached_mapping(e, &n, pa1);
    remap(e, leaf, pa2);
    g_assert_cmpuint(inv_one(e, 99, VIRTIO_IOMMU_INV_S_DOMAIN, 0, 0, 0, 0, 0),
                     ==, S_NOENT);
    /* Nothing was invalidated: the cached translation is still used */
    g_assert_true(dma_lands(e, 0, IOVA0, pa1));
    g_assert_true(mem_is_zero(e, pa2, 64));
    env_fini(e);
}

TEST(nest_dev_52)
{
    Env *e = env_init(obj, alloc);
    uint64_t pa = page(e);

    g_assert_cmpuint(do_attach(e, 2, EP_EDU0, 0), ==, S_OK);
    g_assert_cmpuint(do_map(e, 2, IOVA0, IOVA0 + 0xfff, pa, MAP_RW), ==, S_OK);
    g_assert_cmpuint(do_attach(e, 3, EP_EDU1, VIRTIO_IOMMU_ATTACH_F_BYPASS),
                     ==, S_OK);
    g_assert_cmpuint(inv_one(e, 2, VIRTIO_IOMMU_INV_S_DOMAIN, 0, 0, 0, 0, 0),
                     ==, S_INVAL);
    g_assert_cmpuint(inv_one(e, 3, VIRTIO_IOMMU_INV_S_DOMAIN, 0, 0, 0, 0, 0),
                     ==, S_INVAL);
    g_assert_true(dma_lands(e, 0, IOVA0, pa));
    g_assert_cmpuint(do_unmap(e, 2, IOVA0, IOVA0 + 0xfff), ==, S_OK);
    env_fini(e);
}

TEST(nest_dev_53)
{
    Env *e = env_init(obj, alloc);
    struct virtio_iommu_req_invalidate req = {
        .head.type = VIRTIO_IOMMU_T_INVALIDATE,
        .domain = cpu_to_le32(1),
        .nr_entries = cpu_to_le16(1),
    };
    size_t len;
    Nest n;

    nest_setup(e, &n, 1, EP_EDU0, 1);
    for (len = 4; len < sizeof(req); len++) {
        g_assert_cmpuint(send_req(e, &req, len), ==, S_INVAL);
    }
    env_fini(e);
}

/* A malformed INVALIDATE, as a raw entry and a request length */
typedef struct BadInv {
    struct virtio_iommu_inv_entry ent;
    unsigned int nr;        /* nr_entries, 0 means 1 */
    int len_delta;          /* bytes added to the right length */
    uint8_t hdr_rsv;        /* byte of the header's reserved fields */
} BadInv;

TEST(nest_dev_54)
{
    Env *e = env_init(obj, alloc);
    uint64_t pa[2] = { page(e), page(e) }, leaf;
    const BadInv bad[] = {
        { .ent = { .scope = 0 } },
        { .ent = { .scope = 7 } },
        { .ent = { .scope = 0xff } },
        { .ent = { .scope = 1, .reserved0 = 1 } },
        { .ent = { .scope = 1, .reserved1 = 1 } },
        { .ent = { .scope = 1, .flags = 1 } },
        { .ent = { .scope = 3, .flags = 2, .addr = 0, .size = 0x1000 } },
        { .ent = { .scope = 3, .flags = 4, .addr = 0, .size = 0x1000 } },
        { .ent = { .scope = 1, .asid = 1 } },
        { .ent = { .scope = 1, .ssid = 1 } },
        { .ent = { .scope = 1, .addr = 0x1000 } },
        { .ent = { .scope = 2, .size = 0x1000 } },
        { .ent = { .scope = 4, .asid = 1 } },
        { .ent = { .scope = 4, .ssid = 1 << 20 } },
        { .ent = { .scope = 5, .tg = 12 } },
        { .ent = { .scope = 3, .addr = 0x800, .size = 0x1000 } },
        { .ent = { .scope = 3, .addr = 0x1000, .size = 0 } },
        { .ent = { .scope = 3, .addr = 0x1000, .size = 0x1800 } },
        { .ent = { .scope = 3, .addr = ~0xfffULL, .size = 0x2000 } },
        { .ent = { .scope = 3, .size = 0x1000, .tg = 13 } },
        { .ent = { .scope = 3, .size = 0x1000, .tg = 12, .ttl = 4 } },
        { .ent = { .scope = 3, .size = 0x1000, .ttl = 2 } },
        { .ent = { .scope = 6, .size = 0 } },
        { .ent = { .scope = 6, .size = 0x1000, .ssid = 5 } },
        { .ent = { .scope = 1 }, .hdr_rsv = 1 },
        { .ent = { .scope = 1 }, .nr = 2 },
        { .ent = { .scope = 1 }, .len_delta = 32 },
        { .ent = { .scope = 1 }, .len_delta = 1 },
        { .ent = { .scope = 1 }, .len_delta = -4 },
        { .ent = { .scope = 1 }, .nr = 257, .len_delta = -256 * 32 },
    };
    struct virtio_iommu_req_invalidate *req;
    unsigned int i;
    Nest n;

    leaf = cached_mapping(e, &n, pa[0]);
    for (i = 0; i < ARRAY_SIZE(bad); i++) {
        size_t hdr = offsetof(struct virtio_iommu_req_invalidate, entries);
        unsigned int nr = bad[i].nr ? bad[i].nr : 1;
        size_t len = hdr + nr * sizeof(bad[i].ent) + bad[i].len_delta;
        g_autofree uint8_t *buf = g_malloc0(hdr + nr * 32 + 64);

        /* 1. A translation to pa[i % 2] is cached, the table says otherwise */
        remap(e, leaf, pa[(i + 1) % 2]);
        qtest_memset(e->qts, pa[i % 2], 0, 64);
        /* 2. The malformed request */
        req = (void *)buf;
        req->head.type = VIRTIO_IOMMU_T_INVALIDATE;
        req->domain = cpu_to_le32(1);
        req->nr_entries = cpu_to_le16(nr);
        req->reserved1 = cpu_to_le32(bad[i].hdr_rsv);
        memcpy(buf + hdr, &bad[i].ent, sizeof(bad[i].ent));
        if (nr == 2) {
            /* The second entry is the bad one */
            memcpy(buf + hdr, &(struct virtio_iommu_inv_entry)
                   { .scope = 1 }, 32);
            memcpy(buf + hdr + 32, &(struct virtio_iommu_inv_entry)
                   { .scope = 9 }, 32);
        }
        g_test_message("malformed INVALIDATE %u", i);
        g_assert_cmpuint(send_req(e, buf, len), ==, S_INVAL);
        /* 3. Everything was invalidated */
        g_assert_true(dma_lands(e, 0, IOVA0, pa[(i + 1) % 2]));
        g_assert_true(mem_is_zero(e, pa[i % 2], 64));
    }
    expect_no_fault(e);
    env_fini(e);
}

TEST(nest_dev_55)
{
    Env *e = env_init(obj, alloc);
    uint64_t pa[2] = { page(e), page(e) }, leaf;
    struct virtio_iommu_inv_entry ents[VIRTIO_IOMMU_INV_MAX_ENTRIES];
    unsigned int i;
    Nest n;

    leaf = cached_mapping(e, &n, pa[0]);
    remap(e, leaf, pa[1]);
    /* The maximum: 256 entries of every scope, the VA one last */
    for (i = 0; i < ARRAY_SIZE(ents) - 1; i++) {
        switch (i % 5) {
        case 0:
            ents[i] = inv_entry(VIRTIO_IOMMU_INV_S_ASID, 0, 1000 + i, 0, 0, 0);
            break;
        case 1:
            ents[i] = inv_entry(VIRTIO_IOMMU_INV_S_CD, 0, 0, i, 0, 0);
            break;
        case 2:
            ents[i] = inv_entry(VIRTIO_IOMMU_INV_S_ATC, 0, 0, 0, 0x1000,
                                0x1000);
            break;
        case 3:
            ents[i] = inv_entry(VIRTIO_IOMMU_INV_S_VA, 0, 1000 + i, 0, IOVA1,
                                0x1000);
            break;
        default:
            ents[i] = inv_entry(VIRTIO_IOMMU_INV_S_ATC,
                                VIRTIO_IOMMU_INV_F_SSID, 0, 3, 0, 0x1000);
            break;
        }
    }
    ents[i] = inv_entry(VIRTIO_IOMMU_INV_S_VA, 0, 1, 0, IOVA0, 0x1000);
    g_assert_cmpuint(do_invalidate(e, 1, ents, ARRAY_SIZE(ents)), ==, S_OK);
    g_assert_true(lands_only(e, 0, IOVA0, pa[1], pa[0]));
    env_fini(e);
}

/* One valid entry of each scope, and whether it must remove IOVA0's TLB */
TEST(nest_dev_56)
{
    Env *e = env_init(obj, alloc);
    uint64_t pa[2] = { page(e), page(e) }, leaf;
    const struct virtio_iommu_inv_entry tlb[] = {
        inv_entry(VIRTIO_IOMMU_INV_S_DOMAIN, 0, 0, 0, 0, 0),
        inv_entry(VIRTIO_IOMMU_INV_S_ASID, 0, 1, 0, 0, 0),
        inv_entry(VIRTIO_IOMMU_INV_S_VA, 0, 1, 0, IOVA0, 0x1000),
        inv_entry(VIRTIO_IOMMU_INV_S_VA, VIRTIO_IOMMU_INV_F_LEAF, 1, 0, IOVA0,
                  0x1000),
        inv_entry(VIRTIO_IOMMU_INV_S_VA, 0, 1, 0, 0, 1ULL << 39),
        inv_entry(VIRTIO_IOMMU_INV_S_VA, 0, 1, 0, IOVA0 - 0x3000, 0x4000),
    };
    unsigned int i;
    Nest n;

    /* 1. TLB scopes: DOMAIN, ASID, VA (leaf or not) */
    leaf = cached_mapping(e, &n, pa[0]);
    for (i = 0; i < ARRAY_SIZE(tlb); i++) {
        remap(e, leaf, pa[(i + 1) % 2]);
        g_assert_cmpuint(do_invalidate(e, 1, &tlb[i], 1), ==, S_OK);
        g_assert_true(lands_only(e, 0, IOVA0, pa[(i + 1) % 2], pa[i % 2]));
    }
    /* 2. CD and CD_ALL: a new ASID and new tables in the same CD */
    for (i = 0; i < 2; i++) {
        S1 t;

        s1_init(e, &t, 12, 39);
        s1_map(&t, IOVA0, pa[i], 3, PTE_RW);
        cd_write(e, n.cd, cd_word0(12, 39, 100 + i), t.ttb0);
        g_assert_cmpuint(inv_one(e, 1, i ? VIRTIO_IOMMU_INV_S_CD_ALL :
                                 VIRTIO_IOMMU_INV_S_CD, 0, 0, 0, 0, 0),
                         ==, S_OK);
        g_assert_true(lands_only(e, 0, IOVA0, pa[i], pa[(i + 1) % 2]));
    }
    /* 3. ATC: accepted (no ATC here) */
    g_assert_cmpuint(inv_one(e, 1, VIRTIO_IOMMU_INV_S_ATC, 0, 0, 0, 0,
                             1ULL << 40), ==, S_OK);
    expect_no_fault(e);
    env_fini(e);
}

TEST(nest_dev_57)
{
    Env *e = env_init(obj, alloc);
    uint64_t pa = page(e), pa1 = page(e);
    Nest n;

    cached_mapping(e, &n, pa);
    s1_map(&n.s1, IOVA1, pa1, 3, PTE_RW);
    g_assert_true(dma_lands(e, 0, IOVA1, pa1));
    /* Invalidating IOVA0 may drop more: IOVA1 still translates right */
    g_assert_cmpuint(inv_one(e, 1, VIRTIO_IOMMU_INV_S_VA, 0, 1, 0, IOVA0,
                             0x1000), ==, S_OK);
    g_assert_true(dma_lands(e, 0, IOVA1, pa1));
    g_assert_true(dma_lands(e, 0, IOVA0, pa));
    env_fini(e);
}

TEST(nest_dev_58)
{
    Env *e = env_init(obj, alloc);
    uint64_t pa[2] = { page(e), page(e) }, leaf;
    const uint8_t hints[][2] = { { 16, 1 }, { 14, 2 }, { 12, 1 }, { 16, 3 } };
    unsigned int i;
    Nest n;

    /* Hints that do not match the 4 KiB tables and level-3 leaves */
    leaf = cached_mapping(e, &n, pa[0]);
    for (i = 0; i < ARRAY_SIZE(hints); i++) {
        struct virtio_iommu_inv_entry ent =
            inv_entry(VIRTIO_IOMMU_INV_S_VA, 0, 1, 0, IOVA0, 0x1000);

        ent.tg = hints[i][0];
        ent.ttl = hints[i][1];
        remap(e, leaf, pa[(i + 1) % 2]);
        g_assert_cmpuint(do_invalidate(e, 1, &ent, 1), ==, S_OK);
        g_assert_true(dma_lands(e, 0, IOVA0, pa[(i + 1) % 2]));
    }
    env_fini(e);
}

TEST(nest_dev_59)
{
    Env *e = env_init(obj, alloc);
    Nest n;

    nest_setup(e, &n, 1, EP_EDU0, 1);
    g_assert_cmpuint(inv_one(e, 1, VIRTIO_IOMMU_INV_S_ASID, 0, 0xffff, 0, 0,
                             0), ==, S_OK);
    g_assert_cmpuint(inv_one(e, 1, VIRTIO_IOMMU_INV_S_VA, 0, 0xfffe, 0, 0,
                             0x1000), ==, S_OK);
    g_assert_cmpuint(inv_one(e, 1, VIRTIO_IOMMU_INV_S_CD, 0, 0, 0xfffff, 0,
                             0), ==, S_OK);
    g_assert_cmpuint(inv_one(e, 1, VIRTIO_IOMMU_INV_S_ATC,
                             VIRTIO_IOMMU_INV_F_SSID, 0, 77, 0, 0x1000), ==,
                     S_OK);
    env_fini(e);
}

TEST(nest_dev_60)
{
    Env *e = env_init(obj, alloc);
    uint64_t pa1 = page(e), pa2 = page(e), leaf;
    Nest n;

    /* As soon as the request is used, the next access sees the change */
    leaf = cached_mapping(e, &n, pa1);
    remap(e, leaf, pa2);
    g_assert_cmpuint(inv_one(e, 1, VIRTIO_IOMMU_INV_S_DOMAIN, 0, 0, 0, 0, 0),
                     ==, S_OK);
    g_assert_true(dma_lands(e, 0, IOVA0, pa2));
    remap(e, leaf, pa1);
    g_assert_cmpuint(inv_one(e, 1, 0, 0, 0, 0, 0, 0), ==, S_INVAL);
    g_assert_true(dma_lands(e, 0, IOVA0, pa1));
    env_fini(e);
}

/* Nested extension: faults */

TEST(nest_dev_61)
{
    Env *e = env_init(obj, alloc);
    uint64_t pa = page(e), l1;
    Nest n;

    nest_setup(e, &n, 1, EP_EDU0, 1);
    s1_map(&n.s1, IOVA0 + 0x1000, pa, 3, PTE_RO);
    s1_map(&n.s1, IOVA0 + 0x2000, pa, 3, PTE_AP_UNPRIV);
    s1_map(&n.s1, IOVA0 + 0x3000, 1ULL << 35, 3, PTE_RW);
    /* TRANSLATION, PERMISSION, ACCESS, ADDR_SIZE */
    dma_write(e, 0, IOVA0, 4);
    expect_fault(e, VIRTIO_IOMMU_FAULT_R_S1_TRANSLATION, FAULT_W, EP_EDU0,
                 IOVA0);
    dma_write(e, 0, IOVA0 + 0x1000, 4);
    expect_fault(e, VIRTIO_IOMMU_FAULT_R_S1_PERMISSION, FAULT_W, EP_EDU0,
                 IOVA0 + 0x1000);
    dma_write(e, 0, IOVA0 + 0x2000, 4);
    expect_fault(e, VIRTIO_IOMMU_FAULT_R_S1_ACCESS, FAULT_W, EP_EDU0,
                 IOVA0 + 0x2000);
    dma_write(e, 0, IOVA0 + 0x3000, 4);
    expect_fault(e, VIRTIO_IOMMU_FAULT_R_S1_ADDR_SIZE, FAULT_W, EP_EDU0,
                 IOVA0 + 0x3000);
    /* BAD_CD: CD.V clear */
    cd_write(e, n.cd, cd_word0(12, 39, 1) & ~CD0_V, n.s1.ttb0);
    g_assert_cmpuint(inv_one(e, 1, VIRTIO_IOMMU_INV_S_CD_ALL, 0, 0, 0, 0, 0),
                     ==, S_OK);
    dma_write(e, 0, IOVA0, 4);
    expect_fault(e, VIRTIO_IOMMU_FAULT_R_S1_BAD_CD, FAULT_W, EP_EDU0, IOVA0);
    /* WALK_EABT: TTB0 is the UART */
    cd_write(e, n.cd, cd_word0(12, 39, 1), 0x09000000);
    g_assert_cmpuint(inv_one(e, 1, VIRTIO_IOMMU_INV_S_CD_ALL, 0, 0, 0, 0, 0),
                     ==, S_OK);
    dma_write(e, 0, IOVA0, 4);
    expect_fault(e, VIRTIO_IOMMU_FAULT_R_S1_WALK_EABT, FAULT_W, EP_EDU0,
                 IOVA0);
    /* CD_FETCH: the leaf CD table of a two-level table is the UART */
    l1 = arena_alloc(e, 64, 64);
    wr64(e, l1, 0x09000000 | CD_L1_V);
    g_assert_cmpuint(do_attach_table(e, 2, EP_EDU0, l1, FMT_2L_4K, 6,
                                     DSS_SSID0), ==, S_OK);
    dma_read(e, 0, IOVA0, 4);
    expect_fault(e, VIRTIO_IOMMU_FAULT_R_S1_CD_FETCH, FAULT_R, EP_EDU0, IOVA0);
    /* BAD_CD: invalid L1 descriptor */
    wr64(e, l1, 0);
    g_assert_cmpuint(inv_one(e, 2, VIRTIO_IOMMU_INV_S_CD_ALL, 0, 0, 0, 0, 0),
                     ==, S_OK);
    dma_read(e, 0, IOVA0, 4);
    expect_fault(e, VIRTIO_IOMMU_FAULT_R_S1_BAD_CD, FAULT_R, EP_EDU0, IOVA0);
    expect_no_fault(e);
    env_fini(e);
}

TEST(nest_dev_62)
{
    Env *e = env_init(obj, alloc);
    uint64_t pa = page(e);
    int64_t unrecorded;
    Nest n;

    /* CD.R == 0 */
    nest_tables(e, &n, 1);
    s1_map(&n.s1, IOVA1, pa, 3, PTE_RO);
    s1_map(&n.s1, IOVA2, pa, 3, PTE_AP_UNPRIV);
    cd_write(e, n.cd, cd_word0(12, 39, 1) & ~CD0_R, n.s1.ttb0);
    nest_attach(e, &n, 1, EP_EDU0);
    unrecorded = get_stat(e, "faults-unrecorded");
    dma_write(e, 0, IOVA0, 4);
    dma_write(e, 0, IOVA1, 4);
    dma_write(e, 0, IOVA2, 4);
    dma_write(e, 0, 1ULL << 40, 4);
    expect_no_fault(e);
    g_assert_cmpint(get_stat(e, "faults-unrecorded"), ==, unrecorded + 4);
    g_assert_true(mem_is_zero(e, pa, 64));
    env_fini(e);
}

TEST(nest_dev_63)
{
    Env *e = env_init(obj, alloc);
    struct virtio_iommu_fault f;
    uint8_t raw[EVT_BUF_LEN];
    uint32_t len;
    Nest n;

    /* PCI endpoints send no SSID here: F_SSID never set, bytes 12-15 zero */
    nest_setup(e, &n, 1, EP_EDU0, 1);
    dma_write(e, 0, IOVA0, 4);
    g_assert_true(evt_get(e, &f, raw, &len));
    g_assert_false(le32_to_cpu(f.flags) & VIRTIO_IOMMU_FAULT_F_SSID);
    g_assert_cmphex(ldl_le_p(raw + 12), ==, 0);
    env_fini(e);
}

TEST(nest_dev_65)
{
    Env *e = env_init(obj, alloc);
    Nest n;

    nest_setup(e, &n, 1, EP_EDU0, 1);
    dma_write(e, 0, IOVA2 + 0x123, 4);
    expect_fault(e, VIRTIO_IOMMU_FAULT_R_S1_TRANSLATION, FAULT_W, EP_EDU0,
                 IOVA2 + 0x123);
    dma_read(e, 0, (1ULL << 39) + 0xabc, 4);
    expect_fault(e, VIRTIO_IOMMU_FAULT_R_S1_TRANSLATION, FAULT_R, EP_EDU0,
                 (1ULL << 39) + 0xabc);
    env_fini(e);
}

TEST(nest_dev_66)
{
    Env *e = env_init(obj, alloc);
    uint64_t pa = page(e);
    Nest n;

    nest_setup(e, &n, 1, EP_EDU0, 1);
    s1_map(&n.s1, IOVA0, pa, 3, PTE_AP_UNPRIV);
    dma_read(e, 0, IOVA0, 4);
    expect_fault(e, VIRTIO_IOMMU_FAULT_R_S1_ACCESS, FAULT_R, EP_EDU0, IOVA0);
    dma_write(e, 0, IOVA0, 4);
    expect_fault(e, VIRTIO_IOMMU_FAULT_R_S1_ACCESS, FAULT_W, EP_EDU0, IOVA0);
    env_fini(e);
}

TEST(nest_dev_67)
{
    Env *e;
    uint64_t pa;
    Nest n;

    /* No event buffer at all */
    env_init_full(obj, alloc, F_DEFAULT, 0);
    e = &env;
    pa = page(e);
    nest_setup(e, &n, 1, EP_EDU0, 1);
    dma_write(e, 0, IOVA0, 4);
    dma_write(e, 0, IOVA1, 4);
    expect_no_fault(e);
    /* The device goes on */
    s1_map(&n.s1, IOVA0, pa, 3, PTE_RW);
    g_assert_true(dma_lands(e, 0, IOVA0, pa));
    g_assert_cmpuint(probe_domain(e, 1), ==, S_OK);
    env_fini(e);
}

TEST(nest_dev_68)
{
    Env *e;
    int64_t dropped;
    Nest n;

    env_init_full(obj, alloc, F_DEFAULT, 0);
    e = &env;
    nest_setup(e, &n, 1, EP_EDU0, 1);
    dropped = get_stat(e, "faults-dropped");
    dma_write(e, 0, IOVA0, 4);
    dma_write(e, 0, IOVA1, 4);
    g_assert_cmpint(get_stat(e, "faults-dropped"), ==, dropped + 2);
    env_fini(e);
}

TEST(nest_dev_70)
{
    Env *e = env_init(obj, alloc);
    uint64_t pa = page(e), gpa = page(e);
    int64_t walks;
    Nest n;

    nest_setup(e, &n, 1, EP_EDU0, 1);
    s1_map(&n.s1, gpa, pa, 3, PTE_RW);
    g_assert_true(dma_lands(e, 0, gpa, pa));
    /* Device reset: the domain and its cached translations are gone */
    device_init(e, F_DEFAULT, NR_EVT);
    walks = get_stat(e, "walks");
    g_assert_cmpuint(probe_domain(e, 1), ==, S_NOENT);
    g_assert_true(lands_only(e, 0, gpa, gpa, pa));
    g_assert_cmpint(get_stat(e, "walks"), ==, walks);
    env_fini(e);
}

/* Standard requirements (spec section 16.1) */

TEST(std_dev_01)
{
    Env *e = env_init(obj, alloc);

    g_assert_true(e->offered & (1ULL << VIRTIO_IOMMU_F_MAP_UNMAP));
    env_fini(e);
}

TEST(std_dev_02)
{
    Env *e = env_init(obj, alloc);

    g_assert_false(e->offered & (1ULL << VIRTIO_IOMMU_F_BYPASS));
    env_fini(e);
}

TEST(std_dev_03)
{
    Env *e = env_init(obj, alloc);

    g_assert_false((e->offered & (1ULL << VIRTIO_IOMMU_F_BYPASS)) &&
                   (e->offered & (1ULL << VIRTIO_IOMMU_F_BYPASS_CONFIG)));
    env_fini(e);
}

TEST(std_dev_04)
{
    Env *e = env_init(obj, alloc);

    g_assert_cmphex(qvirtio_config_readq(e->dev, 0), !=, 0);
    env_fini(e);
}

TEST(std_dev_05)
{
    Env *e = env_init(obj, alloc);

    g_assert_true(e->features & (1ULL << VIRTIO_IOMMU_F_BYPASS_CONFIG));
    g_assert_cmpuint(qvirtio_config_readb(e->dev, 36), ==, 1);
    write_bypass(e, 0);
    g_assert_cmpuint(qvirtio_config_readb(e->dev, 36), ==, 0);
    /* 1. Kept across a device reset */
    device_init(e, F_DEFAULT, NR_EVT);
    g_assert_cmpuint(qvirtio_config_readb(e->dev, 36), ==, 0);
    /* 2. Back to the initial value on a system reset */
    qtest_system_reset(e->qts);
    qvirtio_pci_device_enable(e->pci);
    g_assert_cmpuint(qvirtio_config_readb(e->dev, 36), ==, 1);
    env_fini(e);
}

TEST(std_dev_06)
{
    Env *e = env_init(obj, alloc);
    unsigned int i;

    for (i = 0; i < 4; i++) {
        write_bypass(e, i & 1);
        g_assert_cmpuint(qvirtio_config_readb(e->dev, 36), ==, i & 1);
    }
    env_fini(e);
}

TEST(std_dev_07)
{
    Env *e = env_init(obj, alloc);

    g_assert_cmpuint(do_attach(e, 1, EP_EDU0, 0), ==, S_OK);
    g_assert_cmpuint(do_map(e, 1, 0, 0xfff, page(e), MAP_RW), ==, S_OK);
    g_assert_cmpuint(do_unmap(e, 1, 0, 0xfff), ==, S_OK);
    g_assert_cmpuint(do_detach(e, 1, EP_EDU0), ==, S_OK);
    env_fini(e);
}

TEST(std_dev_08)
{
    Env *e = env_init(obj, alloc);
    const uint8_t types[] = { 0, 6, 7, 8, 11, 0x7f, 0xff };
    struct virtio_iommu_req_attach req = {
        .domain = cpu_to_le32(1),
        .endpoint = cpu_to_le32(EP_EDU0),
    };
    unsigned int i;

    for (i = 0; i < ARRAY_SIZE(types); i++) {
        req.head.type = types[i];
        expect_unrecognized(e, &req, offsetof(typeof(req), tail));
    }
    /* Nothing was attached */
    g_assert_cmpuint(do_detach(e, 1, EP_EDU0), ==, S_NOENT);
    env_fini(e);
}

TEST(std_dev_09)
{
    Env *e = env_init(obj, alloc);
    struct virtio_iommu_req_attach req = {
        .head = { VIRTIO_IOMMU_T_ATTACH, { 0xff, 0x12, 0x80 } },
        .domain = cpu_to_le32(1),
        .endpoint = cpu_to_le32(EP_EDU0),
    };

    g_assert_cmpuint(send_req(e, &req, offsetof(typeof(req), tail)), ==,
                     S_OK);
    g_assert_cmpuint(do_detach(e, 1, EP_EDU0), ==, S_OK);
    env_fini(e);
}

TEST(std_dev_10)
{
    Env *e = env_init(obj, alloc);

    /* send_req() checks the reserved bytes of each tail */
    g_assert_cmpuint(do_attach(e, 1, EP_EDU0, 0), ==, S_OK);
    g_assert_cmpuint(do_attach(e, 1, EP_NONE, 0), ==, S_NOENT);
    g_assert_cmpuint(do_map(e, 1, 0, 0xfff, 0, 8), ==, S_INVAL);
    g_assert_cmpuint(do_unmap(e, 7, 0, 0xfff), ==, S_NOENT);
    env_fini(e);
}

TEST(std_dev_11)
{
    Env *e = env_init(obj, alloc);
    uint64_t gpa = page(e);

    write_bypass(e, 0);
    g_assert_false(dma_lands(e, 0, gpa, gpa));
    g_assert_true(mem_is_zero(e, gpa, 64));
    env_fini(e);
}

TEST(std_dev_12)
{
    Env *e = env_init(obj, alloc);
    uint64_t pa = page(e);
    struct virtio_iommu_req_attach req = {
        .head.type = VIRTIO_IOMMU_T_ATTACH,
        .domain = cpu_to_le32(2),
        .endpoint = cpu_to_le32(EP_EDU0),
    };
    unsigned int i;

    g_assert_cmpuint(do_attach(e, 1, EP_EDU0, 0), ==, S_OK);
    g_assert_cmpuint(do_map(e, 1, IOVA0, IOVA0 + 0xfff, pa, MAP_RW), ==, S_OK);
    for (i = 0; i < sizeof(req.reserved); i++) {
        memset(req.reserved, 0, sizeof(req.reserved));
        req.reserved[i] = 1;
        g_assert_cmpuint(send_req(e, &req, offsetof(typeof(req), tail)), ==,
                         S_INVAL);
    }
    /* Still in domain 1 */
    g_assert_true(dma_lands(e, 0, IOVA0, pa));
    env_fini(e);
}

TEST(std_dev_13)
{
    Env *e = env_init(obj, alloc);
    unsigned int bit;

    for (bit = 1; bit < 32; bit++) {
        g_assert_cmpuint(do_attach(e, 1, EP_EDU0, 1U << bit), ==, S_INVAL);
    }
    g_assert_cmpuint(do_detach(e, 1, EP_EDU0), ==, S_NOENT);
    env_fini(e);
}

TEST(std_dev_14)
{
    Env *e = env_init(obj, alloc);

    g_assert_cmpuint(do_attach(e, 1, EP_NONE, 0), ==, S_NOENT);
    g_assert_cmpuint(do_attach(e, 1, EP_EDU0 + 1, 0), ==, S_NOENT);
    env_fini(e);
}

/* STD-DEV-15, STD-DEV-19: this device attaches any endpoint to any domain */
TEST(std_dev_15)
{
    Env *e = env_init(obj, alloc);
    uint64_t pa = page(e);

    g_assert_cmpuint(do_attach(e, 1, EP_EDU0, 0), ==, S_OK);
    g_assert_cmpuint(do_map(e, 1, IOVA0, IOVA0 + 0xfff, pa, MAP_RW), ==, S_OK);
    g_assert_cmpuint(do_attach(e, 1, EP_EDU1, 0), ==, S_OK);
    g_assert_cmpuint(do_attach(e, 1, EP_HOST, 0), ==, S_OK);
    g_assert_true(dma_lands(e, 0, IOVA0, pa));
    g_assert_true(dma_lands(e, 1, IOVA0, pa));
    env_fini(e);
}

TEST(std_dev_16)
{
    Env *e = env_init(obj, alloc);
    uint64_t pa = page(e);

    g_assert_cmpuint(do_attach(e, 1, EP_EDU0, 0), ==, S_OK);
    g_assert_cmpuint(do_map(e, 1, IOVA0, IOVA0 + 0xfff, pa, MAP_RW), ==, S_OK);
    g_assert_cmpuint(do_attach(e, 2, EP_EDU1, VIRTIO_IOMMU_ATTACH_F_BYPASS),
                     ==, S_OK);
    g_assert_cmpuint(do_attach(e, 1, EP_EDU1, VIRTIO_IOMMU_ATTACH_F_BYPASS),
                     ==, S_INVAL);
    g_assert_cmpuint(do_attach(e, 2, EP_EDU0, 0), ==, S_INVAL);
    /* Both stayed where they were */
    g_assert_true(dma_lands(e, 0, IOVA0, pa));
    g_assert_true(dma_lands(e, 1, pa, pa));
    env_fini(e);
}

/* STD-DEV-17, STD-DEV-18: moving an endpoint always works here */
TEST(std_dev_17)
{
    Env *e = env_init(obj, alloc);
    uint64_t pa1 = page(e), pa2 = page(e);

    g_assert_cmpuint(do_attach(e, 1, EP_EDU0, 0), ==, S_OK);
    g_assert_cmpuint(do_map(e, 1, IOVA0, IOVA0 + 0xfff, pa1, MAP_RW), ==,
                     S_OK);
    g_assert_cmpuint(do_attach(e, 2, EP_EDU1, 0), ==, S_OK);
    g_assert_cmpuint(do_map(e, 2, IOVA0, IOVA0 + 0xfff, pa2, MAP_RW), ==,
                     S_OK);
    g_assert_cmpuint(do_attach(e, 2, EP_EDU0, 0), ==, S_OK);
    g_assert_true(lands_only(e, 0, IOVA0, pa2, pa1));
    /* Domain 1 lost its last endpoint */
    g_assert_cmpuint(do_map(e, 1, IOVA1, IOVA1 + 0xfff, pa1, MAP_RW), ==,
                     S_NOENT);
    env_fini(e);
}

TEST(std_dev_20)
{
    Env *e = env_init(obj, alloc);
    uint64_t pa = page(e);

    g_assert_cmpuint(do_attach(e, 1, EP_EDU0, 0), ==, S_OK);
    g_assert_false(dma_lands(e, 0, IOVA0, pa));
    expect_fault(e, VIRTIO_IOMMU_FAULT_R_MAPPING, VIRTIO_IOMMU_FAULT_F_ADDRESS,
                 EP_EDU0, IOVA0);
    g_assert_cmpuint(do_map(e, 1, IOVA0, IOVA0 + 0xfff, pa, MAP_RW), ==, S_OK);
    g_assert_true(dma_lands(e, 0, IOVA0, pa));
    env_fini(e);
}

TEST(std_dev_21)
{
    Env *e = env_init(obj, alloc);
    struct virtio_iommu_req_detach req = {
        .head.type = VIRTIO_IOMMU_T_DETACH,
        .domain = cpu_to_le32(1),
        .endpoint = cpu_to_le32(EP_EDU0),
        .reserved = { 1, 2, 3, 4, 5, 6, 7, 8 },
    };

    g_assert_cmpuint(do_attach(e, 1, EP_EDU0, 0), ==, S_OK);
    g_assert_cmpuint(send_req(e, &req, offsetof(typeof(req), tail)), ==,
                     S_OK);
    env_fini(e);
}

TEST(std_dev_22)
{
    Env *e = env_init(obj, alloc);

    g_assert_cmpuint(do_detach(e, 1, EP_NONE), ==, S_NOENT);
    g_assert_cmpuint(do_detach(e, 1, EP_EDU0 + 1), ==, S_NOENT);
    env_fini(e);
}

TEST(std_dev_23)
{
    Env *e = env_init(obj, alloc);
    uint64_t pa = page(e), gpa = page(e);

    g_assert_cmpuint(do_attach(e, 1, EP_EDU0, 0), ==, S_OK);
    g_assert_cmpuint(do_map(e, 1, gpa, gpa + 0xfff, pa, MAP_RW), ==, S_OK);
    g_assert_true(dma_lands(e, 0, gpa, pa));
    g_assert_cmpuint(do_detach(e, 1, EP_EDU0), ==, S_OK);
    /* Bypass now: the mapping is not used */
    g_assert_true(lands_only(e, 0, gpa, gpa, pa));
    /* No bypass: aborted */
    write_bypass(e, 0);
    g_assert_false(dma_lands(e, 0, gpa, pa));
    env_fini(e);
}

TEST(std_dev_25)
{
    Env *e = env_init(obj, alloc);

    g_assert_cmpuint(do_attach(e, 1, EP_EDU0, 0), ==, S_OK);
    g_assert_cmpuint(do_map(e, 1, 0x10000, 0x1ffff, page(e), MAP_RW), ==,
                     S_OK);
    g_assert_cmpuint(do_map(e, 1, 0x1f000, 0x20fff, page(e), MAP_RW), ==,
                     S_INVAL);
    g_assert_cmpuint(do_map(e, 1, 0x0, 0x10fff, page(e), MAP_RW), ==, S_INVAL);
    g_assert_cmpuint(do_map(e, 1, 0x12000, 0x12fff, page(e), MAP_RW), ==,
                     S_INVAL);
    env_fini(e);
}

TEST(std_dev_26)
{
    Env *e = env_init(obj, alloc);
    unsigned int bit;

    g_assert_cmpuint(do_attach(e, 1, EP_EDU0, 0), ==, S_OK);
    for (bit = 3; bit < 32; bit++) {
        g_assert_cmpuint(do_map(e, 1, 0, 0xfff, page(e), 1U << bit), ==,
                         S_INVAL);
    }
    env_fini(e);
}

TEST(std_dev_27)
{
    Env *e = env_init(obj, alloc);

    g_assert_cmpuint(do_map(e, 5, 0, 0xfff, page(e), MAP_RW), ==, S_NOENT);
    env_fini(e);
}

TEST(std_dev_28)
{
    Env *e = env_init(obj, alloc);

    g_assert_cmpuint(do_attach(e, 1, EP_EDU0, VIRTIO_IOMMU_ATTACH_F_BYPASS),
                     ==, S_OK);
    g_assert_cmpuint(do_map(e, 1, 0, 0xfff, page(e), MAP_RW), ==, S_INVAL);
    env_fini(e);
}

TEST(std_dev_29)
{
    Env *e = env_init(obj, alloc);
    uint64_t pa = page(e), pa2 = page(e);

    g_assert_cmpuint(do_attach(e, 1, EP_EDU0, 0), ==, S_OK);
    g_assert_cmpuint(do_map(e, 1, IOVA0, IOVA0 + 0xfff, pa,
                            VIRTIO_IOMMU_MAP_F_READ), ==, S_OK);
    g_assert_cmpuint(do_map(e, 1, IOVA1, IOVA1 + 0xfff, pa2, MAP_RW), ==,
                     S_OK);
    g_assert_false(dma_lands(e, 0, IOVA0, pa));
    expect_fault(e, VIRTIO_IOMMU_FAULT_R_MAPPING, FAULT_W, EP_EDU0, IOVA0);
    /* Reading is allowed: copy pa to pa2 */
    qtest_memwrite(e->qts, pa, e->pattern, 64);
    qtest_memset(e->qts, pa2, 0, 64);
    dma_read(e, 0, IOVA0, 64);
    dma_write_scratch(e, 0, IOVA1, 64);
    g_assert_true(mem_has_pattern(e, pa2, 64));
    expect_no_fault(e);
    env_fini(e);
}

TEST(std_dev_30)
{
    Env *e = env_init(obj, alloc);

    g_assert_cmpuint(do_unmap(e, 5, 0, 0xfff), ==, S_NOENT);
    env_fini(e);
}

TEST(std_dev_31)
{
    Env *e = env_init(obj, alloc);

    g_assert_cmpuint(do_attach(e, 1, EP_EDU0, VIRTIO_IOMMU_ATTACH_F_BYPASS),
                     ==, S_OK);
    g_assert_cmpuint(do_unmap(e, 1, 0, 0xfff), ==, S_INVAL);
    env_fini(e);
}

TEST(std_dev_32)
{
    Env *e = env_init(obj, alloc);
    uint64_t pa = page(e), pa2 = page(e);

    g_assert_cmpuint(do_attach(e, 1, EP_EDU0, 0), ==, S_OK);
    g_assert_cmpuint(do_map(e, 1, IOVA0, IOVA0 + 0xfff, pa, MAP_RW), ==, S_OK);
    g_assert_cmpuint(do_map(e, 1, IOVA0 + 0x1000, IOVA0 + 0x2fff, pa2,
                            MAP_RW), ==, S_OK);
    /* Splits the second mapping: nothing is removed */
    g_assert_cmpuint(do_unmap(e, 1, IOVA0, IOVA0 + 0x1fff), ==, S_RANGE);
    g_assert_cmpuint(do_unmap(e, 1, IOVA0 - 0x1000, IOVA0 + 0x1fff), ==,
                     S_RANGE);
    g_assert_true(dma_lands(e, 0, IOVA0, pa));
    g_assert_true(dma_lands(e, 0, IOVA0 + 0x1000, pa2));
    g_assert_cmpuint(do_map(e, 1, IOVA0, IOVA0 + 0xfff, pa, MAP_RW), ==,
                     S_INVAL);
    env_fini(e);
}

TEST(std_dev_33)
{
    Env *e = env_init(obj, alloc);
    uint64_t pa = page(e);

    g_assert_cmpuint(do_attach(e, 1, EP_EDU0, 0), ==, S_OK);
    g_assert_cmpuint(do_unmap(e, 1, IOVA0, IOVA0 + 0xfff), ==, S_OK);
    g_assert_cmpuint(do_map(e, 1, IOVA0, IOVA0 + 0xfff, pa, MAP_RW), ==, S_OK);
    g_assert_cmpuint(do_unmap(e, 1, IOVA0 - 0x10000, IOVA0 + 0x10fff), ==,
                     S_OK);
    g_assert_false(dma_lands(e, 0, IOVA0, pa));
    expect_fault(e, VIRTIO_IOMMU_FAULT_R_MAPPING, VIRTIO_IOMMU_FAULT_F_ADDRESS,
                 EP_EDU0, IOVA0);
    env_fini(e);
}

TEST(std_dev_34)
{
    Env *e = env_init(obj, alloc);
    struct virtio_iommu_req_probe req = {
        .head.type = VIRTIO_IOMMU_T_PROBE,
        .endpoint = cpu_to_le32(EP_EDU0),
    };
    uint8_t buf[PROBE_SIZE + 4], props[PROBE_SIZE];
    uint32_t used;

    memset(req.reserved, 0xff, sizeof(req.reserved));
    g_assert_cmpuint(send_raw(e, &req, offsetof(typeof(req), properties), buf,
                              sizeof(buf), &used), ==, S_OK);
    g_assert_cmpuint(do_probe(e, EP_EDU0, props), ==, S_OK);
    g_assert_cmpmem(buf, PROBE_SIZE, props, PROBE_SIZE);
    env_fini(e);
}

TEST(std_dev_35)
{
    Env *e = env_init(obj, alloc);
    uint8_t props[PROBE_SIZE];

    g_assert_cmpuint(do_probe(e, EP_NONE, props), ==, S_NOENT);
    g_assert_cmpuint(do_probe(e, EP_EDU0 + 1, props), ==, S_NOENT);
    env_fini(e);
}

/* Walk every property of @ep's PROBE reply */
static unsigned int probe_walk(Env *e, uint32_t ep, uint8_t *props,
                               size_t *end)
{
    unsigned int nr = 0;
    size_t off = 0;

    g_assert_cmpuint(do_probe(e, ep, props), ==, S_OK);
    while (off + 4 <= PROBE_SIZE && lduw_le_p(props + off)) {
        off += 4 + lduw_le_p(props + off + 2);
        g_assert_cmpuint(off, <=, PROBE_SIZE);
        nr++;
    }
    *end = off;
    return nr;
}

TEST(std_dev_37)
{
    Env *e = env_init(obj, alloc);
    uint8_t props[PROBE_SIZE];
    size_t off = 0, end;

    g_assert_cmpuint(probe_walk(e, EP_EDU0, props, &end), >=, 2);
    while (off < end) {
        g_assert_cmphex(lduw_le_p(props + off) & ~VIRTIO_IOMMU_PROBE_T_MASK,
                        ==, 0);
        off += 4 + lduw_le_p(props + off + 2);
    }
    env_fini(e);
}

TEST(std_dev_38)
{
    Env *e = env_init(obj, alloc);
    uint8_t props[PROBE_SIZE];
    const uint8_t *p;

    g_assert_cmpuint(do_probe(e, EP_EDU0, props), ==, S_OK);
    p = probe_find(props, VIRTIO_IOMMU_PROBE_T_RESV_MEM, 0);
    g_assert_nonnull(p);
    g_assert_cmpuint(lduw_le_p(p + 2), ==,
                     sizeof(struct virtio_iommu_probe_resv_mem) - 4);
    p = probe_find(props, VIRTIO_IOMMU_PROBE_T_TABLE_FORMAT, 0);
    g_assert_nonnull(p);
    g_assert_cmpuint(lduw_le_p(p + 2), ==,
                     sizeof(struct virtio_iommu_probe_table_arm_smmuv3) - 4);
    env_fini(e);
}

TEST(std_dev_39)
{
    Env *e = env_init(obj, alloc);
    uint8_t props[PROBE_SIZE];
    size_t end;

    /* Properties back to back, each where the previous length says */
    g_assert_cmpuint(probe_walk(e, EP_EDU0, props, &end), ==, 2);
    g_assert_cmpuint(end, ==, sizeof(struct virtio_iommu_probe_resv_mem) +
                     sizeof(struct virtio_iommu_probe_table_arm_smmuv3));
    g_assert_cmpuint(lduw_le_p(props), ==, VIRTIO_IOMMU_PROBE_T_RESV_MEM);
    g_assert_cmpuint(lduw_le_p(props +
                               sizeof(struct virtio_iommu_probe_resv_mem)),
                     ==, VIRTIO_IOMMU_PROBE_T_TABLE_FORMAT);
    env_fini(e);
}

TEST(std_dev_40)
{
    Env *e = env_init(obj, alloc);
    struct virtio_iommu_req_probe req = {
        .head.type = VIRTIO_IOMMU_T_PROBE,
        .endpoint = cpu_to_le32(EP_EDU0),
    };
    uint8_t buf[PROBE_SIZE];
    uint32_t used;
    unsigned int i;

    /* probe_size - 4 bytes of properties, then the tail */
    g_assert_cmpuint(send_raw(e, &req, offsetof(typeof(req), properties), buf,
                              sizeof(buf), &used), ==, S_INVAL);
    g_assert_cmpuint(used, ==, sizeof(buf));
    for (i = 0; i < sizeof(buf) - 4; i++) {
        g_assert_cmphex(buf[i], ==, 0xa5);
    }
    env_fini(e);
}

TEST(std_dev_41)
{
    Env *e = env_init(obj, alloc);
    uint8_t props[PROBE_SIZE];
    size_t end, i;

    probe_walk(e, EP_EDU0, props, &end);
    for (i = end; i < PROBE_SIZE; i++) {
        g_assert_cmpuint(props[i], ==, 0);
    }
    env_fini(e);
}

TEST(std_dev_42)
{
    Env *e = env_init(obj, alloc);
    uint8_t props[PROBE_SIZE];
    const struct virtio_iommu_probe_resv_mem *r;
    unsigned int nth;

    g_assert_cmpuint(do_probe(e, EP_EDU0, props), ==, S_OK);
    for (nth = 0; (r = (const void *)probe_find(props,
                                                VIRTIO_IOMMU_PROBE_T_RESV_MEM,
                                                nth)); nth++) {
        g_assert_cmpuint(r->reserved[0] | r->reserved[1] | r->reserved[2], ==,
                         0);
    }
    g_assert_cmpuint(nth, >, 0);
    env_fini(e);
}

TEST(std_dev_43)
{
    Env *e = env_init(obj, alloc);
    uint8_t props[PROBE_SIZE];
    const struct virtio_iommu_probe_resv_mem *r;
    unsigned int nth, msi = 0;

    g_assert_cmpuint(do_probe(e, EP_EDU0, props), ==, S_OK);
    for (nth = 0; (r = (const void *)probe_find(props,
                                                VIRTIO_IOMMU_PROBE_T_RESV_MEM,
                                                nth)); nth++) {
        msi += r->subtype == VIRTIO_IOMMU_RESV_MEM_T_MSI;
    }
    g_assert_cmpuint(msi, <=, 1);
    env_fini(e);
}

TEST(std_dev_44)
{
    Env *e = env_init(obj, alloc);
    uint8_t props[PROBE_SIZE];
    const struct virtio_iommu_probe_resv_mem *r, *q;
    unsigned int i, j;

    g_assert_cmpuint(do_probe(e, EP_EDU0, props), ==, S_OK);
    for (i = 0; (r = (const void *)probe_find(props,
                                              VIRTIO_IOMMU_PROBE_T_RESV_MEM,
                                              i)); i++) {
        g_assert_cmphex(le64_to_cpu(r->start), <=, le64_to_cpu(r->end));
        for (j = i + 1; (q = (const void *)probe_find(props,
                                              VIRTIO_IOMMU_PROBE_T_RESV_MEM,
                                              j)); j++) {
            g_assert_true(le64_to_cpu(r->end) < le64_to_cpu(q->start) ||
                          le64_to_cpu(q->end) < le64_to_cpu(r->start));
        }
    }
    env_fini(e);
}

TEST(std_dev_45)
{
    Env *e = env_init(obj, alloc);
    uint64_t start, end;

    g_assert_true(msi_region(e, EP_EDU0, &start, &end));
    g_assert_cmpuint(do_attach(e, 1, EP_EDU0, 0), ==, S_OK);
    g_assert_cmpuint(do_map(e, 1, start & ~0xfffULL,
                            (start & ~0xfffULL) + 0xfff, page(e), MAP_RW), ==,
                     S_INVAL);
    g_assert_cmpuint(do_map(e, 1, 0, end, page(e), MAP_RW), ==, S_INVAL);
    g_assert_cmpuint(do_map(e, 1, end + 1, end + 0x1000, page(e), MAP_RW), ==,
                     S_OK);
    env_fini(e);
}

/* A fault of a mapped domain, checked field by field */
static void std_fault(Env *e, struct virtio_iommu_fault *f, uint32_t *len)
{
    g_assert_cmpuint(do_attach(e, 1, EP_EDU0, 0), ==, S_OK);
    dma_write(e, 0, IOVA0 + 0x10, 4);
    g_assert_true(evt_get(e, f, NULL, len));
    expect_no_fault(e);
}

TEST(std_dev_47)
{
    Env *e = env_init(obj, alloc);
    struct virtio_iommu_fault f;
    uint32_t len;

    std_fault(e, &f, &len);
    g_assert_cmpuint(f.reserved[0] | f.reserved[1] | f.reserved[2], ==, 0);
    g_assert_cmpuint(ldl_le_p(f.reserved2), ==, 0);
    env_fini(e);
}

TEST(std_dev_48)
{
    Env *e = env_init(obj, alloc);
    struct virtio_iommu_fault f;
    uint32_t len;

    std_fault(e, &f, &len);
    g_assert_cmphex(le32_to_cpu(f.flags) &
                    ~(VIRTIO_IOMMU_FAULT_F_READ | VIRTIO_IOMMU_FAULT_F_WRITE |
                      VIRTIO_IOMMU_FAULT_F_EXEC | VIRTIO_IOMMU_FAULT_F_ADDRESS),
                    ==, 0);
    env_fini(e);
}

TEST(std_dev_49)
{
    Env *e = env_init(obj, alloc);
    struct virtio_iommu_fault f;
    uint32_t len;

    std_fault(e, &f, &len);
    g_assert_cmphex(le32_to_cpu(f.endpoint), ==, EP_EDU0);
    env_fini(e);
}

TEST(std_dev_50)
{
    Env *e = env_init(obj, alloc);
    struct virtio_iommu_fault f;
    uint32_t len;

    std_fault(e, &f, &len);
    g_assert_cmpuint(len, ==, sizeof(f));
    env_fini(e);
}

/* Nested extension: migration */

/*
 * Each migration test runs in a QEMU of its own (a source is left stopped),
 * which a unique name in the command line gets from qos.
 */
static void *add_edu_mig(GString *cmd_line, void *arg)
{
    add_edu(cmd_line, arg);
    g_string_append_printf(cmd_line, " -name %s ", (const char *)arg);
    return arg;
}

/*
 * Migrate the test's QEMU to a new one started with @extra options; wait
 * until the source is done. The destination is returned running, or NULL
 * if it failed (it then exited, as -incoming makes it).
 */
static QTestState *migrate_to(Env *e, const char *qos_name,
                              const char *extra, bool load_fails)
{
    g_autofree char *sock = g_strdup_printf("%s/pvb-mig-%d.sock",
                                            g_get_tmp_dir(), getpid());
    g_autofree char *uri = g_strdup_printf("unix:%s", sock);
    GString *cmd = g_string_new(qos_get_current_command_line());
    gint64 start = g_get_monotonic_time();
    QTestState *dest;
    QDict *rsp;

    add_edu_mig(cmd, (void *)qos_name);
    unlink(sock);
    dest = qtest_initf("%s %s -incoming %s", cmd->str, extra, uri);
    g_string_free(cmd, true);
    if (load_fails) {
        /* Say so before it can exit: no QMP to a dying destination */
        qtest_set_expected_status(dest, EXIT_FAILURE);
    }
    rsp = qtest_qmp(e->qts, "{'execute': 'migrate', 'arguments': "
                    "{'uri': %s}}", uri);
    g_assert(qdict_haskey(rsp, "return"));
    qobject_unref(rsp);

    /* The source completes once it sent everything */
    for (;;) {
        const char *status;
        bool done;

        rsp = qtest_qmp(e->qts, "{'execute': 'query-migrate'}");
        status = qdict_get_try_str(qdict_get_qdict(rsp, "return"), "status");
        done = status && (!strcmp(status, "completed") ||
                          !strcmp(status, "failed"));
        qobject_unref(rsp);
        if (done) {
            break;
        }
        g_assert(g_get_monotonic_time() - start <= TIMEOUT_US);
        g_usleep(10 * 1000);
    }

    if (load_fails) {
        qtest_wait_qemu(dest);
        qtest_quit(dest);
        unlink(sock);
        return NULL;
    }

    /* The destination runs */
    for (;;) {
        const char *status;
        bool running;

        if (!qtest_probe_child(dest)) {
            qtest_set_expected_status(dest, EXIT_FAILURE);
            qtest_quit(dest);
            unlink(sock);
            return NULL;
        }
        rsp = qtest_qmp(dest, "{'execute': 'query-status'}");
        status = qdict_get_try_str(qdict_get_qdict(rsp, "return"), "status");
        running = status && !strcmp(status, "running");
        qobject_unref(rsp);
        if (running) {
            break;
        }
        g_assert(g_get_monotonic_time() - start <= TIMEOUT_US);
        g_usleep(10 * 1000);
    }
    unlink(sock);
    return dest;
}

/*
 * Drive the destination from now on. The edu devices have no migration
 * state: enable them again, and reload their pattern from @stage_iova,
 * through the IOMMU.
 */
static void env_switch(Env *e, QTestState *qts, uint64_t stage_iova)
{
    QPCIBus *bus = e->pci->pdev->bus;
    int i;

    e->qts = qts;
    bus->qts = qts;
    for (i = 0; i < 2; i++) {
        g_free(e->edu[i].dev);
        e->edu[i].dev = qpci_device_find(bus, QPCI_DEVFN(5 + i, 0));
        g_assert(e->edu[i].dev);
        qpci_device_enable(e->edu[i].dev);
        e->edu[i].bar = qpci_iomap(e->edu[i].dev, 0, NULL);
        if (stage_iova) {
            edu_dma(e, i, stage_iova, EDU_BUF, EDU_PATTERN_LEN,
                    EDU_DMA_TO_PCI);
        }
    }
}

/* Back to the source, which the qos framework cleans up */
static void env_switch_back(Env *e, QTestState *dest)
{
    e->qts = global_qtest;
    e->pci->pdev->bus->qts = global_qtest;
    qtest_quit(dest);
}

/* A staging page with the pattern, mapped read-only at IOVA2 in @n */
static void map_stage(Env *e, Nest *n)
{
    uint64_t stage = page(e);

    qtest_memwrite(e->qts, stage, e->pattern, EDU_PATTERN_LEN);
    s1_map(&n->s1, IOVA2, stage, 3, PTE_RO);
}

TEST(nest_dev_71)
{
    Env *e = env_init(obj, alloc);
    uint64_t pa = page(e), pa3 = page(e);
    struct virtio_iommu_req_attach_table r;
    QTestState *dest;
    Nest n, n2;

    /* 1. Two table domains, a mapped domain, a bypass domain */
    nest_setup(e, &n, 1, EP_EDU0, 1);
    s1_map(&n.s1, IOVA0, pa, 3, PTE_RW);
    map_stage(e, &n);
    nest_tables(e, &n2, 2);
    s1_map(&n2.s1, IOVA0, pa, 3, PTE_RW);
    map_stage(e, &n2);
    r = at_req(2, EP_EDU1, n2.cd, LINEAR, 0, 0);
    r.arm_smmuv3.s1cir = 1;
    g_assert_cmpuint(send_at(e, &r), ==, S_OK);
    g_assert_cmpuint(do_attach(e, 3, EP_HOST, 0), ==, S_OK);
    g_assert_cmpuint(do_map(e, 3, IOVA0, IOVA0 + 0xfff, pa3, MAP_RW), ==, S_OK);
    g_assert_true(dma_lands(e, 0, IOVA0, pa));

    /* 2. Migrate */
    dest = migrate_to(e, data, "", false);
    g_assert_nonnull(dest);
    env_switch(e, dest, IOVA2);
    g_assert_cmpint(get_stat(e, "table-domains"), ==, 2);

    /* 3. Same domains, kinds, configurations and attachments */
    g_assert_true(dma_lands(e, 0, IOVA0, pa));
    g_assert_true(dma_lands(e, 1, IOVA0, pa));
    g_assert_cmpuint(probe_domain(e, 1), ==, S_OK);
    g_assert_cmpuint(probe_domain(e, 3), ==, S_INVAL);
    g_assert_cmpuint(do_map(e, 3, IOVA1, IOVA1 + 0xfff, pa3, MAP_RW), ==,
                     S_OK);
    g_assert_cmpuint(do_attach_table(e, 2, EP_HOST, n2.cd, LINEAR, 0, 0), ==,
                     S_INVAL);
    g_assert_cmpuint(send_at(e, &r), ==, S_OK);
    r.domain = cpu_to_le32(1);
    g_assert_cmpuint(send_at(e, &r), ==, S_INVAL);
    expect_no_fault(e);
    env_switch_back(e, dest);
    env_fini(e);
}

TEST(nest_dev_72)
{
    Env *e = env_init(obj, alloc);
    uint64_t pa1 = page(e), pa2 = page(e), leaf;
    QTestState *dest;
    Nest n;

    /* 1. The source caches IOVA0 -> pa1; the tables now say pa2 */
    leaf = cached_mapping(e, &n, pa1);
    map_stage(e, &n);
    remap(e, leaf, pa2);
    g_assert_true(lands_only(e, 0, IOVA0, pa1, pa2));

    /* 2. The destination starts from the tables */
    dest = migrate_to(e, data, "", false);
    g_assert_nonnull(dest);
    env_switch(e, dest, IOVA2);
    g_assert_cmpint(get_stat(e, "walks"), >=, 1);
    g_assert_true(lands_only(e, 0, IOVA0, pa2, pa1));
    env_switch_back(e, dest);
    env_fini(e);
}

TEST(nest_dev_73)
{
    Env *e = env_init(obj, alloc);
    QTestState *dest;
    Nest n;

    nest_setup(e, &n, 1, EP_EDU0, 1);
    /* Another TABLE_FORMAT at the destination: its oas */
    dest = migrate_to(e, data, "-global virtio-iommu-device.nested-oas=48",
                      true);
    g_assert_null(dest);
    env_fini(e);
}

static const struct {
    const char *name;
    QOSTestFunc fn;
} nested_tests[] = {
    { "nested/NEST-DEV-01", nest_dev_01 },
    { "nested/NEST-DEV-02", nest_dev_02 },
    { "nested/NEST-DEV-03", nest_dev_03 },
    { "nested/NEST-DEV-04", nest_dev_04 },
    { "nested/NEST-DEV-05", nest_dev_05 },
    { "nested/NEST-DEV-06", nest_dev_06 },
    { "nested/NEST-DEV-07", nest_dev_07 },
    { "nested/NEST-DEV-08", nest_dev_08 },
    { "nested/NEST-DEV-09", nest_dev_09 },
    { "nested/NEST-DEV-10", nest_dev_10 },
    { "nested/NEST-DEV-11", nest_dev_11 },
    { "nested/NEST-DEV-12", nest_dev_12 },
    { "nested/NEST-DEV-13", nest_dev_13 },
    { "nested/NEST-DEV-14", nest_dev_14 },
    { "nested/NEST-DEV-15", nest_dev_15 },
    { "nested/NEST-DEV-16", nest_dev_16 },
    { "nested/NEST-DEV-17", nest_dev_17 },
    { "nested/NEST-DEV-19", nest_dev_19 },
    { "nested/NEST-DEV-20", nest_dev_20 },
    { "nested/NEST-DEV-21", nest_dev_21 },
    { "nested/NEST-DEV-22", nest_dev_22 },
    { "nested/NEST-DEV-23", nest_dev_23 },
    { "nested/NEST-DEV-24", nest_dev_24 },
    { "nested/NEST-DEV-25", nest_dev_25 },
    { "nested/NEST-DEV-26", nest_dev_26 },
    { "nested/NEST-DEV-27", nest_dev_27 },
    { "nested/NEST-DEV-28", nest_dev_28 },
    { "nested/NEST-DEV-29", nest_dev_29 },
    { "nested/NEST-DEV-30", nest_dev_30 },
    { "nested/NEST-DEV-32", nest_dev_32 },
    { "nested/NEST-DEV-33", nest_dev_33 },
    { "nested/NEST-DEV-34", nest_dev_34 },
    { "nested/NEST-DEV-35", nest_dev_35 },
    { "nested/NEST-DEV-36", nest_dev_36 },
    { "nested/NEST-DEV-37", nest_dev_37 },
    { "nested/NEST-DEV-38", nest_dev_38 },
    { "nested/NEST-DEV-39", nest_dev_39 },
    { "nested/NEST-DEV-40", nest_dev_40 },
    { "nested/NEST-DEV-41", nest_dev_41 },
    { "nested/NEST-DEV-42", nest_dev_42 },
    { "nested/NEST-DEV-43", nest_dev_43 },
    { "nested/NEST-DEV-44", nest_dev_44 },
    { "nested/NEST-DEV-45", nest_dev_45 },
    { "nested/NEST-DEV-46", nest_dev_46 },
    { "nested/NEST-DEV-47", nest_dev_47 },
    { "nested/NEST-DEV-48", nest_dev_48 },
    { "nested/NEST-DEV-51", nest_dev_51 },
    { "nested/NEST-DEV-52", nest_dev_52 },
    { "nested/NEST-DEV-53", nest_dev_53 },
    { "nested/NEST-DEV-54", nest_dev_54 },
    { "nested/NEST-DEV-55", nest_dev_55 },
    { "nested/NEST-DEV-56", nest_dev_56 },
    { "nested/NEST-DEV-57", nest_dev_57 },
    { "nested/NEST-DEV-58", nest_dev_58 },
    { "nested/NEST-DEV-59", nest_dev_59 },
    { "nested/NEST-DEV-60", nest_dev_60 },
    { "nested/NEST-DEV-61", nest_dev_61 },
    { "nested/NEST-DEV-62", nest_dev_62 },
    { "nested/NEST-DEV-63", nest_dev_63 },
    { "nested/NEST-DEV-65", nest_dev_65 },
    { "nested/NEST-DEV-66", nest_dev_66 },
    { "nested/NEST-DEV-67", nest_dev_67 },
    { "nested/NEST-DEV-68", nest_dev_68 },
    { "nested/NEST-DEV-70", nest_dev_70 },
    { "std/STD-DEV-01", std_dev_01 },
    { "std/STD-DEV-02", std_dev_02 },
    { "std/STD-DEV-03", std_dev_03 },
    { "std/STD-DEV-04", std_dev_04 },
    { "std/STD-DEV-05", std_dev_05 },
    { "std/STD-DEV-06", std_dev_06 },
    { "std/STD-DEV-07", std_dev_07 },
    { "std/STD-DEV-08", std_dev_08 },
    { "std/STD-DEV-09", std_dev_09 },
    { "std/STD-DEV-10", std_dev_10 },
    { "std/STD-DEV-11", std_dev_11 },
    { "std/STD-DEV-12", std_dev_12 },
    { "std/STD-DEV-13", std_dev_13 },
    { "std/STD-DEV-14", std_dev_14 },
    { "std/STD-DEV-15", std_dev_15 },
    { "std/STD-DEV-16", std_dev_16 },
    { "std/STD-DEV-17", std_dev_17 },
    { "std/STD-DEV-18", std_dev_17 },
    { "std/STD-DEV-19", std_dev_15 },
    { "std/STD-DEV-20", std_dev_20 },
    { "std/STD-DEV-21", std_dev_21 },
    { "std/STD-DEV-22", std_dev_22 },
    { "std/STD-DEV-23", std_dev_23 },
    { "std/STD-DEV-25", std_dev_25 },
    { "std/STD-DEV-26", std_dev_26 },
    { "std/STD-DEV-27", std_dev_27 },
    { "std/STD-DEV-28", std_dev_28 },
    { "std/STD-DEV-29", std_dev_29 },
    { "std/STD-DEV-30", std_dev_30 },
    { "std/STD-DEV-31", std_dev_31 },
    { "std/STD-DEV-32", std_dev_32 },
    { "std/STD-DEV-33", std_dev_33 },
    { "std/STD-DEV-34", std_dev_34 },
    { "std/STD-DEV-35", std_dev_35 },
    { "std/STD-DEV-37", std_dev_37 },
    { "std/STD-DEV-38", std_dev_38 },
    { "std/STD-DEV-39", std_dev_39 },
    { "std/STD-DEV-40", std_dev_40 },
    { "std/STD-DEV-41", std_dev_41 },
    { "std/STD-DEV-42", std_dev_42 },
    { "std/STD-DEV-43", std_dev_43 },
    { "std/STD-DEV-44", std_dev_44 },
    { "std/STD-DEV-45", std_dev_45 },
    { "std/STD-DEV-47", std_dev_47 },
    { "std/STD-DEV-48", std_dev_48 },
    { "std/STD-DEV-49", std_dev_49 },
    { "std/STD-DEV-50", std_dev_50 },
};

static struct {
    const char *name;
    QOSTestFunc fn;
    QOSGraphTestOptions opts;
} migration_tests[] = {
    { "nested/NEST-DEV-71", nest_dev_71,
      { .before = add_edu_mig, .arg = (void *)"pvb-migration-71" } },
    { "nested/NEST-DEV-72", nest_dev_72,
      { .before = add_edu_mig, .arg = (void *)"pvb-migration-72" } },
    { "nested/NEST-DEV-73", nest_dev_73,
      { .before = add_edu_mig, .arg = (void *)"pvb-migration-73" } },
};

static void register_nested_tests(void)
{
    static QOSGraphTestOptions opts = {
        .before = add_edu,
    };
    unsigned int i;

    for (i = 0; i < ARRAY_SIZE(nested_tests); i++) {
        qos_add_test(nested_tests[i].name, "virtio-iommu", nested_tests[i].fn,
                     &opts);
    }
    for (i = 0; i < ARRAY_SIZE(migration_tests); i++) {
        qos_add_test(migration_tests[i].name, "virtio-iommu",
                     migration_tests[i].fn, &migration_tests[i].opts);
    }
}

libqos_init(register_nested_tests);
