// SPDX-License-Identifier: GPL-2.0
/*
 * cmocka tests of tcsegd's join of data-path flow events and socket
 * capture records (ctl/daemon/tcsegd_corr.c): orientation, both arrival orders,
 * readiness rules, port reuse, expiry, a full table, hostile records.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "daemon/tcsegd_corr.h"

#define C_IP	0x0a0ac80a	/* any fixed values; byte order irrelevant */
#define S_IP	0x0102c80a
#define C_PORT	htons(40000)
#define S_PORT	htons(7000)
#define SEC	1000000000ull

static struct tcseg_event tc(__u8 dir)
{
	struct tcseg_event e = {
		.type = TCSEG_EV_FLOW_ENCRYPT, .ifindex = dir ? 20 : 10,
		.saddr.w = { C_IP }, .daddr.w = { S_IP }, .sport = C_PORT,
		.dport = S_PORT, .family = TCSEG_FAMILY_V4, .proto = 6, .dir = dir, .action = TCSEG_ACT_ENCRYPT,
	};
	return e;
}

static struct tcseg_sock_event sock(__u8 type, __u8 flags)
{
	struct tcseg_sock_event e = {
		.type = type, .flags = flags, .tgid = 42, .pid = 43,
		.cookie = 99, .action = TCSEG_ACT_ENCRYPT, .fd = -1,
		.family = TCSEG_FAMILY_V4,
	};

	if (type == TCSEG_SOCK_ACCEPT) {	/* local end first */
		e.saddr.v4 = S_IP, e.sport = S_PORT;
		e.daddr.v4 = C_IP, e.dport = C_PORT;
		e.tgid = flags & TCSEG_SOCK_F_HELD ? 42 : 0;
	} else {
		e.saddr.v4 = C_IP, e.sport = C_PORT;
		e.daddr.v4 = S_IP, e.dport = S_PORT;
	}
	return e;
}

static void test_accept_record_is_turned_to_client_server(void **st)
{
	struct tcseg_sock_event a = sock(TCSEG_SOCK_ACCEPT, 0);
	struct tcseg_event t = tc(TCSEG_DIR_TO_POD);
	struct corr_key ka, kt;

	(void)st;
	corr_key_sock(&a, &ka);
	corr_key_tc(&t, &kt);
	assert_memory_equal(&ka, &kt, sizeof(ka));
	assert_int_equal(ka.saddr.v4, C_IP);
	assert_int_equal(ka.dport, S_PORT);
}

static void test_held_connect_is_ready_alone(void **st)
{
	struct corr_table *t = corr_new(64, 10 * SEC);
	struct tcseg_sock_event c = sock(TCSEG_SOCK_CONNECT,
					 TCSEG_SOCK_F_HELD | TCSEG_SOCK_F_ENCRYPT);
	struct corr_entry *e;

	(void)st;
	e = corr_add_sock(t, &c, SEC);
	assert_non_null(e);
	assert_true(corr_client_ready(e));
	assert_false(corr_server_ready(e));
	e->flags |= CORR_CLIENT_GO;
	assert_false(corr_client_ready(e));	/* once only */
	corr_free(t);
}

static void test_plain_connect_waits_for_flow_event(void **st)
{
	struct corr_table *t = corr_new(64, 10 * SEC);
	struct tcseg_sock_event c = sock(TCSEG_SOCK_CONNECT, 0);
	struct tcseg_event f = tc(TCSEG_DIR_FROM_POD);
	struct corr_entry *e;

	(void)st;
	e = corr_add_sock(t, &c, SEC);
	assert_false(corr_client_ready(e));
	assert_ptr_equal(corr_add_tc(t, &f, SEC), e);
	assert_true(corr_client_ready(e));
	assert_int_equal(e->ifindex_from, 10);
	assert_int_equal(corr_count(t), 1);
	corr_free(t);
}

