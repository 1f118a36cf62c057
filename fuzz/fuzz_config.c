// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: capture.conf (daemon_config_load). A file that loads
 * must survive a round trip: daemon_config_dump() of it loads again and
 * dumps to the same text. A file that does not load leaves the config
 * untouched and gives a bounded error.
 */
#include <errno.h>
#include "daemon/daemon_config.h"
#include "fuzz_util.h"

static struct fuzz_file in, out;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_file_init(&in, "capture_conf");
	fuzz_file_init(&out, "capture_conf_dump");
	return 0;
}

static char *dump(const struct capture_config *cfg)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	if (!f)
		abort();
	daemon_config_dump(f, cfg);
	fclose(f);
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct capture_config cfg, again, before;
	char err[512], *d1, *d2;
	int ret;

	if (size > 64 * 1024)
		return 0;
	fuzz_file_set(&in, data, size);
	memset(&cfg, 0xa5, sizeof(cfg));
	memcpy(&before, &cfg, sizeof(cfg));
	memset(err, 0x5a, sizeof(err));
	ret = daemon_config_load(in.path, CFG_NO_PERM_CHECK, &cfg, err,
				 sizeof(err));
	if (ret) {
		FUZZ_CHECK(ret == -EINVAL, "daemon_config_load: %d: %s", ret,
			   err);
		fuzz_check_err(err, sizeof(err));
		FUZZ_CHECK(!memcmp(&cfg, &before, sizeof(cfg)),
			   "config changed by a failed load");
		return 0;
	}
	d1 = dump(&cfg);
	fuzz_file_set(&out, d1, strlen(d1));
	ret = daemon_config_load(out.path, CFG_NO_PERM_CHECK, &again, err,
				 sizeof(err));
	FUZZ_CHECK(ret == 0, "the dump does not load: %s\n%s", err, d1);
	d2 = dump(&again);
	FUZZ_CHECK(!strcmp(d1, d2), "dump differs after a reload:\n%s---\n%s",
		   d1, d2);
	free(d1);
	free(d2);
	return 0;
}
