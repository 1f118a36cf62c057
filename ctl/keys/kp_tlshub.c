// SPDX-License-Identifier: GPL-2.0
/*
 * The TLSHub client (ctl/keys/tlshub_client.c) as a key provider: mode tlshub
 * of the facade (ctl/keys/kp_facade.c, docs/KEYS.md §6). Its settings
 * come from struct kp_config: the wire settings from cfg->tlshub, the
 * cipher, the server pod's node from cfg->lookup and ROLE_AUTO's answer
 * from cfg->is_local. The client is one per process, so is this provider.
 */
#include <errno.h>

#include "keys/key_provider.h"
#include "keys/tlshub_client.h"

_Static_assert((int)KP_ROLE_AUTO == (int)TLSHUB_ROLE_AUTO &&
	       (int)KP_ROLE_CLIENT == (int)TLSHUB_ROLE_CLIENT &&
	       (int)KP_ROLE_SERVER == (int)TLSHUB_ROLE_SERVER,
	       "kp_role and tlshub_role differ");

/* v2 requests: the node of the server pod, from the pod lookup. */
static int th_node_ip(void *arg, __u32 pod_ip, __u32 *node_ip)
{
	const struct kp_config *cfg = arg;
	char node[KP_NODE_NAME_MAX];
	struct sockaddr_in svc;

	if (cfg->lookup(cfg->lookup_arg, pod_ip, node, sizeof(node), &svc))
		return -ENOENT;
	*node_ip = svc.sin_addr.s_addr;
	return 0;
}

static int th_init(const struct kp_config *cfg, enum key_provider_mode mode,
		   void **st)
{
	struct tlshub_config c = cfg->tlshub;
	int r;

	(void)mode;
	c.cipher = cfg->cipher;
	c.node_ip = th_node_ip;
	c.node_ip_arg = (void *)cfg;
	c.is_local = cfg->is_local;
	c.is_local_arg = cfg->lookup_arg;
	if (!c.log) {
		c.log = cfg->log;
		c.log_arg = cfg->log_arg;
	}
	r = tlshub_client_configure(&c);
	r = r ? r : tlshub_client_init();
	*st = NULL;
	return r;
}

static int th_get_key(void *st, const struct flow_tuple *t,
		      const struct flow_isn *isn, enum kp_role role,
		      struct tls_key_info *ki)
{
	struct flow_tuple tuple = *t;

	(void)st;
	return tlshub_get_key_conn(&tuple, isn, ki, (enum tlshub_role)role);
}

static void th_cleanup(void *st)
{
	(void)st;
	tlshub_client_cleanup();
}

const struct kp_provider_ops kp_tlshub_provider = {
	.name = "TLSHub",
	.init = th_init,
	.get_key = th_get_key,
	.cleanup = th_cleanup,
};
