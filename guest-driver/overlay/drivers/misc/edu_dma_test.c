// SPDX-License-Identifier: GPL-2.0-only
/*
 * DMA test driver for QEMU's "edu" PCI device
 *
 * The edu device (docs/specs/edu.rst in QEMU) has a DMA engine that copies
 * between a 4 KiB buffer inside the device and a bus address. This driver
 * gives user space that engine and the means to map buffers for it, so that
 * the IOMMU in front of the device can be tested from a guest: data through
 * DMA API mappings, the permissions of a mapping's direction, and what an
 * address does once unmapped, in strict and in lazy (flush queue) mode.
 *
 * The device completes every transfer, whatever the IOMMU did: a read that
 * the IOMMU aborts leaves zeroes in the device's buffer, and a write that
 * it aborts is dropped. The caller finds out from the data, from the IOMMU
 * driver's own fault reports, and, once the device is in a paging domain of
 * this driver's (EDU_DMA_TEST_IOC_DOMAIN), from the fault handler of that
 * domain, which counts the faults reported with report_iommu_fault().
 *
 * The interface is in include/uapi/linux/edu_dma_test.h.
 */

#include <linux/dma-mapping.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/iommu.h>
#include <linux/iopoll.h>
#include <linux/list.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>

#include <uapi/linux/edu_dma_test.h>

/* PCI IDs of QEMU's edu device */
#define EDU_VENDOR_ID		0x1234
#define EDU_DEVICE_ID		0x11e8

#define EDU_REG_ID		0x00
#define EDU_REG_DMA_SRC		0x80
#define EDU_REG_DMA_DST		0x88
#define EDU_REG_DMA_CNT		0x90
#define EDU_REG_DMA_CMD		0x98
#define EDU_DMA_CMD_RUN		BIT(0)
#define EDU_DMA_CMD_TO_RAM	BIT(1)

/* Address of the device's buffer on the DMA engine's side */
#define EDU_DEV_BUF_ADDR	0x40000

/* The device starts a transfer 100 ms after the command */
#define EDU_DMA_POLL_US		1000
#define EDU_DMA_TIMEOUT_US	(10 * USEC_PER_SEC)

static unsigned int dma_bits = 28;
module_param(dma_bits, uint, 0444);
MODULE_PARM_DESC(dma_bits,
		 "Width of the device's DMA mask, as the edu device's dma_mask property (default: 28)");

struct edu_dma_buf {
	struct list_head list;
	u32 id;
	u32 kind;
	enum dma_data_direction dir;
	size_t size;
	size_t offset;
	struct page *pages;
	unsigned int order;
	void *cpu;
	dma_addr_t iova;
	bool mapped;
};

struct edu_dma_test {
	struct pci_dev *pdev;
	void __iomem *mmio;
	struct miscdevice misc;
	int index;
	char name[24];

	/* Protects the fields below and serialises the DMA engine */
	struct mutex lock;
	bool busy;
	bool removed;
	struct list_head bufs;
	u32 next_id;
	struct iommu_domain *domain;

	/* The fault handler's record */
	spinlock_t fault_lock;
	u64 faults;
	u64 fault_iova;
	u32 fault_flags;
};

static DEFINE_IDA(edu_dma_test_ida);

static struct edu_dma_test *file_edt(struct file *file)
{
	struct miscdevice *misc = file->private_data;

	return container_of(misc, struct edu_dma_test, misc);
}

static struct device *edt_dev(struct edu_dma_test *edt)
{
	return &edt->pdev->dev;
}

/* Whether the device can address [iova, iova + size - 1] */
static bool edu_dma_addressable(struct device *dev, u64 iova, u64 size)
{
	u64 mask = dma_get_mask(dev);

	return size - 1 <= mask && iova <= mask - (size - 1);
}

static int edu_dma_test_fault(struct iommu_domain *domain, struct device *dev,
			      unsigned long iova, int flags, void *token)
{
	struct edu_dma_test *edt = token;
	unsigned long irqflags;

	spin_lock_irqsave(&edt->fault_lock, irqflags);
	edt->faults++;
	edt->fault_iova = iova;
	edt->fault_flags = flags;
	spin_unlock_irqrestore(&edt->fault_lock, irqflags);

	return 0;
}