static void test_server_either_order(void **st)
{
	struct tcseg_sock_event a = sock(TCSEG_SOCK_ACCEPT, 0);
	struct tcseg_event f = tc(TCSEG_DIR_TO_POD);
	struct corr_table *t;
	struct corr_entry *e;

	(void)st;
	t = corr_new(64, 10 * SEC);
	e = corr_add_tc(t, &f, SEC);
	assert_false(corr_server_ready(e));
	corr_add_sock(t, &a, SEC);
	assert_true(corr_server_ready(e));
	assert_int_equal(e->ifindex_to, 20);
	corr_free(t);

	t = corr_new(64, 10 * SEC);
	e = corr_add_sock(t, &a, SEC);
	assert_false(corr_server_ready(e));
	corr_add_tc(t, &f, SEC);
	assert_true(corr_server_ready(e));
	assert_false(corr_client_ready(e));
	corr_free(t);
}

static void test_port_reuse_starts_a_new_entry(void **st)
{
	struct corr_table *t = corr_new(64, 10 * SEC);
	struct tcseg_sock_event c = sock(TCSEG_SOCK_CONNECT, TCSEG_SOCK_F_HELD);
	struct corr_entry *e;

	(void)st;
	e = corr_add_sock(t, &c, SEC);
	e->flags |= CORR_CLIENT_GO;
	e->client_job = 7;
	c.tgid = 77;
	e = corr_add_sock(t, &c, 2 * SEC);
	assert_true(corr_client_ready(e));
	assert_int_equal(e->connect.tgid, 77);
	assert_int_equal(e->client_job, 0);
	corr_free(t);
}

static void test_expiry_and_full_table(void **st)
{
	struct corr_table *t = corr_new(16, 10 * SEC);
	struct tcseg_sock_event c = sock(TCSEG_SOCK_CONNECT, 0);
	unsigned int i, added = 0;

	(void)st;
	for (i = 0; i < 64; i++) {
		c.sport = htons(1000 + i);
		added += corr_add_sock(t, &c, SEC) != NULL;
	}
	assert_int_equal(added, 16);	/* bounded: the rest refused */
	c.sport = htons(5000);
	assert_null(corr_add_sock(t, &c, 2 * SEC));
	assert_int_equal(corr_expire(t, 20 * SEC), 16);
	assert_non_null(corr_add_sock(t, &c, 21 * SEC));
	/* an expired entry is taken over without corr_expire too */
	c.sport = htons(5001);
	assert_non_null(corr_add_sock(t, &c, 40 * SEC));
	c.sport = htons(5000);
	assert_null(corr_find(t, &(struct corr_key){ 0 }));
	corr_free(t);
}

static void test_non_encrypt_events_are_not_joined(void **st)
{
	struct corr_table *t = corr_new(64, 10 * SEC);
	struct tcseg_event f = tc(TCSEG_DIR_FROM_POD);
	struct tcseg_sock_event s = sock(TCSEG_SOCK_SENDMSG, 0);

	(void)st;
	f.type = TCSEG_EV_FLOW_LOG;
	assert_null(corr_add_tc(t, &f, SEC));
	f.type = TCSEG_EV_FLOW_ENCRYPT;
	f.proto = 17;
	assert_null(corr_add_tc(t, &f, SEC));
	assert_null(corr_add_sock(t, &s, SEC));
	assert_int_equal(corr_count(t), 0);
	corr_free(t);
}

/*
 * Tracepoint capture with accept()'s return: the softirq accept record
 * (owner later) starts nothing, even with the flow event; the record
 * from accept()'s return (held, with fd) starts the server end.
 */
