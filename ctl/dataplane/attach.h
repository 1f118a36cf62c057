/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Attach the pinned programs to a device: tcx links (kernel >= 6.6),
 * or clsact + cls_bpf direct-action where tcx is missing. tcx links are
 * pinned at PIN/links/<ifindex>-{from,to}_pod so they outlive tcctl.
 */
#ifndef TCSEG_ATTACH_H
#define TCSEG_ATTACH_H

#include <stddef.h>

enum attach_mode {
	ATTACH_AUTO = 0,	/* tcx if the kernel has it, else clsact */
	ATTACH_TCX,
	ATTACH_TC,
};

/*
 * Where tcseg goes among the device's other tc programs (a CNI's own):
 * tcx: before or after all of them (BPF_F_BEFORE / BPF_F_AFTER), or
 * appended; clsact: filter priority 1, 0xffff or our default. A packet
 * tcseg passes goes on to the next one (docs/DATAPATH.md §Chaining). The
 * position is taken when the link or filter is made: a tcx re-attach
 * swaps the program in place and keeps it.
 */
enum attach_pos {
	ATTACH_POS_ANY = 0,
	ATTACH_POS_FIRST,
	ATTACH_POS_LAST,
};

/* A tcx link for any program at @pos of @ifindex's ingress or egress
 * chain: its fd, or -1 with errno set. */
int tcseg_tcx_link_create(int prog_fd, int ifindex, int ingress,
			  enum attach_pos pos);

/* Attach both directions; *used_tcx says which way it went. */
int tcseg_attach(const char *pin_dir, int ifindex, enum attach_mode mode,
		 enum attach_pos pos, int *used_tcx, char *err, size_t errlen);

/* Detach what tcseg_attach did (tcx: unpin links; tc: delete filters). */
int tcseg_detach(const char *pin_dir, int ifindex, int tcx, char *err,
		 size_t errlen);

#endif
