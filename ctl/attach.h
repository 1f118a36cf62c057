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

/* Attach both directions; *used_tcx says which way it went. */
int tcseg_attach(const char *pin_dir, int ifindex, enum attach_mode mode,
		 int *used_tcx, char *err, size_t errlen);

/* Detach what tcseg_attach did (tcx: unpin links; tc: delete filters). */
int tcseg_detach(const char *pin_dir, int ifindex, int tcx, char *err,
		 size_t errlen);

#endif