static u32 edu_domain_type(struct edu_dma_test *edt)
{
	struct iommu_domain *domain;

	if (edt->domain)
		return EDU_DMA_TEST_DOMAIN_UNMANAGED;
	domain = iommu_get_domain_for_dev(edt_dev(edt));
	if (!domain)
		return EDU_DMA_TEST_DOMAIN_NONE;
	switch (domain->type) {
	case IOMMU_DOMAIN_BLOCKED:
		return EDU_DMA_TEST_DOMAIN_BLOCKED;
	case IOMMU_DOMAIN_IDENTITY:
		return EDU_DMA_TEST_DOMAIN_IDENTITY;
	case IOMMU_DOMAIN_DMA:
		return EDU_DMA_TEST_DOMAIN_DMA;
	case IOMMU_DOMAIN_DMA_FQ:
		return EDU_DMA_TEST_DOMAIN_DMA_FQ;
	case IOMMU_DOMAIN_UNMANAGED:
		return EDU_DMA_TEST_DOMAIN_UNMANAGED;
	default:
		return EDU_DMA_TEST_DOMAIN_OTHER;
	}
}

static int edu_info(struct edu_dma_test *edt, void __user *arg)
{
	struct edu_dma_test_info info = {
		.domain_type = edu_domain_type(edt),
		.dma_bits = dma_bits,
	};
	unsigned long irqflags;

	spin_lock_irqsave(&edt->fault_lock, irqflags);
	info.faults = edt->faults;
	info.fault_iova = edt->fault_iova;
	info.fault_flags = edt->fault_flags;
	spin_unlock_irqrestore(&edt->fault_lock, irqflags);
	strscpy(info.name, pci_name(edt->pdev));

	return copy_to_user(arg, &info, sizeof(info)) ? -EFAULT : 0;
}

static struct edu_dma_buf *edu_find_buf(struct edu_dma_test *edt, u32 id)
{
	struct edu_dma_buf *buf;

	list_for_each_entry(buf, &edt->bufs, list)
		if (buf->id == id)
			return buf;
	return NULL;
}

static int edu_prot(enum dma_data_direction dir)
{
	switch (dir) {
	case DMA_TO_DEVICE:
		return IOMMU_READ | IOMMU_CACHE;
	case DMA_FROM_DEVICE:
		return IOMMU_WRITE | IOMMU_CACHE;
	default:
		return IOMMU_READ | IOMMU_WRITE | IOMMU_CACHE;
	}
}

static size_t edu_buf_span(struct edu_dma_buf *buf)
{
	return PAGE_ALIGN(buf->offset + buf->size);
}

static void edu_unmap_buf(struct edu_dma_test *edt, struct edu_dma_buf *buf)
{
	struct device *dev = edt_dev(edt);

	if (!buf->mapped)
		return;
	switch (buf->kind) {
	case EDU_DMA_TEST_SINGLE:
		dma_unmap_single(dev, buf->iova, buf->size, buf->dir);
		break;
	case EDU_DMA_TEST_COHERENT:
		dma_free_coherent(dev, buf->size, buf->cpu, buf->iova);
		buf->cpu = NULL;
		break;
	case EDU_DMA_TEST_IOMMU:
		if (iommu_unmap(edt->domain, buf->iova - buf->offset,
				edu_buf_span(buf)) != edu_buf_span(buf))
			dev_warn(dev, "buffer %u: iommu_unmap() failed\n",
				 buf->id);
		break;
	}
	buf->mapped = false;
}

static void edu_free_buf(struct edu_dma_test *edt, struct edu_dma_buf *buf)
{
	edu_unmap_buf(edt, buf);
	if (buf->pages)
		__free_pages(buf->pages, buf->order);
	list_del(&buf->list);
	kfree(buf);
}

