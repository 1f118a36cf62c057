# ctl/daemon: tcsegd, the hand-off daemon (docs/DAEMON.md): its
# configuration (capture.conf, the pod-node mapping), the control socket
# and its request parser, the flow/record join, the hand-off, pod veths,
# metrics and logs. Uses ctl/keys, ctl/dataplane, ctl/policy and ctl/lib.
# tcsegd.c holds main(); everything else is libtcseg_daemon.a.

DAEMON_SRCS	:= $(filter-out ctl/daemon/tcsegd.c,$(wildcard ctl/daemon/*.c))
DAEMON_OBJS	:= $(DAEMON_SRCS:%.c=$(BUILD)/%.o)
DAEMON_LIB	:= $(BUILD)/libtcseg_daemon.a
TCSEGD_LIBS	:= $(DAEMON_LIB) $(KEYS_LIB) $(DATAPLANE_LIB) $(POLICY_LIB) \
		   $(CTLLIB_LIB)

$(DAEMON_LIB): $(DAEMON_OBJS)
	$(ctl_archive)

$(BUILD)/tcsegd: $(BUILD)/ctl/daemon/tcsegd.o $(TCSEGD_LIBS) | $(KP_PLUGINS)
	$(CC) $(CFLAGS) -o $@ $< $(TCSEGD_LIBS) $(LIBBPF_LIBS) -ldl -lmnl \
		-lcrypto -lpthread

# unit tests of the daemon's pure parts; the metrics are a leaf: test_metrics
# gives them the hooks the daemon would (struct tcsegd_metrics_ops);
# test_nl_dumps: the netlink replies
DAEMON_TESTS	:= $(patsubst %,$(BUILD)/tests/unit/test_%,tcsegd_corr \
		   tcsegd_ends link_watch ctl_proto metrics pod_map daemon_config \
		   nl_dumps)
$(DAEMON_TESTS): $(BUILD)/tests/unit/test_%: tests/unit/test_%.c $(DAEMON_LIB) \
		 $(CTLLIB_LIB) $(wildcard tests/unit/*_util.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -DTCSEG_SRC_ROOT='"$(CURDIR)"' -o $@ $< $(DAEMON_LIB) \
		$(CTLLIB_LIB) -lcmocka -lmnl -lpthread

# the netlink lookups on the real kernel (tests/suites/57-netlink.sh)
$(BUILD)/tests/nl_probe: tests/netlink/nl_probe.c $(DAEMON_LIB) $(CTLLIB_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(DAEMON_LIB) $(CTLLIB_LIB) -lmnl

ALL_TARGETS	+= $(DAEMON_LIB) $(BUILD)/tcsegd $(DAEMON_TESTS) \
		   $(BUILD)/tests/nl_probe
UNIT_TESTS	+= $(DAEMON_TESTS)
