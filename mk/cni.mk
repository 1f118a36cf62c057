# tcseg-cni, the chained CNI plugin (ctl/cni/, docs/CNI.md), and its
# unit test. JSON through Debian's libjansson; the plugin runs tcctl.
# Uses ctl/policy (pod names, value parsers). Not ctl/lib: its JSON
# writer's json_string would shadow jansson's at link time.

CNI_SRCS	:= $(wildcard ctl/cni/*.c)
CNI_OBJS	:= $(CNI_SRCS:%.c=$(BUILD)/%.o)
CNI_LIB_OBJS	:= $(BUILD)/ctl/cni/cni_conf.o $(BUILD)/ctl/cni/cni_state.o
CNI_TEST	:= $(BUILD)/tests/unit/test_cni_conf

$(BUILD)/tcseg-cni: $(CNI_OBJS) $(POLICY_LIB)
	$(CC) $(CFLAGS) -o $@ $(CNI_OBJS) $(POLICY_LIB) \
		-ljansson -lmnl

$(CNI_TEST): tests/unit/test_cni_conf.c $(CNI_LIB_OBJS) $(POLICY_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -DTCSEG_SRC_ROOT='"$(CURDIR)"' $< -o $@ \
		$(CNI_LIB_OBJS) $(POLICY_LIB) -ljansson -lcmocka

ALL_TARGETS	+= $(BUILD)/tcseg-cni $(CNI_TEST)
UNIT_TESTS	+= $(CNI_TEST)