static void test_accept_owner_later_waits_for_accept_return(void **st)
{
	struct corr_table *t = corr_new(64, 10);
	struct tcseg_sock_event a = sock(TCSEG_SOCK_ACCEPT,
					 TCSEG_SOCK_F_ENCRYPT |
					 TCSEG_SOCK_F_FD_LATER);
	struct tcseg_event ev = tc(TCSEG_DIR_TO_POD);
	const char *why;
	struct corr_entry *e;

	(void)st;
	assert_int_equal(corr_check_sock(&a, sizeof(a), &why), 0);
	e = corr_add_sock(t, &a, 1);
	assert_non_null(corr_add_tc(t, &ev, 2));
	assert_false(corr_server_ready(e));
	a = sock(TCSEG_SOCK_ACCEPT, TCSEG_SOCK_F_ENCRYPT | TCSEG_SOCK_F_HELD);
	a.fd = 7;
	assert_int_equal(corr_check_sock(&a, sizeof(a), &why), 0);
	e = corr_add_sock(t, &a, 3);
	assert_true(corr_server_ready(e));
	assert_int_equal(e->accept.fd, 7);
	assert_int_equal(e->accept.tgid, 42);
	corr_free(t);
}

/* A connect held at SYN_SENT waits for connect()'s return (fd, port). */
static void test_connect_fd_later_waits_for_connect_return(void **st)
{
	struct corr_table *t = corr_new(64, 10);
	struct tcseg_sock_event c = sock(TCSEG_SOCK_CONNECT,
					 TCSEG_SOCK_F_ENCRYPT |
					 TCSEG_SOCK_F_HELD |
					 TCSEG_SOCK_F_FD_LATER);
	struct tcseg_event ev = tc(TCSEG_DIR_FROM_POD);
	struct corr_entry *e;

	(void)st;
	e = corr_add_sock(t, &c, 1);
	assert_non_null(corr_add_tc(t, &ev, 2));
	assert_false(corr_client_ready(e));
	c = sock(TCSEG_SOCK_CONNECT, TCSEG_SOCK_F_ENCRYPT | TCSEG_SOCK_F_HELD);
	c.fd = 5;
	e = corr_add_sock(t, &c, 3);
	assert_true(corr_client_ready(e));
	assert_int_equal(e->connect.fd, 5);
	corr_free(t);
}