static int edu_map(struct edu_dma_test *edt, void __user *arg)
{
	struct device *dev = edt_dev(edt);
	struct edu_dma_test_map m;
	struct edu_dma_buf *buf;
	int ret;

	if (copy_from_user(&m, arg, sizeof(m)))
		return -EFAULT;
	if (m.kind > EDU_DMA_TEST_IOMMU || m.flags ||
	    !valid_dma_direction(m.dir) ||
	    !m.size || m.size > EDU_DMA_TEST_MAX_SIZE ||
	    m.offset >= PAGE_SIZE)
		return -EINVAL;
	if (m.kind == EDU_DMA_TEST_COHERENT &&
	    (m.dir != EDU_DMA_TEST_BIDIRECTIONAL || m.offset))
		return -EINVAL;
	if (m.kind == EDU_DMA_TEST_IOMMU &&
	    (m.offset != offset_in_page(m.iova) ||
	     !edu_dma_addressable(dev, m.iova, m.size)))
		return -EINVAL;
	/* The DMA API can't be used while the device is in our domain */
	if (m.kind == EDU_DMA_TEST_IOMMU ? !edt->domain : !!edt->domain)
		return -EBUSY;

	buf = kzalloc_obj(*buf);
	if (!buf)
		return -ENOMEM;
	buf->kind = m.kind;
	buf->dir = m.dir;
	buf->size = m.size;
	buf->offset = m.offset;

	if (m.kind == EDU_DMA_TEST_COHERENT) {
		buf->cpu = dma_alloc_coherent(dev, m.size, &buf->iova,
					      GFP_KERNEL);
		ret = -ENOMEM;
		if (!buf->cpu)
			goto err_free;
	} else {
		buf->order = get_order(edu_buf_span(buf));
		buf->pages = alloc_pages(GFP_KERNEL | __GFP_ZERO, buf->order);
		ret = -ENOMEM;
		if (!buf->pages)
			goto err_free;
		buf->cpu = page_address(buf->pages) + buf->offset;
	}

	if (m.kind == EDU_DMA_TEST_SINGLE) {
		buf->iova = dma_map_single(dev, buf->cpu, buf->size, buf->dir);
		ret = dma_mapping_error(dev, buf->iova);
		if (ret)
			goto err_free_pages;
	} else if (m.kind == EDU_DMA_TEST_IOMMU) {
		buf->iova = m.iova;
		ret = iommu_map(edt->domain, m.iova - m.offset,
				page_to_phys(buf->pages), edu_buf_span(buf),
				edu_prot(buf->dir), GFP_KERNEL);
		if (ret)
			goto err_free_pages;
	}

	buf->mapped = true;
	buf->id = ++edt->next_id;
	m.id = buf->id;
	m.iova = buf->iova;
	if (copy_to_user(arg, &m, sizeof(m))) {
		list_add(&buf->list, &edt->bufs);
		edu_free_buf(edt, buf);
		return -EFAULT;
	}
	list_add(&buf->list, &edt->bufs);
	return 0;

err_free_pages:
	if (buf->pages)
		__free_pages(buf->pages, buf->order);
err_free:
	kfree(buf);
	return ret;
}

static int edu_unmap(struct edu_dma_test *edt, u32 __user *arg, bool free)
{
	struct edu_dma_buf *buf;
	u32 id;

	if (get_user(id, arg))
		return -EFAULT;
	buf = edu_find_buf(edt, id);
	if (!buf)
		return -ENOENT;
	if (free) {
		edu_free_buf(edt, buf);
		return 0;
	}
	if (!buf->mapped)
		return -EINVAL;
	edu_unmap_buf(edt, buf);
	return 0;
}

static int edu_rw(struct edu_dma_test *edt, void __user *arg, bool write)
{
	struct device *dev = edt_dev(edt);
	struct edu_dma_test_rw rw;
	void __user *data;
	struct edu_dma_buf *buf;
	bool sync;
	int ret = 0;

	if (copy_from_user(&rw, arg, sizeof(rw)))
		return -EFAULT;
	buf = edu_find_buf(edt, rw.id);
	if (!buf)
		return -ENOENT;
	if (rw.reserved || rw.offset > buf->size ||
	    rw.len > buf->size - rw.offset)
		return -EINVAL;
	if (!buf->cpu)
		return -ENXIO;
	data = u64_to_user_ptr(rw.data);

	sync = buf->mapped && buf->kind == EDU_DMA_TEST_SINGLE;
	if (sync)
		dma_sync_single_for_cpu(dev, buf->iova, buf->size, buf->dir);
	if (write) {
		if (copy_from_user(buf->cpu + rw.offset, data, rw.len))
			ret = -EFAULT;
	} else {
		if (copy_to_user(data, buf->cpu + rw.offset, rw.len))
			ret = -EFAULT;
	}
	if (sync)
		dma_sync_single_for_device(dev, buf->iova, buf->size,
					   buf->dir);
	return ret;
}

