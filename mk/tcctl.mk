# tcctl: the CLI over the pinned maps. Needs POLICY_LIB (mk/policy.mk).

TCCTL_SRCS	:= ctl/tcctl.c ctl/tcctl_dev.c ctl/tcctl_policy.c \
		   ctl/tcctl_stats.c ctl/tcctl_daemon.c ctl/devices.c \
		   ctl/dp_stats.c ctl/monitor_filter.c \
		   ctl/policy_store.c ctl/map_sync.c ctl/loader.c ctl/attach.c \
		   ctl/pin_lock.c ctl/runtime.c ctl/pod_store.c ctl/tcctl_pods.c
TCCTL_OBJS	:= $(patsubst ctl/%.c,$(BUILD)/tcctl-obj/%.o,$(TCCTL_SRCS))
# loader.o and attach.o are shared with the daemon and the tests
DATAPLANE_OBJS	:= $(BUILD)/tcctl-obj/loader.o $(BUILD)/tcctl-obj/attach.o \
		   $(BUILD)/tcctl-obj/policy_store.o $(BUILD)/tcctl-obj/map_sync.o \
		   $(BUILD)/tcctl-obj/pin_lock.o $(BUILD)/tcctl-obj/runtime.o \
		   $(BUILD)/tcctl-obj/dp_stats.o

$(BUILD)/tcctl-obj/%.o: ctl/%.c $(wildcard ctl/*.h include/*.h) \
			$(BUILD)/tcseg.skel.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/tcctl: $(TCCTL_OBJS) $(POLICY_LIB)
	$(CC) $(CFLAGS) -o $@ $(TCCTL_OBJS) $(POLICY_LIB) $(LIBBPF_LIBS) -ljansson

ALL_TARGETS	+= $(BUILD)/tcctl

# Socket capture loader, for tcsegd and its tests.
CAPTURE_OBJS	:= $(BUILD)/tcctl-obj/capture_loader.o
$(BUILD)/tcctl-obj/capture_loader.o: $(BUILD)/capture.skel.h
ALL_TARGETS	+= $(CAPTURE_OBJS)

$(BUILD)/tests/capture_watch: tests/capture/capture_watch.c $(CAPTURE_OBJS) \
			      $(BUILD)/tcctl-obj/loader.o
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(CAPTURE_OBJS) $(LIBBPF_LIBS)
ALL_TARGETS	+= $(BUILD)/tests/capture_watch