static void test_hostile_records_refused(void **st)
{
	struct tcseg_sock_event s = sock(TCSEG_SOCK_CONNECT, 0);
	struct tcseg_event f = tc(TCSEG_DIR_FROM_POD);
	const char *why = NULL;

	(void)st;
	assert_int_equal(corr_check_sock(&s, sizeof(s), &why), 0);
	assert_int_equal(corr_check_sock(&s, sizeof(s) - 1, &why), -EBADMSG);
	s.type = 9;
	assert_int_equal(corr_check_sock(&s, sizeof(s), &why), -EBADMSG);
	s = sock(TCSEG_SOCK_CONNECT, 0x80);
	assert_int_equal(corr_check_sock(&s, sizeof(s), &why), -EBADMSG);
	s = sock(TCSEG_SOCK_CONNECT, TCSEG_SOCK_F_HELD);
	s.tgid = 0;
	assert_int_equal(corr_check_sock(&s, sizeof(s), &why), -EBADMSG);
	assert_non_null(strstr(why, "held"));
	s = sock(TCSEG_SOCK_CONNECT, 0);
	s.action = TCSEG_ACT_MAX;
	assert_int_equal(corr_check_sock(&s, sizeof(s), &why), -EBADMSG);
	s = sock(TCSEG_SOCK_CONNECT, 0);
	s.dport = 0;
	assert_int_equal(corr_check_sock(&s, sizeof(s), &why), -EBADMSG);
	/* unbound connect: no local port yet, the cookie names the socket */
	s = sock(TCSEG_SOCK_CONNECT, 0);
	s.sport = 0;
	assert_int_equal(corr_check_sock(&s, sizeof(s), &why), 0);
	s.cookie = 0;
	assert_int_equal(corr_check_sock(&s, sizeof(s), &why), -EBADMSG);
	s = sock(TCSEG_SOCK_ACCEPT, 0);
	s.sport = 0;
	assert_int_equal(corr_check_sock(&s, sizeof(s), &why), -EBADMSG);
	/* an owner to come on a record that has one, or not an accept */
	s = sock(TCSEG_SOCK_ACCEPT, TCSEG_SOCK_F_FD_LATER | TCSEG_SOCK_F_HELD);
	assert_int_equal(corr_check_sock(&s, sizeof(s), &why), -EBADMSG);
	s = sock(TCSEG_SOCK_CONNECT, TCSEG_SOCK_F_FD_LATER);	/* not held */
	assert_int_equal(corr_check_sock(&s, sizeof(s), &why), -EBADMSG);
	s = sock(TCSEG_SOCK_SENDMSG, TCSEG_SOCK_F_FD_LATER);
	assert_int_equal(corr_check_sock(&s, sizeof(s), &why), -EBADMSG);
	s = sock(TCSEG_SOCK_CONNECT, TCSEG_SOCK_F_FD_LATER | TCSEG_SOCK_F_HELD);
	assert_int_equal(corr_check_sock(&s, sizeof(s), &why), 0);
	/* fds: only accept()/connect()'s return, with process and cookie;
	 * never < -1 */
	s = sock(TCSEG_SOCK_SENDMSG, 0);
	s.fd = 3;
	assert_int_equal(corr_check_sock(&s, sizeof(s), &why), -EBADMSG);
	s = sock(TCSEG_SOCK_CONNECT, TCSEG_SOCK_F_HELD);
	s.fd = 3;
	assert_int_equal(corr_check_sock(&s, sizeof(s), &why), 0);
	s.cookie = 0;
	assert_int_equal(corr_check_sock(&s, sizeof(s), &why), -EBADMSG);
	s = sock(TCSEG_SOCK_ACCEPT, 0);
	s.fd = 3;	/* softirq accept: no process */
	assert_int_equal(corr_check_sock(&s, sizeof(s), &why), -EBADMSG);
	s = sock(TCSEG_SOCK_ACCEPT, TCSEG_SOCK_F_HELD);
	s.fd = -2;
	assert_int_equal(corr_check_sock(&s, sizeof(s), &why), -EBADMSG);
	s.fd = 3;
	s.cookie = 0;
	assert_int_equal(corr_check_sock(&s, sizeof(s), &why), -EBADMSG);
	s = sock(TCSEG_SOCK_ESTABLISHED, TCSEG_SOCK_F_ENCRYPT);
	assert_int_equal(corr_check_sock(&s, sizeof(s), &why), 0);

	assert_int_equal(corr_check_tc(&f, sizeof(f), &why), 0);
	assert_int_equal(corr_check_tc(&f, sizeof(f) + 8, &why), -EBADMSG);
	f.type = 0;
	assert_int_equal(corr_check_tc(&f, sizeof(f), &why), -EBADMSG);
	f = tc(5);
	assert_int_equal(corr_check_tc(&f, sizeof(f), &why), -EBADMSG);
	f = tc(TCSEG_DIR_FROM_POD);
	f.type = TCSEG_EV_DROP;
	f.reason = TCSEG_DROP_MAX;
	assert_int_equal(corr_check_tc(&f, sizeof(f), &why), -EBADMSG);
}

/* fd00:200:1::1 -> fd00:200:2::1, and an IPv4 pair sharing first words */
static void v6_addrs(union tcseg_addr *c, union tcseg_addr *srv)
{
	memset(c, 0, sizeof(*c));
	memset(srv, 0, sizeof(*srv));
	assert_int_equal(inet_pton(AF_INET6, "fd00:200:1::1", c->b), 1);
	assert_int_equal(inet_pton(AF_INET6, "fd00:200:2::1", srv->b), 1);
}

/*
 * IPv6: records and flow events join by family + 4-tuple; an IPv4 flow
 * whose addresses are the first words of the IPv6 ones never joins it.
 */
