// SPDX-License-Identifier: GPL-2.0
/*
 * tcseg-cni: a chained CNI plugin (spec 1.0: ADD, DEL, CHECK, VERSION)
 * that attaches tcseg to a pod's host veth with the network's default
 * and binds the pod's addresses to it, through tcctl (docs/CNI.md).
 * Errors go to stdout in the CNI error format, with a non-zero exit.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cni/cni_conf.h"
#include "cni/cni_exec.h"
#include "cni/cni_peer.h"
#include "cni/cni_state.h"
#include "policy/parse.h"
#include "policy/pod_name.h"

struct cni_env {
	const char *command;
	const char *id;
	const char *netns;
	const char *ifname;
	const char *args;
};

static int print_error(const char *version, const struct cni_err *e)
{
	json_t *o = json_pack("{s:s, s:i, s:s}", "cniVersion",
			      version && version[0] ? version : "1.0.0",
			      "code", e->code, "msg", e->msg);

	if (o && e->details[0])
		json_object_set_new(o, "details", json_string(e->details));
	if (o)
		json_dumpf(o, stdout, JSON_COMPACT);
	fputc('\n', stdout);
	json_decref(o);
	return 1;
}

static int do_version(void)
{
	printf("{\"cniVersion\":\"1.0.0\",\"supportedVersions\":"
	       "[\"0.3.0\",\"0.3.1\",\"0.4.0\",\"1.0.0\"]}\n");
	return 0;
}

/* stdin, at most CNI_INPUT_MAX bytes (one more says "too long") */
static char *read_stdin(size_t *len, struct cni_err *e)
{
	char *b = malloc(CNI_INPUT_MAX + 1);
	ssize_t n;

	*len = 0;
	if (!b) {
		cni_errf(e, CNI_E_IO, "out of memory");
		return NULL;
	}
	while (*len <= CNI_INPUT_MAX &&
	       ((n = read(0, b + *len, CNI_INPUT_MAX + 1 - *len)) > 0 ||
		(n < 0 && errno == EINTR)))
		if (n > 0)
			*len += n;
	if (n < 0)
		cni_errf(e, CNI_E_IO, "reading stdin: %s", strerror(errno));
	return b;
}

/* The host veth of the pod: the only host-side candidate, else the one
 * its container interface names as peer. */
static int host_veth(const struct cni_env *env, const struct cni_pod *p,
		     char *host, int *ifindex, struct cni_err *e)
{
	char err[256], name[IF_NAMESIZE];
	int i, idx;

	if (p->n_cand == 1) {
		idx = if_nametoindex(p->cand[0]);
		if (!idx)
			return cni_errf(e, CNI_E_UNKNOWN, "host interface %s: %s",
					p->cand[0], strerror(errno));
		strcpy(host, p->cand[0]);
		*ifindex = idx;
		return 0;
	}
	if (!env->netns || !env->netns[0])
		return cni_errf(e, CNI_E_ENV, "%d host interfaces in prevResult "
				"and no CNI_NETNS to tell which is the veth",
				p->n_cand);
	idx = cni_peer_ifindex(env->netns, p->ifname, err, sizeof(err));
	if (idx < 0)
		return cni_errf(e, CNI_E_UNKNOWN, "veth peer: %s", err);
	if (!if_indextoname(idx, name))
		return cni_errf(e, CNI_E_UNKNOWN, "veth peer ifindex %d is not "
				"in this netns", idx);
	for (i = 0; i < p->n_cand; i++)
		if (!strcmp(p->cand[i], name))
			break;
	if (i == p->n_cand)
		return cni_errf(e, CNI_E_DECODE, "the peer of %s is %s, which "
				"prevResult does not list", p->ifname, name);
	strcpy(host, name);
	*ifindex = idx;
	return 0;
}

static int tcctl_err(struct cni_err *e, int rc, const char *what,
		     const char *msg)
{
	cni_errf(e, CNI_E_TCSEG, "tcctl %s failed (exit %d)", what, rc);
	snprintf(e->details, sizeof(e->details), "%s", msg);
	return -1;
}

