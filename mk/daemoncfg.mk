# Daemon configuration: the shared config-file reader with its permission
# check (ctl/conf_file.c), the pod-node mapping (ctl/pod_map.c, seed 001
# API) and the capture.conf parser (ctl/daemon_config.c), as one library
# for tcsegd and tcctl, plus their cmocka tests. Fragments sorted before
# this one must spell $(BUILD)/libtcseg_daemoncfg.a out: DAEMONCFG_LIB is
# empty when they are read.

DAEMONCFG_SRCS	:= ctl/conf_file.c ctl/pod_map.c ctl/daemon_config.c
DAEMONCFG_OBJS	:= $(patsubst ctl/%.c,$(BUILD)/ctl/%.o,$(DAEMONCFG_SRCS))
DAEMONCFG_LIB	:= $(BUILD)/libtcseg_daemoncfg.a
DAEMONCFG_HDRS	:= ctl/conf_file.h ctl/pod_map.h ctl/daemon_config.h \
		   include/tcseg.h include/tcseg_keys.h
DAEMONCFG_TESTS	:= $(BUILD)/tests/unit/test_pod_map \
		   $(BUILD)/tests/unit/test_daemon_config

$(DAEMONCFG_OBJS): $(BUILD)/ctl/%.o: ctl/%.c $(DAEMONCFG_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

$(DAEMONCFG_LIB): $(DAEMONCFG_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

$(DAEMONCFG_TESTS): $(BUILD)/tests/unit/test_%: tests/unit/test_%.c \
		tests/unit/conf_test_util.h $(DAEMONCFG_LIB) $(DAEMONCFG_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -DTCSEG_SRC_ROOT='"$(CURDIR)"' $< -o $@ \
		$(DAEMONCFG_LIB) -lcmocka

ALL_TARGETS	+= $(DAEMONCFG_LIB) $(DAEMONCFG_TESTS)
UNIT_TESTS	+= $(DAEMONCFG_TESTS)