static int edu_dma(struct edu_dma_test *edt, void __user *arg)
{
	struct edu_dma_test_xfer x;
	u64 dev_addr, cmd;
	int ret;

	if (copy_from_user(&x, arg, sizeof(x)))
		return -EFAULT;
	if (x.reserved || x.dir > EDU_DMA_TEST_DEV_TO_RAM ||
	    !x.len || x.len > EDU_DMA_TEST_DEV_BUF_SIZE ||
	    x.dev_offset > EDU_DMA_TEST_DEV_BUF_SIZE - x.len ||
	    !edu_dma_addressable(edt_dev(edt), x.iova, x.len))
		return -EINVAL;

	if (readq(edt->mmio + EDU_REG_DMA_CMD) & EDU_DMA_CMD_RUN)
		return -EBUSY;

	dev_addr = EDU_DEV_BUF_ADDR + x.dev_offset;
	if (x.dir == EDU_DMA_TEST_RAM_TO_DEV) {
		writeq(x.iova, edt->mmio + EDU_REG_DMA_SRC);
		writeq(dev_addr, edt->mmio + EDU_REG_DMA_DST);
		cmd = EDU_DMA_CMD_RUN;
	} else {
		writeq(dev_addr, edt->mmio + EDU_REG_DMA_SRC);
		writeq(x.iova, edt->mmio + EDU_REG_DMA_DST);
		cmd = EDU_DMA_CMD_RUN | EDU_DMA_CMD_TO_RAM;
	}
	writeq(x.len, edt->mmio + EDU_REG_DMA_CNT);
	writeq(cmd, edt->mmio + EDU_REG_DMA_CMD);

	ret = readq_poll_timeout(edt->mmio + EDU_REG_DMA_CMD, cmd,
				 !(cmd & EDU_DMA_CMD_RUN), EDU_DMA_POLL_US,
				 EDU_DMA_TIMEOUT_US);
	if (ret)
		dev_err(edt_dev(edt), "DMA to %#llx timed out\n", x.iova);
	return ret;
}

static int edu_domain_attach(struct edu_dma_test *edt)
{
	struct device *dev = edt_dev(edt);
	struct iommu_domain *domain;
	int ret;

	if (edt->domain || !list_empty(&edt->bufs))
		return -EBUSY;

	domain = iommu_paging_domain_alloc(dev);
	if (IS_ERR(domain))
		return PTR_ERR(domain);
	iommu_set_fault_handler(domain, edu_dma_test_fault, edt);
	ret = iommu_attach_device(domain, dev);
	if (ret) {
		iommu_domain_free(domain);
		return ret;
	}
	edt->domain = domain;
	return 0;
}

static void edu_domain_detach(struct edu_dma_test *edt)
{
	iommu_detach_device(edt->domain, edt_dev(edt));
	iommu_domain_free(edt->domain);
	edt->domain = NULL;
}

static int edu_domain(struct edu_dma_test *edt, u32 __user *arg)
{
	u32 op;

	if (get_user(op, arg))
		return -EFAULT;
	switch (op) {
	case EDU_DMA_TEST_DOMAIN_ATTACH:
		return edu_domain_attach(edt);
	case EDU_DMA_TEST_DOMAIN_DETACH:
		if (!edt->domain)
			return -EINVAL;
		if (!list_empty(&edt->bufs))
			return -EBUSY;
		edu_domain_detach(edt);
		return 0;
	default:
		return -EINVAL;
	}
}

static int edu_flush(struct edu_dma_test *edt)
{
	struct iommu_domain *domain = edt->domain;

	if (!domain)
		domain = iommu_get_domain_for_dev(edt_dev(edt));
	if (!domain || !(domain->type & __IOMMU_DOMAIN_PAGING))
		return -ENODEV;
	iommu_flush_iotlb_all(domain);
	return 0;
}

static long edu_dma_test_ioctl(struct file *file, unsigned int cmd,
			       unsigned long arg)
{
	struct edu_dma_test *edt = file_edt(file);
	void __user *uarg = (void __user *)arg;
	long ret;

	mutex_lock(&edt->lock);
	if (edt->removed) {
		mutex_unlock(&edt->lock);
		return -ENODEV;
	}
	switch (cmd) {
	case EDU_DMA_TEST_IOC_INFO:
		ret = edu_info(edt, uarg);
		break;
	case EDU_DMA_TEST_IOC_MAP:
		ret = edu_map(edt, uarg);
		break;
	case EDU_DMA_TEST_IOC_UNMAP:
		ret = edu_unmap(edt, uarg, false);
		break;
	case EDU_DMA_TEST_IOC_FREE:
		ret = edu_unmap(edt, uarg, true);
		break;
	case EDU_DMA_TEST_IOC_READ:
		ret = edu_rw(edt, uarg, false);
		break;
	case EDU_DMA_TEST_IOC_WRITE:
		ret = edu_rw(edt, uarg, true);
		break;
	case EDU_DMA_TEST_IOC_DMA:
		ret = edu_dma(edt, uarg);
		break;
	case EDU_DMA_TEST_IOC_DOMAIN:
		ret = edu_domain(edt, uarg);
		break;
	case EDU_DMA_TEST_IOC_FLUSH:
		ret = edu_flush(edt);
		break;
	default:
		ret = -ENOTTY;
		break;
	}
	mutex_unlock(&edt->lock);
	return ret;
}

