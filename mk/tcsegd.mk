# tcsegd: the daemon (ctl/tcsegd*.c) with the data plane loader, the
# capture loader, the daemon configuration, key provider, kTLS and TLSHub
# client libraries; its cmocka test (the flow/record join); and the tcctl
# commands that talk to it (ctl/tcctl_daemon.c) plus the attach code
# shared by tcctl and the daemon (ctl/devices.c).

TCSEGD_SRCS	:= ctl/tcsegd.c ctl/tcsegd_handoff.c ctl/tcsegd_ctl.c \
		   ctl/tcsegd_log.c ctl/tcsegd_sock.c ctl/tcsegd_corr.c \
		   ctl/tcsegd_held.c ctl/tcsegd_metrics.c ctl/tcsegd_proto.c \
		   ctl/tcsegd_link.c ctl/tcsegd_pods.c ctl/tcsegd_ends.c \
		   ctl/tcsegd_dpmetrics.c ctl/tcsegd_vlog.c ctl/verdict_json.c \
		   ctl/devices.c ctl/pod_veth.c ctl/pod_store.c \
		   ctl/nl_req.c ctl/nl_neigh.c ctl/sock_diag.c
TCSEGD_OBJS	:= $(patsubst ctl/%.c,$(BUILD)/tcsegd-obj/%.o,$(TCSEGD_SRCS))
TCSEGD_HDRS	:= ctl/tcsegd.h ctl/tcsegd_corr.h ctl/devices.h \
		   $(wildcard ctl/*.h include/*.h)

$(TCSEGD_OBJS): $(BUILD)/tcsegd-obj/%.o: ctl/%.c $(TCSEGD_HDRS) \
		$(BUILD)/tcseg.skel.h $(BUILD)/capture.skel.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/tcsegd: $(TCSEGD_OBJS) $(DATAPLANE_OBJS) $(CAPTURE_OBJS) \
		 $(DAEMONCFG_LIB) $(KP_OBJ) $(KTLS_LIB) $(BUILD)/libtcseg_tlshub.a \
		 $(BUILD)/libtcseg_policy.a | $(KP_PLUGINS)
	$(CC) $(CFLAGS) -o $@ $(TCSEGD_OBJS) $(DATAPLANE_OBJS) \
		$(CAPTURE_OBJS) $(DAEMONCFG_LIB) $(KP_OBJ) $(KTLS_LIB) \
		$(TLSHUB_LIB) $(BUILD)/libtcseg_policy.a $(LIBBPF_LIBS) \
		$(KP_LIBS) $(TLSHUB_LIBS)

$(BUILD)/tests/unit/test_tcsegd_corr: tests/unit/test_tcsegd_corr.c \
		ctl/tcsegd_corr.c ctl/tcsegd_corr.h include/tcseg.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< ctl/tcsegd_corr.c -lcmocka

$(BUILD)/tests/unit/test_tcsegd_ends: tests/unit/test_tcsegd_ends.c \
		ctl/tcsegd_ends.c ctl/tcsegd_ends.h ctl/tcsegd_corr.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< ctl/tcsegd_ends.c -lcmocka -lpthread

$(BUILD)/tests/unit/test_link_watch: tests/unit/test_link_watch.c \
		ctl/tcsegd_link.c ctl/tcsegd_link.h ctl/nl_req.c ctl/nl_req.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< ctl/tcsegd_link.c ctl/nl_req.c -lmnl -lcmocka

# the netlink dumps (neighbours, bridge FDB, sock_diag) on crafted replies
$(BUILD)/tests/unit/test_nl_dumps: tests/unit/test_nl_dumps.c \
		ctl/nl_req.c ctl/nl_req.h ctl/nl_neigh.c ctl/nl_neigh.h \
		ctl/sock_diag.c ctl/sock_diag.h include/tcseg.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< ctl/nl_req.c ctl/nl_neigh.c \
		ctl/sock_diag.c -lmnl -lcmocka

$(BUILD)/tests/unit/test_pod_veth: tests/unit/test_pod_veth.c \
		ctl/pod_veth.c ctl/pod_veth.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< ctl/pod_veth.c -lcmocka

ALL_TARGETS	+= $(BUILD)/tcsegd $(BUILD)/tests/unit/test_tcsegd_corr \
		   $(BUILD)/tests/unit/test_tcsegd_ends \
		   $(BUILD)/tests/unit/test_link_watch \
		   $(BUILD)/tests/unit/test_pod_veth \
		   $(BUILD)/tests/unit/test_nl_dumps
UNIT_TESTS	+= $(BUILD)/tests/unit/test_tcsegd_corr \
		   $(BUILD)/tests/unit/test_tcsegd_ends \
		   $(BUILD)/tests/unit/test_link_watch \
		   $(BUILD)/tests/unit/test_pod_veth \
		   $(BUILD)/tests/unit/test_nl_dumps