static int attach(const struct cni_conf *c, const struct cni_tcctl *t,
		  const struct cni_state *s, struct cni_err *e)
{
	char addrs[TCSEG_DEV_MAX_ADDRS4 * 16 + 8], msg[512];
	char pod[POD_REF_MAX + 1];
	const char *w[16];
	int n = 0, rc;

	cni_addrs_str(s->addrs4, s->n_addrs4, addrs, sizeof(addrs));
	w[n++] = "attach";
	w[n++] = s->host_if;
	if (c->def != TCSEG_ACT_UNSET) {
		w[n++] = "default";
		w[n++] = action_name(c->def);
	}
	w[n++] = "addr";
	w[n++] = addrs;
	w[n++] = "mode";
	w[n++] = c->mode;
	/* registers the pod's name: rules naming it follow its addresses */
	if (s->names.pod[0]) {
		if (pod_ref_join(s->names.ns[0] ? s->names.ns : POD_NS_DEFAULT,
				 s->names.pod, pod, sizeof(pod)))
			return cni_errf(e, CNI_E_ENV, "K8S_POD_NAMESPACE/"
					"K8S_POD_NAME cannot name a pod "
					"(docs/POLICY.md §Pods)");
		w[n++] = "pod";
		w[n++] = pod;
	}
	if (c->pos != CNI_POS_ANY)
		w[n++] = c->pos == CNI_POS_FIRST ? "first" : "last";
	w[n] = NULL;
	rc = cni_tcctl_run(t, w, NULL, msg, sizeof(msg));
	return rc ? tcctl_err(e, rc, "attach", msg) : 0;
}

static int do_add(const struct cni_env *env, const struct cni_conf *c,
		  const struct cni_tcctl *t, struct cni_err *e)
{
	struct cni_state s = { 0 };
	struct cni_pod p;
	int ret;

	if (!env->netns || !env->netns[0])
		return cni_errf(e, CNI_E_ENV, "CNI_NETNS is not set");
	if (cni_args_parse(env->args, &s.names, e) ||
	    cni_prev_pod(c, env->ifname, &p, e) ||
	    host_veth(env, &p, s.host_if, &s.ifindex, e))
		return -1;
	strcpy(s.container_id, env->id);
	strcpy(s.ifname, env->ifname);
	strcpy(s.network, c->name);
	s.def = c->def;
	s.n_addrs4 = p.n_addrs4;
	memcpy(s.addrs4, p.addrs4, sizeof(s.addrs4));
	if (attach(c, t, &s, e))
		return -1;
	ret = cni_state_write(c->state_dir, &s);
	if (ret)
		return cni_errf(e, CNI_E_IO, "state %s: %s", c->state_dir,
				strerror(-ret));
	json_object_set_new(c->prev, "cniVersion", json_string(c->version));
	json_dumpf(c->prev, stdout, JSON_COMPACT);
	fputc('\n', stdout);
	return 0;
}

/* Is @dev (ifindex @ifindex, 0: any) in tcctl's device list? 1, 0, or
 * -1 with @e set when tcctl cannot tell. *@entry: its object. */
static int listed(const struct cni_tcctl *t, const char *dev, int ifindex,
		  json_t **entry, struct cni_err *e)
{
	const char *w[] = { "-j", "list", NULL };
	char *out = NULL, msg[512];
	json_t *arr, *it;
	size_t i;
	int rc, found = 0;

	rc = cni_tcctl_run(t, w, &out, msg, sizeof(msg));
	if (rc) {
		free(out);
		return tcctl_err(e, rc, "list", msg);
	}
	arr = json_loads(out ? out : "", 0, NULL);
	free(out);
	if (!json_is_array(arr)) {
		json_decref(arr);
		return cni_errf(e, CNI_E_TCSEG, "tcctl -j list: not a JSON array");
	}
	json_array_foreach(arr, i, it) {
		json_t *d = json_object_get(it, "dev"),
		       *x = json_object_get(it, "ifindex");

		if (json_is_string(d) && !strcmp(json_string_value(d), dev) &&
		    (!ifindex || json_integer_value(x) == ifindex)) {
			found = 1;
			if (entry)
				*entry = json_incref(it);
			break;
		}
	}
	json_decref(arr);
	return found;
}

static int do_del(const struct cni_env *env, const struct cni_conf *c,
		  const struct cni_tcctl *t, struct cni_err *e)
{
	char msg[512];
	struct cni_state s;
	const char *w[] = { "detach", s.host_if, NULL };
	int ret, rc;

	ret = cni_state_read(c->state_dir, env->id, env->ifname, &s);
	if (ret == -ENOENT)
		return 0;	/* never added, or deleted already */
	if (ret)
		return cni_errf(e, CNI_E_IO, "state of %s/%s in %s: %s", env->id,
				env->ifname, c->state_dir, strerror(-ret));
	rc = cni_tcctl_run(t, w, NULL, msg, sizeof(msg));
	/* failed: fine if it is not attached (unloaded, detached by hand) */
	if (rc && t->pin_dir && access(t->pin_dir, F_OK))
		rc = 0;
	if (rc) {
		ret = listed(t, s.host_if, s.ifindex, NULL, e);
		if (ret)
			return ret < 0 ? -1 : tcctl_err(e, rc, "detach", msg);
	}
	ret = cni_state_remove(c->state_dir, env->id, env->ifname);
	if (ret)
		return cni_errf(e, CNI_E_IO, "state: %s", strerror(-ret));
	return 0;
}