static int edu_dma_test_open(struct inode *inode, struct file *file)
{
	struct edu_dma_test *edt = file_edt(file);
	int ret = 0;

	mutex_lock(&edt->lock);
	if (edt->busy)
		ret = -EBUSY;
	else
		edt->busy = true;
	mutex_unlock(&edt->lock);
	return ret;
}

/* Free the buffers and leave the driver's domain */
static void edu_reset(struct edu_dma_test *edt)
{
	struct edu_dma_buf *buf, *next;

	list_for_each_entry_safe(buf, next, &edt->bufs, list)
		edu_free_buf(edt, buf);
	if (edt->domain)
		edu_domain_detach(edt);
}

static int edu_dma_test_release(struct inode *inode, struct file *file)
{
	struct edu_dma_test *edt = file_edt(file);
	bool removed;

	mutex_lock(&edt->lock);
	if (!edt->removed)
		edu_reset(edt);
	edt->busy = false;
	removed = edt->removed;
	mutex_unlock(&edt->lock);
	/* The device went away while open: the last user frees */
	if (removed)
		kfree(edt);
	return 0;
}

static const struct file_operations edu_dma_test_fops = {
	.owner		= THIS_MODULE,
	.open		= edu_dma_test_open,
	.release	= edu_dma_test_release,
	.unlocked_ioctl	= edu_dma_test_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

static int edu_dma_test_probe(struct pci_dev *pdev,
			      const struct pci_device_id *id)
{
	struct device *dev = &pdev->dev;
	struct edu_dma_test *edt;
	void __iomem *mmio;
	u32 ident;
	int ret;

	if (dma_bits < 12 || dma_bits > 64)
		return dev_err_probe(dev, -EINVAL, "bad dma_bits %u\n",
				     dma_bits);

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	mmio = pcim_iomap_region(pdev, 0, "edu_dma_test");
	if (IS_ERR(mmio))
		return PTR_ERR(mmio);
	ret = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(dma_bits));
	if (ret)
		return dev_err_probe(dev, ret, "no %u-bit DMA\n", dma_bits);
	pci_set_master(pdev);

	ident = readl(mmio + EDU_REG_ID);
	if ((ident & 0xff) != 0xed)
		return dev_err_probe(dev, -ENODEV, "not an edu device (%#x)\n",
				     ident);

	/* Not devm: an open file may outlive the device */
	edt = kzalloc_obj(*edt);
	if (!edt)
		return -ENOMEM;
	edt->pdev = pdev;
	edt->mmio = mmio;
	mutex_init(&edt->lock);
	spin_lock_init(&edt->fault_lock);
	INIT_LIST_HEAD(&edt->bufs);

	ret = ida_alloc(&edu_dma_test_ida, GFP_KERNEL);
	if (ret < 0)
		goto err_free;
	edt->index = ret;
	snprintf(edt->name, sizeof(edt->name), "edu_dma_test%d", edt->index);
	edt->misc.minor = MISC_DYNAMIC_MINOR;
	edt->misc.name = edt->name;
	edt->misc.fops = &edu_dma_test_fops;
	edt->misc.parent = dev;
	ret = misc_register(&edt->misc);
	if (ret)
		goto err_ida;
	pci_set_drvdata(pdev, edt);

	dev_info(dev, "edu %u.%u, /dev/%s, %u-bit DMA\n", ident >> 24,
		 (ident >> 16) & 0xff, edt->name, dma_bits);
	return 0;

err_ida:
	ida_free(&edu_dma_test_ida, edt->index);
err_free:
	kfree(edt);
	return ret;
}

static void edu_dma_test_remove(struct pci_dev *pdev)
{
	struct edu_dma_test *edt = pci_get_drvdata(pdev);
	bool busy;

	/* No open in progress or to come once this returns */
	misc_deregister(&edt->misc);
	ida_free(&edu_dma_test_ida, edt->index);

	mutex_lock(&edt->lock);
	edu_reset(edt);
	edt->removed = true;
	busy = edt->busy;
	mutex_unlock(&edt->lock);
	if (!busy)
		kfree(edt);
}

static const struct pci_device_id edu_dma_test_ids[] = {
	{ PCI_DEVICE(EDU_VENDOR_ID, EDU_DEVICE_ID) },
	{ }
};
MODULE_DEVICE_TABLE(pci, edu_dma_test_ids);

static struct pci_driver edu_dma_test_driver = {
	.name		= "edu_dma_test",
	.id_table	= edu_dma_test_ids,
	.probe		= edu_dma_test_probe,
	.remove		= edu_dma_test_remove,
};
module_pci_driver(edu_dma_test_driver);

MODULE_DESCRIPTION("DMA test driver for QEMU's edu device");
MODULE_LICENSE("GPL");
