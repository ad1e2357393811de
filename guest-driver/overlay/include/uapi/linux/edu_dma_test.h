/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * edu_dma_test.h - interface of the DMA test driver for QEMU's edu device
 *
 * /dev/edu_dma_testN, one per edu device, opened by one process at a time.
 * Buffers are mapped with the DMA API (single or coherent mappings) or, once
 * the device is in a paging domain of the driver's own, with iommu_map() at
 * an IOVA of the caller's choice. The DMA engine of the device copies
 * between its 4 KiB internal buffer and any bus address, mapped or not. The
 * device completes every transfer: a read that the IOMMU aborts leaves
 * zeroes in the internal buffer, a write that it aborts is dropped.
 */

#ifndef _UAPI_LINUX_EDU_DMA_TEST_H
#define _UAPI_LINUX_EDU_DMA_TEST_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* Size of the device's internal DMA buffer */
#define EDU_DMA_TEST_DEV_BUF_SIZE	4096
/* Largest buffer EDU_DMA_TEST_IOC_MAP accepts */
#define EDU_DMA_TEST_MAX_SIZE		0x100000

/* Domain of the device, in struct edu_dma_test_info */
enum edu_dma_test_domain_type {
	EDU_DMA_TEST_DOMAIN_NONE,	/* no IOMMU */
	EDU_DMA_TEST_DOMAIN_BLOCKED,
	EDU_DMA_TEST_DOMAIN_IDENTITY,
	EDU_DMA_TEST_DOMAIN_DMA,	/* DMA API, strict invalidation */
	EDU_DMA_TEST_DOMAIN_DMA_FQ,	/* DMA API, flush queue (lazy) */
	EDU_DMA_TEST_DOMAIN_UNMANAGED,	/* the driver's own domain */
	EDU_DMA_TEST_DOMAIN_OTHER,
};

/**
 * struct edu_dma_test_info - EDU_DMA_TEST_IOC_INFO
 * @domain_type: enum edu_dma_test_domain_type
 * @dma_bits: width of the device's DMA mask (the driver's dma_bits
 *	parameter, which must match the edu device's dma_mask property)
 * @faults: faults reported by the IOMMU driver to the fault handler of the
 *	driver's own domain (EDU_DMA_TEST_IOC_DOMAIN), since the device was
 *	bound
 * @fault_iova: IOVA of the last of them
 * @fault_flags: its flags (IOMMU_FAULT_READ 0, IOMMU_FAULT_WRITE 1)
 * @reserved: zero
 * @name: the PCI device, e.g. "0000:00:02.0"
 */
struct edu_dma_test_info {
	__u32 domain_type;
	__u32 dma_bits;
	__u64 faults;
	__u64 fault_iova;
	__u32 fault_flags;
	__u32 reserved;
	char name[32];
};

/* Kinds of buffer */
enum edu_dma_test_kind {
	EDU_DMA_TEST_SINGLE,		/* dma_map_single() */
	EDU_DMA_TEST_COHERENT,		/* dma_alloc_coherent() */
	EDU_DMA_TEST_IOMMU,		/* iommu_map() in the driver's domain */
};

/* Directions, as enum dma_data_direction */
enum edu_dma_test_dir {
	EDU_DMA_TEST_BIDIRECTIONAL = 0,
	EDU_DMA_TEST_TO_DEVICE = 1,	/* the device may only read */
	EDU_DMA_TEST_FROM_DEVICE = 2,	/* the device writes */
};

/**
 * struct edu_dma_test_map - EDU_DMA_TEST_IOC_MAP
 * @kind: enum edu_dma_test_kind
 * @dir: enum edu_dma_test_dir; EDU_DMA_TEST_BIDIRECTIONAL for coherent
 *	buffers
 * @size: bytes, 1 to EDU_DMA_TEST_MAX_SIZE
 * @offset: where the buffer starts in its first page (less than the page
 *	size); 0 for coherent buffers. For EDU_DMA_TEST_IOMMU, the page offset
 *	of @iova
 * @iova: for EDU_DMA_TEST_IOMMU, the IOVA to map the buffer at (in);
 *	otherwise the IOVA the DMA API gave (out)
 * @id: the buffer's handle (out)
 * @flags: zero
 *
 * The buffer is zeroed before it is mapped.
 */