static void test_ipv6_join_by_family(void **st)
{
	struct corr_table *t = corr_new(64, 10 * SEC);
	struct tcseg_sock_event c = sock(TCSEG_SOCK_CONNECT, 0);
	struct tcseg_sock_event a = sock(TCSEG_SOCK_ACCEPT, TCSEG_SOCK_F_HELD);
	struct tcseg_event f = tc(TCSEG_DIR_FROM_POD);
	struct tcseg_sock_event c4 = sock(TCSEG_SOCK_CONNECT, 0);
	struct corr_entry *e, *e4;
	const char *why;

	(void)st;
	v6_addrs(&c.saddr, &c.daddr);
	c.family = a.family = f.family = TCSEG_FAMILY_V6;
	a.saddr = c.daddr, a.daddr = c.saddr;
	f.saddr = c.saddr, f.daddr = c.daddr;
	c4.saddr.v4 = c.saddr.w[0], c4.daddr.v4 = c.daddr.w[0];
	assert_int_equal(corr_check_sock(&c, sizeof(c), &why), 0);
	assert_int_equal(corr_check_sock(&a, sizeof(a), &why), 0);
	assert_int_equal(corr_check_tc(&f, sizeof(f), &why), 0);
	assert_int_equal(corr_check_sock(&c4, sizeof(c4), &why), 0);
	e = corr_add_sock(t, &c, 0);
	assert_non_null(e);
	assert_false(corr_client_ready(e));	/* a plain connect waits */
	e4 = corr_add_sock(t, &c4, 0);
	assert_non_null(e4);
	assert_ptr_not_equal(e4, e);
	assert_ptr_equal(corr_add_tc(t, &f, 0), e);
	assert_true(corr_client_ready(e));
	assert_false(corr_client_ready(e4));
	assert_ptr_equal(corr_add_sock(t, &a, 0), e);	/* turned round */
	assert_true(corr_server_ready(e));
	assert_int_equal(e->key.family, TCSEG_FAMILY_V6);
	assert_int_equal(corr_count(t), 2);
	corr_free(t);
}

/* The key service's tuple of a key and back, both families. */
static void test_key_tuple_round_trip(void **st)
{
	struct tcseg_sock_event c = sock(TCSEG_SOCK_CONNECT, 0);
	struct corr_key k, back;
	struct flow_tuple ft;

	(void)st;
	corr_key_sock(&c, &k);
	corr_key_to_tuple(&k, &ft);
	assert_int_equal(ft.family, 0);
	assert_int_equal(ft.saddr, C_IP);
	assert_int_equal(ft.dport, 7000);
	corr_key_from_tuple(&ft, &back);
	assert_memory_equal(&k, &back, sizeof(k));
	v6_addrs(&c.saddr, &c.daddr);
	c.family = TCSEG_FAMILY_V6;
	corr_key_sock(&c, &k);
	corr_key_to_tuple(&k, &ft);
	assert_int_equal(ft.family, FLOW_FAMILY_V6);
	assert_int_equal(ft.saddr, 0);
	assert_memory_equal(ft.saddr6, c.saddr.b, 16);
	assert_memory_equal(ft.daddr6, c.daddr.b, 16);
	assert_int_equal(ft.sport, 40000);
	corr_key_from_tuple(&ft, &back);
	assert_memory_equal(&k, &back, sizeof(k));
}

/* IPv6 records that cannot come from the capture are refused. */
static void test_ipv6_hostile_records_refused(void **st)
{
	struct tcseg_sock_event s = sock(TCSEG_SOCK_CONNECT, 0);
	struct tcseg_event f = tc(TCSEG_DIR_FROM_POD);
	const char *why = NULL;

	(void)st;
	v6_addrs(&s.saddr, &s.daddr);
	s.family = TCSEG_FAMILY_V6;
	assert_int_equal(corr_check_sock(&s, sizeof(s), &why), 0);
	/* a v4-mapped address: the capture reports those as IPv4 */
	assert_int_equal(inet_pton(AF_INET6, "::ffff:10.200.2.1", s.daddr.b), 1);
	assert_int_equal(corr_check_sock(&s, sizeof(s), &why), -EBADMSG);
	assert_non_null(strstr(why, "bad family"));
	v6_addrs(&f.saddr, &f.daddr);
	f.family = TCSEG_FAMILY_V6;
	assert_int_equal(corr_check_tc(&f, sizeof(f), &why), 0);
	assert_int_equal(inet_pton(AF_INET6, "::ffff:10.200.1.1", f.saddr.b), 1);
	assert_int_equal(corr_check_tc(&f, sizeof(f), &why), -EBADMSG);
	/* IPv6 addresses under family 4, an unknown family, no address */
	v6_addrs(&s.saddr, &s.daddr);
	s.family = TCSEG_FAMILY_V4;
	assert_int_equal(corr_check_sock(&s, sizeof(s), &why), -EBADMSG);
	s.family = 5;
	assert_int_equal(corr_check_sock(&s, sizeof(s), &why), -EBADMSG);
	s.family = TCSEG_FAMILY_V6;
	memset(&s.saddr, 0, sizeof(s.saddr));
	assert_int_equal(corr_check_sock(&s, sizeof(s), &why), -EBADMSG);
}

