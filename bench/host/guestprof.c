// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * guestprof: a QEMU TCG plugin that counts, per translated block of guest
 * code, how often it ran, between two points the host chooses. For the
 * benchmark's "where the guest's time goes" profile (bench/README.md).
 *
 *   -plugin guestprof.so,ctl=PATH,out=PATH
 *
 * A thread of the plugin polls for PATH.start (counters set to zero, file
 * removed) and PATH.stop (counters written to OUT, file removed). OUT has
 * one line per block that ran: "vaddr insns msr mrs barriers execs" (hex
 * vaddr; instructions in the block; of which MSR system-register writes
 * (DAIF masking included), MRS reads and DSB/DMB/ISB barriers; executions
 * summed over the vCPUs). The host maps vaddr to kernel symbols with
 * System.map.
 *
 * Built by bench/run-bench.py against QEMU's include/qemu/qemu-plugin.h:
 *   gcc -shared -fPIC -O2 -I QEMU_SRC/include/qemu $(pkg-config --cflags glib-2.0) \
 *       -o guestprof.so guestprof.c $(pkg-config --libs glib-2.0)
 */
#include <glib.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

struct block {
	uint64_t vaddr;
	unsigned insns, msr, mrs, barriers;
	struct qemu_plugin_scoreboard *execs;
};

static GMutex lock;
static GHashTable *blocks;	/* (vaddr ^ insns) -> list of struct block */
static GPtrArray *all;
static char ctl_start[PATH_MAX], ctl_stop[PATH_MAX], out_path[PATH_MAX];

static void vcpu_tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	uint64_t vaddr = qemu_plugin_tb_vaddr(tb);
	unsigned n = qemu_plugin_tb_n_insns(tb), i, msr = 0, mrs = 0, bar = 0;
	struct block *b;
	GPtrArray *chain;

	(void)id;
	for (i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		uint32_t w = 0;

		/* A64 encodings (no disassembler needed) */
		if (qemu_plugin_insn_data(insn, &w, sizeof(w)) != sizeof(w))
			continue;
		if ((w & 0xfff00000) == 0xd5100000 ||	/* MSR (register) */
		    (w & 0xfff8f01f) == 0xd500401f)	/* MSR (immediate): DAIFSet... */
			msr++;
		else if ((w & 0xfff00000) == 0xd5300000)	/* MRS */
			mrs++;
		else if ((w & 0xfffff09f) == 0xd503309f)	/* DSB, DMB, ISB */
			bar++;
	}

	g_mutex_lock(&lock);
	chain = g_hash_table_lookup(blocks, GSIZE_TO_POINTER((gsize)(vaddr ^ n)));
	b = NULL;
	if (chain) {
		for (i = 0; i < chain->len; i++) {
			struct block *c = g_ptr_array_index(chain, i);

			if (c->vaddr == vaddr && c->insns == n) {
				b = c;
				break;
			}
		}
	}
	if (!b) {
		b = g_new0(struct block, 1);
		b->vaddr = vaddr;
		b->insns = n;
		b->msr = msr;
		b->mrs = mrs;
		b->barriers = bar;
		b->execs = qemu_plugin_scoreboard_new(sizeof(uint64_t));
		if (!chain) {
			chain = g_ptr_array_new();
			g_hash_table_insert(blocks, GSIZE_TO_POINTER((gsize)(vaddr ^ n)), chain);
		}
		g_ptr_array_add(chain, b);
		g_ptr_array_add(all, b);
	}
	g_mutex_unlock(&lock);

	qemu_plugin_register_vcpu_tb_exec_inline_per_vcpu(
		tb, QEMU_PLUGIN_INLINE_ADD_U64, qemu_plugin_scoreboard_u64(b->execs), 1);
}

static void reset(void)
{
	int v, nv = qemu_plugin_num_vcpus();
	unsigned i;

	g_mutex_lock(&lock);
	for (i = 0; i < all->len; i++) {
		struct block *b = g_ptr_array_index(all, i);

		for (v = 0; v < nv; v++)
			qemu_plugin_u64_set(qemu_plugin_scoreboard_u64(b->execs), v, 0);
	}
	g_mutex_unlock(&lock);
}

static void dump(void)
{
	char tmp[PATH_MAX + 8];
	unsigned i;
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", out_path);
	f = fopen(tmp, "w");
	if (!f)
		return;
	g_mutex_lock(&lock);
	for (i = 0; i < all->len; i++) {
		struct block *b = g_ptr_array_index(all, i);
		uint64_t e = qemu_plugin_u64_sum(qemu_plugin_scoreboard_u64(b->execs));

		if (e)
			fprintf(f, "%" PRIx64 " %u %u %u %u %" PRIu64 "\n", b->vaddr, b->insns,
				b->msr, b->mrs, b->barriers, e);
	}
	g_mutex_unlock(&lock);
	fclose(f);
	rename(tmp, out_path);
}

static void *ctl_thread(void *arg)
{
	(void)arg;
	for (;;) {
		usleep(5000);
		if (!access(ctl_start, F_OK)) {
			reset();
			unlink(ctl_start);
		}
		if (!access(ctl_stop, F_OK)) {
			dump();
			unlink(ctl_stop);
		}
	}
	return NULL;
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
					   int argc, char **argv)
{
	const char *ctl = NULL, *out = NULL;
	pthread_t t;
	int i;

	(void)info;
	for (i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "ctl=", 4))
			ctl = argv[i] + 4;
		else if (!strncmp(argv[i], "out=", 4))
			out = argv[i] + 4;
	}
	if (!ctl || !out) {
		fprintf(stderr, "guestprof: needs ctl=PATH and out=PATH\n");
		return -1;
	}
	snprintf(ctl_start, sizeof(ctl_start), "%s.start", ctl);
	snprintf(ctl_stop, sizeof(ctl_stop), "%s.stop", ctl);
	snprintf(out_path, sizeof(out_path), "%s", out);
	blocks = g_hash_table_new(g_direct_hash, g_direct_equal);
	all = g_ptr_array_new();
	qemu_plugin_register_vcpu_tb_trans_cb(id, vcpu_tb_trans);
	if (pthread_create(&t, NULL, ctl_thread, NULL))
		return -1;
	pthread_detach(t);
	return 0;
}