struct edu_dma_test_map {
	__u32 kind;
	__u32 dir;
	__u64 size;
	__u64 offset;
	__u64 iova;
	__u32 id;
	__u32 flags;
};

/**
 * struct edu_dma_test_rw - EDU_DMA_TEST_IOC_READ, EDU_DMA_TEST_IOC_WRITE
 * @id: the buffer
 * @reserved: zero
 * @offset: offset in the buffer
 * @len: bytes to copy
 * @data: user pointer to copy to (READ) or from (WRITE)
 *
 * The CPU's view of a buffer, mapped or not (a coherent buffer is gone once
 * unmapped): READ and WRITE of a mapped buffer sync it for the CPU and back
 * for the device.
 */
struct edu_dma_test_rw {
	__u32 id;
	__u32 reserved;
	__u64 offset;
	__u64 len;
	__u64 data;
};

/* Transfer directions of the DMA engine */
enum edu_dma_test_xfer_dir {
	EDU_DMA_TEST_RAM_TO_DEV,	/* the device reads at @iova */
	EDU_DMA_TEST_DEV_TO_RAM,	/* the device writes at @iova */
};

/**
 * struct edu_dma_test_xfer - EDU_DMA_TEST_IOC_DMA
 * @iova: bus address, any value under the DMA mask
 * @len: bytes, 1 to EDU_DMA_TEST_DEV_BUF_SIZE
 * @dev_offset: offset in the device's buffer, @dev_offset + @len at most
 *	EDU_DMA_TEST_DEV_BUF_SIZE
 * @dir: enum edu_dma_test_xfer_dir
 * @reserved: zero
 *
 * Runs one transfer and waits for the device to complete it.
 */
struct edu_dma_test_xfer {
	__u64 iova;
	__u32 len;
	__u32 dev_offset;
	__u32 dir;
	__u32 reserved;
};

/* Arguments of EDU_DMA_TEST_IOC_DOMAIN */
enum edu_dma_test_domain_op {
	/*
	 * Attach the device to a new paging domain with a fault handler; no
	 * buffer may exist. Only EDU_DMA_TEST_IOMMU buffers until DETACH.
	 */
	EDU_DMA_TEST_DOMAIN_ATTACH,
	/* Back to the DMA API's domain; no EDU_DMA_TEST_IOMMU buffer may exist */
	EDU_DMA_TEST_DOMAIN_DETACH,
};

#define EDU_DMA_TEST_IOC_INFO	_IOR(0xED, 0x00, struct edu_dma_test_info)
#define EDU_DMA_TEST_IOC_MAP	_IOWR(0xED, 0x01, struct edu_dma_test_map)
/* Unmap the buffer of this id; its pages stay, except a coherent buffer's */
#define EDU_DMA_TEST_IOC_UNMAP	_IOW(0xED, 0x02, __u32)
/* Unmap if mapped, and free */
#define EDU_DMA_TEST_IOC_FREE	_IOW(0xED, 0x03, __u32)
#define EDU_DMA_TEST_IOC_READ	_IOW(0xED, 0x04, struct edu_dma_test_rw)
#define EDU_DMA_TEST_IOC_WRITE	_IOW(0xED, 0x05, struct edu_dma_test_rw)
#define EDU_DMA_TEST_IOC_DMA	_IOW(0xED, 0x06, struct edu_dma_test_xfer)
#define EDU_DMA_TEST_IOC_DOMAIN	_IOW(0xED, 0x07, __u32)
/*
 * Flush the IOTLB of the device's domain (iommu_flush_iotlb_all()), as the
 * DMA API's flush queue does when it times out
 */
#define EDU_DMA_TEST_IOC_FLUSH	_IO(0xED, 0x08)

#endif /* _UAPI_LINUX_EDU_DMA_TEST_H */