/* The bound addresses in a tcctl list entry equal @s's? */
static int same_addrs(json_t *entry, const struct cni_state *s)
{
	json_t *arr = json_object_get(entry, "addrs"), *it;
	char err[TCSEG_ERRLEN];
	int n = 0, k, hit;
	__be32 a;
	__u8 plen;
	size_t i;

	if (!json_is_array(arr))
		return 0;
	json_array_foreach(arr, i, it) {
		if (!json_is_string(it) ||
		    parse_cidr(json_string_value(it), &a, &plen, err, sizeof(err)))
			return 0;
		for (hit = 0, k = 0; k < s->n_addrs4; k++)
			hit |= s->addrs4[k] == a;
		if (!hit)
			return 0;
		n++;
	}
	return n == s->n_addrs4;
}

static int do_check(const struct cni_env *env, const struct cni_conf *c,
		    const struct cni_tcctl *t, struct cni_err *e)
{
	struct cni_state s;
	struct cni_pod p;
	json_t *entry = NULL, *def;
	const char *want;
	int ret;

	if (cni_prev_pod(c, env->ifname, &p, e))
		return -1;
	ret = cni_state_read(c->state_dir, env->id, env->ifname, &s);
	if (ret)
		return cni_errf(e, CNI_E_UNKNOWN, "no tcseg-cni record of %s/%s: "
				"%s", env->id, env->ifname, strerror(-ret));
	s.n_addrs4 = p.n_addrs4;
	memcpy(s.addrs4, p.addrs4, sizeof(s.addrs4));
	ret = listed(t, s.host_if, s.ifindex, &entry, e);
	if (ret <= 0)
		return ret < 0 ? -1 : cni_errf(e, CNI_E_CHECK, "%s is not "
					      "attached", s.host_if);
	def = json_object_get(entry, "default");
	want = c->def == TCSEG_ACT_UNSET ? "global" : action_name(c->def);
	if (!json_is_string(def) || strcmp(json_string_value(def), want))
		ret = cni_errf(e, CNI_E_CHECK, "%s: default is not %s",
			       s.host_if, want);
	else if (!same_addrs(entry, &s))
		ret = cni_errf(e, CNI_E_CHECK, "%s: bound addresses differ from "
			       "prevResult", s.host_if);
	else
		ret = 0;
	json_decref(entry);
	return ret;
}

static int env_check(const struct cni_env *env, struct cni_err *e)
{
	if (!env->id || !cni_id_ok(env->id))
		return cni_errf(e, CNI_E_ENV, "CNI_CONTAINERID missing or not "
				"[A-Za-z0-9_.-]{1,%d}", CNI_ID_MAX);
	if (!env->ifname || !cni_ifname_ok(env->ifname))
		return cni_errf(e, CNI_E_ENV, "CNI_IFNAME missing or not an "
				"interface name");
	return 0;
}

int main(void)
{
	struct cni_env env = {
		.command = getenv("CNI_COMMAND"),
		.id = getenv("CNI_CONTAINERID"),
		.netns = getenv("CNI_NETNS"),
		.ifname = getenv("CNI_IFNAME"),
		.args = getenv("CNI_ARGS"),
	};
	struct cni_err e = { 0 };
	struct cni_conf c = { 0 };
	struct cni_tcctl t;
	size_t len;
	char *in;
	int ret = -1;

	if (env.command && !strcmp(env.command, "VERSION"))
		return do_version();
	in = read_stdin(&len, &e);
	if (!in || e.code || cni_conf_parse(in, len, &c, &e)) {
		free(in);
		return print_error(NULL, &e);
	}
	free(in);
	cni_tcctl_find(&t, c.tcctl);
	t.pin_dir = c.pin_dir[0] ? c.pin_dir : NULL;
	t.socket = c.socket[0] ? c.socket : NULL;
	if (!env.command)
		cni_errf(&e, CNI_E_ENV, "CNI_COMMAND is not set");
	else if (env_check(&env, &e))
		;
	else if (!strcmp(env.command, "ADD"))
		ret = do_add(&env, &c, &t, &e);
	else if (!strcmp(env.command, "DEL"))
		ret = do_del(&env, &c, &t, &e);
	else if (!strcmp(env.command, "CHECK"))
		ret = do_check(&env, &c, &t, &e);
	else
		cni_errf(&e, CNI_E_ENV, "CNI_COMMAND '%.16s' is not ADD, DEL, "
			 "CHECK or VERSION", env.command);
	if (ret)
		print_error(c.version, &e);
	cni_conf_free(&c);
	return ret ? 1 : 0;
}
