# ctl/dataplane: everything that talks to the data plane's programs and
# pinned maps: the loaders (tc program, socket capture), tcx/clsact attach,
# the writer lock, the policy store and its map sync, devices and pod
# registrations, the per-CPU counters, the verdict record's JSON and the
# monitor filters. Uses ctl/policy and ctl/lib.

DATAPLANE_SRCS	:= $(wildcard ctl/dataplane/*.c)
DATAPLANE_OBJS	:= $(DATAPLANE_SRCS:%.c=$(BUILD)/%.o)
DATAPLANE_LIB	:= $(BUILD)/libtcseg_dataplane.a
# what links the data plane's library needs after it
DATAPLANE_LIBS	:= $(DATAPLANE_LIB) $(POLICY_LIB) $(CTLLIB_LIB) $(LIBBPF_LIBS)

$(DATAPLANE_LIB): $(DATAPLANE_OBJS)
	$(ctl_archive)

# the policy replace under a BPF_PROG_TEST_RUN packet stream
REPLACE_TEST	:= $(BUILD)/tests/policy/test_replace
$(REPLACE_TEST): tests/policy/test_replace.c $(DATAPLANE_LIB) $(POLICY_LIB) \
		 $(CTLLIB_LIB) tests/bpf/pkt.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests/bpf -o $@ $< $(DATAPLANE_LIBS) -lpthread

# the verdict record's JSON and the monitor filters
OBSERVE_TEST	:= $(BUILD)/tests/unit/test_observe
$(OBSERVE_TEST): tests/unit/test_observe.c $(DATAPLANE_LIB) $(POLICY_LIB) \
		 $(CTLLIB_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(DATAPLANE_LIBS) -lcmocka

POD_VETH_TEST	:= $(BUILD)/tests/unit/test_pod_veth
$(POD_VETH_TEST): tests/unit/test_pod_veth.c $(DATAPLANE_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(DATAPLANE_LIB) -lcmocka

# the socket capture's record stream, for the capture tests
CAPTURE_WATCH	:= $(BUILD)/tests/capture_watch
$(CAPTURE_WATCH): tests/capture/capture_watch.c $(DATAPLANE_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(DATAPLANE_LIBS)

ALL_TARGETS	+= $(DATAPLANE_LIB) $(REPLACE_TEST) $(OBSERVE_TEST) \
		   $(POD_VETH_TEST) $(CAPTURE_WATCH)
UNIT_TESTS	+= $(OBSERVE_TEST) $(POD_VETH_TEST)