/* Addresses must fit their family: an IPv4 one never equals an IPv6 one. */
static void test_hostile_families_refused(void **st)
{
	struct tcseg_sock_event s = sock(TCSEG_SOCK_CONNECT, 0);
	struct tcseg_event f = tc(TCSEG_DIR_FROM_POD);
	const char *why = NULL;

	(void)st;
	s.saddr.w[2] = 1;	/* bytes beyond an IPv4 address */
	assert_int_equal(corr_check_sock(&s, sizeof(s), &why), -EBADMSG);
	assert_non_null(strstr(why, "family"));
	s.family = TCSEG_FAMILY_V6;	/* the same bytes as IPv6: fine */
	assert_int_equal(corr_check_sock(&s, sizeof(s), &why), 0);
	s.family = 0;
	assert_int_equal(corr_check_sock(&s, sizeof(s), &why), -EBADMSG);
	s.family = 5;
	assert_int_equal(corr_check_sock(&s, sizeof(s), &why), -EBADMSG);

	f.daddr.w[3] = 1;
	assert_int_equal(corr_check_tc(&f, sizeof(f), &why), -EBADMSG);
	assert_non_null(strstr(why, "family"));
	f = tc(TCSEG_DIR_FROM_POD);
	f.family = 0;		/* only a drop of a non-IP frame has none */
	assert_int_equal(corr_check_tc(&f, sizeof(f), &why), -EBADMSG);
	memset(&f.saddr, 0, sizeof(f.saddr));
	memset(&f.daddr, 0, sizeof(f.daddr));
	assert_int_equal(corr_check_tc(&f, sizeof(f), &why), -EBADMSG);
	f.type = TCSEG_EV_DROP;
	assert_int_equal(corr_check_tc(&f, sizeof(f), &why), 0);
	f.saddr.w[0] = 1;	/* ...and then no address */
	assert_int_equal(corr_check_tc(&f, sizeof(f), &why), -EBADMSG);
	f = tc(TCSEG_DIR_FROM_POD);
	f.family = 7;
	assert_int_equal(corr_check_tc(&f, sizeof(f), &why), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accept_record_is_turned_to_client_server),
		cmocka_unit_test(test_held_connect_is_ready_alone),
		cmocka_unit_test(test_plain_connect_waits_for_flow_event),
		cmocka_unit_test(test_server_either_order),
		cmocka_unit_test(test_port_reuse_starts_a_new_entry),
		cmocka_unit_test(test_expiry_and_full_table),
		cmocka_unit_test(test_non_encrypt_events_are_not_joined),
		cmocka_unit_test(test_accept_owner_later_waits_for_accept_return),
		cmocka_unit_test(test_connect_fd_later_waits_for_connect_return),
		cmocka_unit_test(test_hostile_records_refused),
		cmocka_unit_test(test_ipv6_join_by_family),
		cmocka_unit_test(test_key_tuple_round_trip),
		cmocka_unit_test(test_ipv6_hostile_records_refused),
		cmocka_unit_test(test_hostile_families_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
